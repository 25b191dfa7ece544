"""The workbench in a real browser: Debian's chromium driven by Playwright.

Log in, review a page of blurred thumbnails, categorise with the keyboard (single, multi-select,
undo), reveal one item and find the reveal in the audit log, export VICS and read it back.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from cumberland.hashsets.detect import open_reader
from cumberland.web import create_app
from cumberland.web.background import BROWSER_ARGS, running

from .conftest import PASSWORD, Built

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


@pytest.fixture()
def server(built: Built) -> Iterator[str]:
    with running(create_app(built.ws)) as url:
        yield url


@pytest.fixture()
def page(server: str) -> Iterator[Page]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280,
                                                                       "height": 900})
        tab = context.new_page()
        tab.set_default_timeout(20_000)
        yield tab
        context.close()
        browser.close()


def test_review_session_in_the_browser(page: Page, server: str, built: Built,
                                       tmp_path: Path) -> None:
    tab = page
    case, shas = built.cases["alpha"], built.media["alpha"]
    tab.goto(f"{server}/login")
    tab.fill("input[name=name]", "root")
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    expect(tab).to_have_url(f"{server}/")
    expect(tab.locator("text=alpha").first).to_be_visible()

    tab.goto(f"{server}/cases/{case}/review?status=all&category=any")
    tiles = tab.locator(".tile[data-sha]")
    expect(tiles).to_have_count(8)
    for i in range(8):  # every thumbnail is the blurred one
        expect(tiles.nth(i).locator("img")).to_have_attribute("src", re.compile(r"/thumb$"))

    first, second, third = tiles.nth(0), tiles.nth(1), tiles.nth(2)
    tab.keyboard.press("A")  # auto-advance off: this test moves by itself
    expect(tab.locator("#auto-advance")).not_to_be_checked()
    first.focus()
    tab.keyboard.press("1")
    expect(first.locator(".cat")).to_have_text("1 Child abuse material")
    # multi-select two more with the keyboard and categorise them together
    tab.keyboard.press("ArrowRight")
    expect(second).to_be_focused()
    tab.keyboard.press("Space")
    tab.keyboard.press("ArrowRight")
    tab.keyboard.press("Space")
    expect(third).to_have_class(re.compile(r"\bselected\b"))
    tab.keyboard.press("3")
    expect(second.locator(".cat")).to_have_text("3 CGI / animation")
    expect(third.locator(".cat")).to_have_text("3 CGI / animation")
    tab.keyboard.press("u")
    expect(second.locator(".cat")).to_have_text("")
    expect(third.locator(".cat")).to_have_text("")
    expect(tab.locator("#status")).to_contain_text("Undone")

    # reveal one item: the sharp thumbnail loads only for it, and the audit log shows it
    revealed_sha = first.get_attribute("data-sha")
    first.focus()
    tab.keyboard.press("r")
    expect(first.locator("img")).to_have_attribute("src", re.compile(r"/sharp$"))
    tab.wait_for_function(
        "() => { const i = document.querySelector('.tile.revealed img');"
        " return i && i.complete && i.naturalWidth > 0; }")
    expect(second.locator("img")).to_have_attribute("src", re.compile(r"/thumb$"))
    tab.goto(f"{server}/cases/{case}/audit")
    reveal_row = tab.locator("#audit tr", has_text="reveal")
    expect(reveal_row).to_have_count(1)
    expect(reveal_row).to_contain_text(str(revealed_sha))
    expect(reveal_row).to_contain_text("root")

    # the decisions persisted: the category filter finds the first tile only
    tab.goto(f"{server}/cases/{case}/review?status=all&category=1")
    expect(first).to_have_class(re.compile(r"\bcat-1\b"))  # category-coloured frame
    expect(tiles).to_have_count(1)
    first_sha = str(revealed_sha)
    expect(tiles.first).to_have_attribute("data-sha", first_sha)

    # export VICS from the dashboard and read it back with the importer
    tab.goto(f"{server}/cases/{case}")
    with tab.expect_download() as info:
        tab.click("#export-vics")
    target = tmp_path / "export.json"
    info.value.save_as(target)
    records = list(open_reader(target))
    assert [(r.sha256.hex() if r.sha256 else None, r.category) for r in records] == [
        (first_sha, 1)]
    assert first_sha in shas
