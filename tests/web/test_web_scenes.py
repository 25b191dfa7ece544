"""Region search in the workbench: a box drawn on a revealed picture (or a picture brought to
the search) finds the shots of the same scene in this case and in every case the user is a
member of, as blurred tiles with the case name and inliers; a result opens with the verified
outline over it. Refusals are the CLI's one-liners; every search is in the audit log. All
pictures are generated benign "rooms" (tests/scenes/scene_kit.py)."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import delete, select, update

from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.signals import local_features as lf
from cumberland.store import accounts, writer
from cumberland.store.models import AuditEntry, Media, SignalRecord
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import running
from scenes.scene_kit import jpeg, scene, video, warp
from workspace_copy import copy_workspace

from .conftest import PASSWORD, login, web_config
from .test_web_flows import CHROMIUM, _tab, browser  # noqa: F401  (the module's browser)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

REGION = "160,120,320,240"  # a quarter of the 640 x 480 room


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def rooms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Case a: a room, two second shots of it (a series), another room; case b: two more
    shots and a video of the room (a series of the same scene, triaged later) and a second
    shot of a's other room (in no series of either case). rita is a member of a, sam of a
    and b."""
    root = tmp_path_factory.mktemp("scenes-web")
    room = scene(1)
    files = {"a/room.jpg": jpeg(room), "a/other.jpg": jpeg(scene(2)),
             "b/aside.jpg": jpeg(warp(scene(2), 30)[0], 80)}
    for i, case in enumerate("aabb"):
        files[f"{case}/shot{i}.jpg"] = jpeg(warp(room, 10 + i)[0], 80)
    for name, data in files.items():
        (root / name).parent.mkdir(exist_ok=True)
        (root / name).write_bytes(data)
    files["b/room.mp4"] = video(root / "b" / "room.mp4", room).read_bytes()
    ws = Workspace(root / "ws")
    for case in "ab":
        triage(ws, TriageRequest(sources=[root / case], case=case,
                                 settings=Settings(workers=1)))
    for name, cases in (("rita", "a"), ("sam", "ab")):
        accounts.add_user(ws, name, "reviewer", PASSWORD)
        for case in cases:
            accounts.grant(ws, name, case)
    ids = {c: writer.case_id(ws, c, create=False) for c in "ab"}
    yield {"ws": ws, "root": root, "ids": ids, "room": room,
           "sha": {n.split("/")[1]: _sha(d) for n, d in files.items()}}
    ws.close()


def _client(ws: Workspace, name: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(ws, web_config()))
    return client, login(client, name)


def _tiles(html: str) -> list[tuple[str, str]]:
    """(sha256, case id) of each result tile, in order."""
    return re.findall(r'class="tile find-hit[^"]*" data-sha="([0-9a-f]{64})" data-case="(\d+)"',
                      html)


def test_results_cover_the_cases_the_user_may_see_blurred_and_audited(
        rooms: dict[str, Any]) -> None:
    sha, ids = rooms["sha"], rooms["ids"]
    seen = {}
    for name in ("rita", "sam"):
        client, _ = _client(rooms["ws"], name)
        page = client.get(f"/cases/{ids['a']}/find",
                          params={"media": sha["room.jpg"], "region": REGION})
        assert page.status_code == 200, page.text
        seen[name] = _tiles(page.text)
        assert "/sharp" not in page.text and "inliers" in page.text  # nothing revealed
    by_sha = {v: k for k, v in sha.items()}
    assert {by_sha[s] for s, _ in seen["rita"]} == {"shot0.jpg", "shot1.jpg"}
    assert {by_sha[s]: int(c) for s, c in seen["sam"]} == {
        "shot0.jpg": ids["a"], "shot1.jpg": ids["a"], "shot2.jpg": ids["b"],
        "shot3.jpg": ids["b"], "room.mp4": ids["b"]}
    with rooms["ws"].engine.connect() as conn:
        entries = conn.execute(select(AuditEntry.actor, AuditEntry.target, AuditEntry.details)
                               .where(AuditEntry.action == "scene-search")).all()
    mine = [e for e in entries if e.actor == "rita" and e.target == sha["room.jpg"]]
    assert mine and mine[0].details["region"] == REGION and mine[0].details["cases"] == ["a"]
    assert mine[0].details["results"] == 2


def test_another_cases_results_and_pages_stay_closed(rooms: dict[str, Any]) -> None:
    sha, ids = rooms["sha"], rooms["ids"]
    client, _ = _client(rooms["ws"], "rita")
    assert client.get(f"/cases/{ids['b']}/find").status_code == 404
    assert client.get(f"/cases/{ids['b']}/find", params={
        "media": sha["shot2.jpg"], "region": "10,10,100,100"}).status_code == 404
    assert client.get(f"/cases/{ids['b']}/media/{sha['shot2.jpg']}/match").status_code == 404
    assert client.get(f"/cases/{ids['a']}/find", params={  # b's media asked from case a
        "media": sha["shot2.jpg"], "region": "10,10,100,100"}).status_code == 404
    # drawing a box needs the picture revealed first
    assert client.get(f"/cases/{ids['a']}/media/{sha['room.jpg']}/find").status_code == 404


@pytest.mark.parametrize(("region", "message"), [
    ("600,400,100,100", "is outside the 640x480 image"),
    ("10,10,0,50", "has zero size"),
    ("10,10,50", "is not x,y,w,h"),
])
def test_bad_regions_are_the_clis_one_liners(rooms: dict[str, Any], region: str,
                                             message: str) -> None:
    client, _ = _client(rooms["ws"], "rita")
    page = client.get(f"/cases/{rooms['ids']['a']}/find",
                      params={"media": rooms["sha"]["room.jpg"], "region": region})
    assert page.status_code == 400
    error = re.search(r'<p class="error" id="find-error" role="alert">([^<]*)</p>', page.text)
    assert error is not None and message in error.group(1) and "\n" not in error.group(1)


def test_a_brought_picture_is_searched_and_not_kept(rooms: dict[str, Any]) -> None:
    client, csrf = _client(rooms["ws"], "rita")
    crop = jpeg(np.ascontiguousarray(rooms["room"][120:360, 160:480]), 90)
    url = f"/cases/{rooms['ids']['a']}/find/image"
    page = client.post(url, data={"csrf": csrf}, files={"picture": ("room.jpg", crop)})
    assert page.status_code == 200, page.text
    by_sha = {v: k for k, v in rooms["sha"].items()}
    assert {by_sha[s] for s, _ in _tiles(page.text)} == {"room.jpg", "shot0.jpg", "shot1.jpg"}
    bad = client.post(url, data={"csrf": csrf}, files={"picture": ("x.jpg", b"\xff\xd8 junk")})
    assert bad.status_code == 400 and "cannot read query image upload" in bad.text
    with rooms["ws"].engine.connect() as conn:
        targets = set(conn.scalars(select(AuditEntry.target).where(
            AuditEntry.action == "scene-search", AuditEntry.actor == "rita")))
        media = conn.scalar(select(SignalRecord.media_sha256).where(
            SignalRecord.media_sha256 == bytes.fromhex(_sha(crop))))
    assert f"upload:{_sha(crop)}" in targets and media is None  # logged, never evidence
    refused = client.post(url, files={"picture": ("room.jpg", crop)})  # no CSRF token
    assert refused.status_code == 403


def test_no_features_yet_says_to_enrich(rooms: dict[str, Any], tmp_path: Path) -> None:
    copy_workspace(rooms["ws"].root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    with ws.engine.begin() as conn:
        conn.execute(delete(SignalRecord).where(SignalRecord.name == lf.NAME))
    shutil.rmtree(tmp_path / "ws" / "scenes", ignore_errors=True)
    client, _ = _client(ws, "rita")
    page = client.get(f"/cases/{rooms['ids']['a']}/find",
                      params={"media": rooms["sha"]["room.jpg"], "region": REGION})
    ws.close()
    assert page.status_code == 400
    assert f"run `cumberland enrich --case a --signal {lf.NAME}`" in page.text


def test_a_box_on_a_turned_picture_is_turned_back(rooms: dict[str, Any],
                                                  tmp_path: Path) -> None:
    """The room's EXIF says "turned 90 degrees": pages show it 480 x 640 and the box is
    drawn there; the search turns it back to the stored pixels the keypoints are in."""
    copy_workspace(rooms["ws"].root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    digest = bytes.fromhex(rooms["sha"]["room.jpg"])
    with ws.engine.begin() as conn:
        meta = conn.scalar(select(Media.meta).where(Media.sha256 == digest)) or {}
        conn.execute(update(Media).where(Media.sha256 == digest).values(
            meta={**meta, "exif": {**(meta.get("exif") or {}), "orientation": 6}}))
    client, _ = _client(ws, "rita")
    url = f"/cases/{rooms['ids']['a']}/find"
    page = client.get(url, params={"media": rooms["sha"]["room.jpg"],
                                   "region": "120,160,240,320"})
    outside = client.get(url, params={"media": rooms["sha"]["room.jpg"],
                                      "region": "400,100,100,100"})  # inside 640 x 480 only
    viewer = client.get(f"/cases/{rooms['ids']['a']}/media/{rooms['sha']['room.jpg']}").text
    ws.close()
    assert 'data-width="480" data-height="640"' in viewer  # the viewer's box: upright too
    by_sha = {v: k for k, v in rooms["sha"].items()}
    assert {by_sha[s] for s, _ in _tiles(page.text)} == {"shot0.jpg", "shot1.jpg"}
    assert outside.status_code == 400 and "outside the 480x640 image" in outside.text


def test_a_result_opens_with_its_outline(rooms: dict[str, Any]) -> None:
    client, _ = _client(rooms["ws"], "rita")
    base = f"/cases/{rooms['ids']['a']}/media/{rooms['sha']['shot0.jpg']}/match"
    page = client.get(base, params={"outline": "1,2 30.5,2 30,40 1,41", "inliers": 40})
    assert page.status_code == 200
    assert 'points="1,2 30.5,2 30,40 1,41"' in page.text and "40 inliers" in page.text
    assert re.search(r'id="match-picture" href="[^"]+/thumb"', page.text)  # not revealed
    assert client.get(base, params={"outline": "1,2 x,3"}).status_code == 400


def test_a_video_result_opens_at_its_keyframe_with_the_outline(rooms: dict[str, Any]) -> None:
    """A video found by a region opens at the keyframe that matched, the outline over that
    frame in the keyframe's pixels: blurred greyscale until the video is revealed there."""
    sha, ids = rooms["sha"], rooms["ids"]
    client, csrf = _client(rooms["ws"], "sam")
    page = client.get(f"/cases/{ids['a']}/find", params={"media": sha["room.jpg"],
                                                         "region": REGION})
    link = re.search(r'data-sha="' + sha["room.mp4"] + r'" data-case="\d+"><a href="([^"]+)"',
                     page.text)
    assert link is not None
    target = link.group(1).replace("&amp;", "&")
    at = re.search(r"&at=([\d.]+)", target)
    assert at is not None and target.startswith(f"/cases/{ids['b']}/media/{sha['room.mp4']}/match")
    match = client.get(target)
    assert match.status_code == 200
    assert 'viewBox="0 0 320 240"' in match.text  # the keyframe's pixels, as local features saw
    points = re.search(r'id="match-outline" class="match-outline" points="([^"]+)"', match.text)
    assert points is not None and len(points.group(1).split()) == 4
    corners = [tuple(float(v) for v in p.split(",")) for p in points.group(1).split()]
    assert all(0 <= x <= 320 and 0 <= y <= 240 for x, y in corners)  # on the frame
    blurred = re.search(r'id="match-picture" href="([^"]+)"', match.text)
    assert blurred is not None and blurred.group(1).endswith(f"/frame-blurred?t={at.group(1)}")
    frame = client.get(blurred.group(1))
    assert frame.status_code == 200 and Image.open(io.BytesIO(frame.content)).mode == "L"
    base = f"/cases/{ids['b']}/media/{sha['room.mp4']}"
    assert client.get(f"{base}/frame?t={at.group(1)}").status_code == 404  # not revealed
    assert client.post(f"{base}/reveal", headers={"x-csrf-token": csrf}).status_code == 200
    again = client.get(target).text
    assert re.search(r'id="match-picture" href="[^"]+/frame\?t=' + re.escape(at.group(1)), again)
    sharp = client.get(f"{base}/frame?t={at.group(1)}")
    assert Image.open(io.BytesIO(sharp.content)).size == (320, 240)
    assert f'href="{base}?t={at.group(1)}" id="match-viewer"' in again
    rita, _ = _client(rooms["ws"], "rita")  # not a member of b
    assert rita.get(blurred.group(1)).status_code == 404


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_draw_a_box_see_blurred_results_open_one_with_its_outline(
        browser: Browser, rooms: dict[str, Any]) -> None:  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    case, sha = rooms["ids"]["a"], rooms["sha"]
    with running(create_app(rooms["ws"])) as url:
        tab = _tab(browser, url, "rita")
        tab.goto(f"{url}/cases/{case}/media/{sha['room.jpg']}")
        tab.keyboard.press("r")
        expect(tab.locator("#picture")).to_have_attribute("src", re.compile(r"/full$"))
        tab.click("#find-scene")
        tab.wait_for_function(
            "() => document.getElementById('trace-picture').naturalWidth === 640")
        shown = tab.locator("#trace-picture").bounding_box() or {"width": 0, "height": 0}
        corner = {"x": shown["width"] / 4, "y": shown["height"] / 4}
        tab.locator("#trace-picture").hover(position=corner)
        tab.mouse.down()
        tab.locator("#trace-picture").hover(position={"x": 3 * corner["x"],
                                                      "y": 3 * corner["y"]})
        tab.mouse.up()
        expect(tab.locator("#region")).to_have_value(re.compile(r"^1[56]\d,1[12]\d,3[12]\d,2[34]\d$"))
        tab.click("#find-region")
        tiles = tab.locator(".find-hit")
        expect(tiles).to_have_count(2)
        expect(tiles.first).to_contain_text("inliers")
        expect(tiles.first).to_contain_text("a")
        for img in tiles.locator("img").all():
            assert (img.get_attribute("src") or "").endswith("/thumb")
        tiles.first.locator("a").click()
        outline = tab.locator("#match-outline")
        expect(outline).to_have_count(1)
        assert len((outline.get_attribute("points") or "").split()) == 4
        picture = tab.locator("#match-picture")
        expect(picture).to_have_attribute("href", re.compile(r"/thumb$"))
        tab.click("#match-reveal")
        expect(picture).to_have_attribute("href", re.compile(r"/full$"))
        tab.context.close()


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_a_box_drawn_in_the_viewer_itself_searches_its_region(
        browser: Browser, rooms: dict[str, Any]) -> None:  # noqa: F811
    """In the viewer, "d" turns the pointer from panning to drawing a box; a box drawn on the
    picture turned a quarter, zoomed out and panned is the same region of the picture's own
    pixels, and releasing it runs the region search (blurred results, audited)."""
    expect = pytest.importorskip("playwright.sync_api").expect
    case, sha = rooms["ids"]["a"], rooms["sha"]
    with running(create_app(rooms["ws"])) as url:
        tab = _tab(browser, url, "rita")
        tab.goto(f"{url}/cases/{case}/media/{sha['room.jpg']}")
        box = tab.locator("#box-mode")
        expect(box).to_be_hidden()  # nothing to draw on before a reveal
        tab.keyboard.press("?")
        expect(tab.locator("#help-keys")).to_contain_text("Draw a box on the revealed picture")
        tab.keyboard.press("?")
        tab.keyboard.press("r")
        tab.wait_for_function("() => document.getElementById('picture').naturalWidth === 640")
        for key in ("]", "-", "Shift+ArrowRight"):  # a quarter turn right, zoom out, pan
            tab.keyboard.press(key)
        tab.keyboard.press("d")
        expect(box).to_have_attribute("aria-pressed", "true")
        shown = tab.locator("#picture").bounding_box()
        assert shown is not None and shown["height"] > shown["width"]  # turned

        def at(u: float, v: float) -> tuple[float, float]:
            return shown["x"] + u * shown["width"], shown["y"] + v * shown["height"]

        tab.mouse.move(*at(0.25, 0.1))
        tab.mouse.down()
        tab.mouse.move(*at(0.75, 0.6), steps=4)
        expect(tab.locator("#region-box")).to_be_visible()
        tab.mouse.up()
        # turned back: screen x along the picture's height, y against its width
        tab.wait_for_url(re.compile(r"/find\?media="))
        region = re.search(r"region=([\d%C,]+)", tab.url)
        assert region is not None
        x, y, w, h = (int(v) for v in region.group(1).replace("%2C", ",").split(","))
        assert [abs(a - b) <= 2 for a, b in zip((x, y, w, h), (64, 120, 320, 240), strict=True)] \
            == [True] * 4, (x, y, w, h)
        expect(tab.locator(".find-hit")).to_have_count(2)  # the room's other shots in case a
        for img in tab.locator(".find-hit img").all():
            assert (img.get_attribute("src") or "").endswith("/thumb")
        tab.context.close()
    with rooms["ws"].engine.connect() as conn:
        logged = conn.execute(select(AuditEntry.target, AuditEntry.details).where(
            AuditEntry.action == "scene-search").order_by(AuditEntry.id.desc())).first()
    assert logged is not None and logged.target == sha["room.jpg"]
    assert logged.details["region"] == f"{x},{y},{w},{h}"


def test_scene_also_in_case_x_for_who_may_see_x(rooms: dict[str, Any]) -> None:
    """Case a was built before b existed; b's build tells a's series. A member of a alone
    is not told that b exists; report.json names b and nothing of b's media."""
    from cumberland.reports.summary import case_summary

    ws, ids, sha = rooms["ws"], rooms["ids"], rooms["sha"]
    a_series = case_summary(ws, ids["a"])["series"]
    room = next(s for s in a_series if sha["room.jpg"] in s["members"])
    assert room["also_in"] == ["b"]
    assert set(room["also_in_members"]) == {sha["room.jpg"], sha["shot0.jpg"], sha["shot1.jpg"]}
    text = str(a_series)
    assert sha["shot2.jpg"] not in text and sha["shot3.jpg"] not in text
    b_series = case_summary(ws, ids["b"])["series"]
    assert [s["also_in"] for s in b_series] == [["a"]]
    pages = {}
    for name in ("rita", "sam"):
        client, _ = _client(ws, name)
        pages[name] = (client.get(f"/cases/{ids['a']}/series").text,
                       client.get(f"/cases/{ids['a']}/series/{room['series']}").text)
    assert "scene also in case b" in pages["sam"][0] and 'id="also-in"' in pages["sam"][1]
    assert "also in b" in pages["sam"][1]
    assert "scene also in case" not in pages["rita"][0] and 'id="also-in"' not in pages["rita"][1]


def test_a_picture_in_no_series_seen_in_another_case_is_flagged(rooms: dict[str, Any]) -> None:
    """a's other room is in no series of either case, but a second shot of it is in b:
    both reports list it (series None) with the other case's name only, and its viewer
    page says so to a member of b, not to rita."""
    from cumberland.reports.summary import case_summary

    ws, ids, sha = rooms["ws"], rooms["ids"], rooms["sha"]
    a = case_summary(ws, ids["a"])
    assert {"sha256": sha["other.jpg"], "series": None, "cases": ["b"]} in a["also_in"]
    room = next(s for s in a["series"] if sha["room.jpg"] in s["members"])
    assert {"sha256": sha["room.jpg"], "series": room["series"], "cases": ["b"]} in a["also_in"]
    b_also = case_summary(ws, ids["b"])["also_in"]
    assert {"sha256": sha["aside.jpg"], "series": None, "cases": ["a"]} in b_also
    pages = {name: _client(ws, name)[0].get(
        f"/cases/{ids['a']}/media/{sha['other.jpg']}").text for name in ("rita", "sam")}
    assert 'id="also-in"' in pages["sam"] and "Scene also in case b" in pages["sam"]
    assert 'id="also-in"' not in pages["rita"]
