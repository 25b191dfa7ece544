"""Each review flow of issue 16 in Debian's chromium: a dense grid with auto-advance and
progress, the full-resolution viewer (zoom, 100 %, rotate, next, back to the same place),
a video reveal (keyframes, muted Range playback), search, assignments, stacks, and the
wellbeing keys (panic, help, break reminder)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import insert, select

from cumberland.store import accounts
from cumberland.store.models import Decision, Stack
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import BROWSER_ARGS, running
from cumberland.web.security import WebConfig

from .conftest import PASSWORD, Built, Evidence, add_case

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
PlaywrightTimeout = sync_api.TimeoutError


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield launched
        launched.close()


def _tab(browser: Browser, url: str, name: str, width: int = 1440, height: int = 900) -> Page:
    context = browser.new_context(viewport={"width": width, "height": height})
    tab = context.new_page()
    tab.set_default_timeout(20_000)
    tab.goto(f"{url}/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    expect(tab).to_have_url(f"{url}/")
    return tab


def test_dense_grid_auto_advance_and_progress(browser: Browser, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    case, _ = add_case(ws, "big", list(range(1000, 1060)))
    accounts.add_user(ws, "rita", "reviewer", PASSWORD)
    accounts.grant(ws, "rita", "big")
    with running(create_app(ws)) as url:
        tab = _tab(browser, url, "rita")
        tab.goto(f"{url}/cases/{case}/review")
        tiles = tab.locator(".tile[data-sha]")
        expect(tiles).to_have_count(60)
        tab.locator("#tile-size").fill("64")  # the smallest size
        visible = tab.evaluate("""() => Array.from(document.querySelectorAll('.tile[data-sha]'))
            .filter(t => { const r = t.getBoundingClientRect();
                           return r.top >= 0 && r.bottom <= innerHeight && r.right <= innerWidth; })
            .length""")
        assert visible >= 40, visible
        first = tiles.first
        name = first.locator(".path")
        expect(name).to_have_attribute("title", re.compile(r"^/evidence/big/"))
        # shortened in the middle: the start of the chain and the file name stay readable
        expect(name).to_have_text(re.compile(r"^/ev.*….*\.jpg$"))
        second_sha = tiles.nth(1).get_attribute("data-sha")
        first_sha = first.get_attribute("data-sha")
        first.focus()
        tab.keyboard.press("2")
        # categorised: it leaves "to review", the next one has the focus, progress moved on
        expect(tab.locator(f'.tile[data-sha="{first_sha}"]')).to_have_count(0)
        expect(tab.locator(f'.tile[data-sha="{second_sha}"]')).to_be_focused()
        expect(tab.locator("#progress-reviewed")).to_have_text("1")
        expect(tab.locator("#progress-today")).to_have_text("1")
        tab.keyboard.press("0")
        expect(tiles).to_have_count(58)
        tab.reload()
        expect(tiles).to_have_count(58)  # they stay out of "to review"
        expect(tab.locator("#progress")).to_contain_text("2 of 60 reviewed · 2 today")
        tab.goto(f"{url}/cases/{case}/review?category=2")
        expect(tiles).to_have_count(1)
        expect(tiles.first).to_have_class(re.compile(r"\bcat-2\b"))
        tab.context.close()
    ws.close()


@pytest.fixture()
def served(evidence: tuple[Evidence, Workspace]) -> Iterator[tuple[Evidence, str]]:
    ev, ws = evidence
    with running(create_app(ws)) as url:
        yield ev, url


def _decided(evidence: tuple[Evidence, Workspace], sha: str) -> int | None:
    with evidence[1].engine.connect() as conn:
        return conn.scalar(select(Decision.category).where(
            Decision.media_sha256 == bytes.fromhex(sha)))


def test_viewer_full_resolution_zoom_rotate_next_and_back(
        browser: Browser, served: tuple[Evidence, str]) -> None:
    ev, url = served
    tab = _tab(browser, url, "vera")
    grid = f"{url}/cases/{ev.case}/review?category=any&kind=image&sort=size&desc=1"
    tab.goto(grid)
    first = tab.locator(".tile[data-sha]").first
    expect(first).to_have_attribute("data-sha", ev.by_name["big_camera.jpg"])  # the largest
    first.focus()
    with tab.expect_navigation():  # waits for the page's load, so its keys are bound
        tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(rf"/media/{ev.by_name['big_camera.jpg']}\?"))
    picture = tab.locator("#picture")
    expect(picture).to_have_attribute("src", re.compile(r"/thumb$"))
    tab.keyboard.press("r")
    expect(picture).to_have_attribute("src", re.compile(r"/full$"))
    tab.wait_for_function("() => document.getElementById('picture').naturalWidth === 1600")
    level = tab.locator("#zoom-level")
    expect(level).not_to_have_text("100 %")  # fitted into the window
    tab.keyboard.press("o")
    expect(level).to_have_text("100 %")
    tab.keyboard.press("+")
    expect(level).to_have_text("125 %")
    tab.keyboard.press("f")
    expect(level).not_to_have_text("125 %")
    tab.keyboard.press("]")
    assert "rotate(90deg)" in (picture.get_attribute("style") or "")
    expect(tab.locator("#exif")).to_contain_text("DemoCam")
    with tab.expect_navigation():
        tab.keyboard.press("j")  # next in the grid's order (by size, descending)
    expect(tab).to_have_url(re.compile(r"sort=size"))
    second = tab.url.split("/media/")[1].split("?")[0]
    assert second != ev.by_name["big_camera.jpg"]
    expect(tab.locator("#picture")).to_have_attribute("src", re.compile(r"/thumb$"))  # not revealed
    with tab.expect_navigation():
        tab.keyboard.press("Escape")  # back to the grid, at this item
    expect(tab).to_have_url(re.compile(r"/review\?"))
    expect(tab.locator(f'.tile[data-sha="{second}"]')).to_be_focused()
    tab.context.close()


def test_video_reveal_keyframes_and_muted_playback(
        browser: Browser, served: tuple[Evidence, str],
        evidence: tuple[Evidence, Workspace]) -> None:
    ev, url = served
    tab = _tab(browser, url, "vera")
    ranges: list[str] = []
    tab.on("request", lambda r: ranges.append(r.headers.get("range", "")) if r.url.endswith(
        "/video") else None)
    sha = ev.by_name["scene.webm"]
    tab.goto(f"{url}/cases/{ev.case}/media/{sha}")
    expect(tab.locator("#picture")).to_have_attribute("src", re.compile(r"/thumb$"))  # sheet
    expect(tab.locator("#video-tools")).to_be_hidden()
    tab.keyboard.press("r")
    expect(tab.locator("#video-tools")).to_be_visible()
    expect(tab.locator("#picture")).to_have_attribute("src", re.compile(r"/frame\?i=0$"))
    expect(tab.locator("#scrub-at")).to_contain_text("1 of")
    count = int(tab.locator("#scrub").get_attribute("max") or 0) + 1
    if count > 1:
        tab.keyboard.press(".")
        expect(tab.locator("#picture")).to_have_attribute("src", re.compile(r"/frame\?i=1$"))
    tab.keyboard.press("v")
    tab.wait_for_function("() => { const v = document.querySelector('#stage video');"
                          " return v && v.readyState >= 2; }")
    assert tab.evaluate("() => document.querySelector('#stage video').muted") is True
    assert any(r.startswith("bytes=") for r in ranges), ranges  # played with Range requests
    tab.keyboard.press("1")  # categorise the video once; the viewer moves on to the next item
    try:  # "Set to 1" lives only until the move, so the move itself is what is waited for
        tab.wait_for_url(lambda u: sha not in u)
    except PlaywrightTimeout:
        status = tab.locator("#status").text_content()
        raise AssertionError(f"the viewer did not move on; status: {status!r}") from None
    assert _decided(evidence, sha) == 1
    tab.context.close()


def test_search_from_the_keyboard(browser: Browser, served: tuple[Evidence, str]) -> None:
    ev, url = served
    tab = _tab(browser, url, "vera")
    tab.goto(f"{url}/cases/{ev.case}/review?status=all")
    tab.keyboard.press("/")
    expect(tab.locator("#search-name")).to_be_focused()
    tab.keyboard.type("plain_1")
    tab.keyboard.press("Enter")
    expect(tab).to_have_url(re.compile(r"name=plain_1"))
    tiles = tab.locator(".tile[data-sha]")
    expect(tiles).to_have_count(1)
    expect(tiles.first).to_have_attribute("data-sha", ev.by_name["plain_1.jpg"])
    tab.context.close()


def test_an_investigator_splits_the_case(browser: Browser, served: tuple[Evidence, str]) -> None:
    ev, url = served
    tab = _tab(browser, url, "ivan")
    tab.goto(f"{url}/cases/{ev.case}/assignments")
    tab.check("input[name=reviewer] >> nth=0")  # ivan, walt, vera: by name
    for name in ("vera", "walt"):
        tab.locator("label", has_text=name).locator("input").check()
    tab.locator("input[name=double]").check()
    tab.click("#assign-form button[type=submit]")
    expect(tab.locator("#assigned")).to_contain_text("assignment(s) made")
    expect(tab.locator("#reviewer-progress")).to_contain_text("vera")
    reviewer = _tab(browser, url, "vera")
    reviewer.goto(f"{url}/cases/{ev.case}/review?status=all")
    expect(reviewer.locator("#progress")).to_contain_text("your share 0 of")
    assert reviewer.locator(".tile[data-sha]").count() > 0
    tab.context.close()
    reviewer.context.close()


def test_stacks_are_categorised_whole(browser: Browser, built: Built) -> None:
    case, shas = built.cases["alpha"], built.media["alpha"]
    with built.ws.engine.begin() as conn:
        conn.execute(insert(Stack), [{"case_id": case, "media_sha256": bytes.fromhex(s),
                                      "stack": 1, "method": "pdq"} for s in shas[5:8]])
    with running(create_app(built.ws)) as url:
        tab = _tab(browser, url, "alice")
        tab.goto(f"{url}/cases/{case}/stacks")
        tile = tab.locator(".tile[data-sha]")
        expect(tile).to_have_count(1)
        expect(tile.first).to_contain_text("stack of 3")
        tile.first.focus()
        tab.keyboard.press("3")
        expect(tab.locator("#status")).to_contain_text("set to 3")
        tab.context.close()
    with built.ws.engine.connect() as conn:
        decided = {bytes(s).hex() for s in conn.scalars(select(Decision.media_sha256))}
    assert decided == set(shas[5:8])


def test_panic_help_and_break_reminder(browser: Browser, built: Built) -> None:
    case = built.cases["alpha"]
    config: Any = WebConfig(break_minutes=0)  # the reminder is due at once
    with running(create_app(built.ws, config)) as url:
        tab = _tab(browser, url, "alice")
        tab.goto(f"{url}/cases/{case}/review")
        expect(tab.locator("#break-reminder")).to_be_visible()
        tab.keyboard.press("B")
        expect(tab.locator("#break-reminder")).to_be_hidden()
        tab.keyboard.press("p")
        expect(tab.locator("#panic")).to_be_visible()
        expect(tab.locator("#grid")).to_be_hidden()  # nothing of the case on screen
        tab.keyboard.press("1")  # keys do nothing while the screen is hidden
        tab.keyboard.press("p")
        expect(tab.locator("#panic")).to_be_hidden()
        expect(tab.locator(".tile.cat-1")).to_have_count(0)
        tab.keyboard.press("?")
        help_box = tab.locator("#help")
        expect(help_box).to_be_visible()
        for action in ("Categorise: 1 Child abuse material", "Undo", "Reveal", "Panic",
                       "Search and filters", "Larger / smaller tiles"):
            expect(help_box).to_contain_text(action)
        tab.keyboard.press("Escape")
        expect(help_box).to_be_hidden()
        tab.context.close()
