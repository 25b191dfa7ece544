"""Trace An Object end to end in Debian's chromium: an investigator reveals a picture and
draws a box around the mug, an approver approves it, the site is published and served by
the tips server, a member of the public sends a tip from the object's page (the proof of
work done by tips.js; once more without JavaScript), the tip is pulled and shows in the case.

With CUMBERLAND_SCREENSHOTS=DIR the pages are also saved there (docs/trace-an-object.md)."""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from cumberland.intel.trace.objects import get_object
from cumberland.intel.trace.publish import publish
from cumberland.intel.trace.tips import pull
from cumberland.settings import Settings
from cumberland.tips.db import TipsDb, read_tips
from cumberland.tips.server import TipsApp, uvicorn_config
from cumberland.web import create_app
from cumberland.web.background import BROWSER_ARGS, running
from cumberland.web.security import WebConfig

from .conftest import MUG, PASSWORD, Scene

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect
SHOTS = os.environ.get("CUMBERLAND_SCREENSHOTS")


def shot(tab: Page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


@pytest.fixture()
def browser() -> Iterator[Browser]:
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=BROWSER_ARGS)
        yield launched
        launched.close()


def logged_in(browser: Browser, url: str, name: str) -> Page:
    tab = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    tab.set_default_timeout(30_000)
    tab.goto(f"{url}/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("button[type=submit]")
    expect(tab).to_have_url(f"{url}/")
    return tab


@pytest.fixture()
def tips_socket() -> Iterator[socket.socket]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield sock
    sock.close()


def test_from_a_revealed_picture_to_a_tip_in_the_case(browser: Browser, scene: Scene,
                                                      tips_socket: socket.socket,
                                                      tmp_path: Path) -> None:
    config = WebConfig(allowed_hosts=("127.0.0.1", *WebConfig().allowed_hosts))
    with running(create_app(scene.ws, config)) as url:
        ivan = logged_in(browser, url, "ivan")
        ivan.goto(f"{url}/cases/{scene.case_id}/media/{scene.sha256}")
        ivan.click("#reveal")
        expect(ivan.locator("#picture")).to_have_attribute("src", re.compile(r"/full$"))
        with ivan.expect_navigation():
            ivan.click("#trace-object")
        picture = ivan.locator("#trace-picture")
        ivan.wait_for_function(
            "() => document.getElementById('trace-picture').naturalWidth === 1600")
        box = picture.bounding_box()
        assert box is not None
        x, y, w, h = (int(v) for v in MUG.split(","))
        scale = box["width"] / 1600
        ivan.mouse.move(box["x"] + x * scale, box["y"] + y * scale)
        ivan.mouse.down()
        ivan.mouse.move(box["x"] + (x + w / 2) * scale, box["y"] + (y + h / 2) * scale)
        ivan.mouse.move(box["x"] + (x + w) * scale, box["y"] + (y + h) * scale)
        ivan.mouse.up()
        expect(ivan.locator("#trace-box")).to_be_visible()
        drawn = [int(v) for v in ivan.locator("#region").input_value().split(",")]
        assert all(abs(a - b) <= 4 for a, b in zip(drawn, (x, y, w, h), strict=True)), drawn
        ivan.fill("#title", "Red mug with a yellow star")
        ivan.select_option("#category", "packaging")
        ivan.fill("#hints", "Where is this mug sold?\nHave you seen this logo?")
        shot(ivan, "trace-new")
        with ivan.expect_navigation():
            ivan.click("#make-object")
        public_id = ivan.url.rsplit("/", 1)[1]
        expect(ivan.locator("#object-state")).to_have_text("candidate")
        expect(ivan.locator("#approve")).to_have_count(0)  # the maker never approves

        anna = logged_in(browser, url, "anna")
        anna.goto(f"{url}/cases/{scene.case_id}/objects/{public_id}")
        if anna.locator("#override-faces").count():  # without a face detector installed
            anna.check("#override-faces")
            anna.fill("#approve-note", "looked: a mug on a table, no face")
        shot(anna, "trace-approve")
        with anna.expect_navigation():
            anna.click("#approve")
        expect(anna.locator("#object-state")).to_have_text("approved")

        port = tips_socket.getsockname()[1]
        site, db_path = tmp_path / "site", tmp_path / "tips" / "tips.db"
        publish(scene.ws, [scene.case], site, f"http://127.0.0.1:{port}/tip", "anna",
                Settings(), pow_bits=12)
        db = TipsDb(db_path)
        tips_server = uvicorn.Server(uvicorn_config(TipsApp(site, db)))
        thread = threading.Thread(target=tips_server.run, kwargs={"sockets": [tips_socket]},
                                  daemon=True)
        thread.start()
        try:
            public = browser.new_context(viewport={"width": 1000, "height": 900}).new_page()
            public.set_default_timeout(60_000)
            public.goto(f"http://127.0.0.1:{port}/fr/objects/{public_id}.html")
            expect(public.locator("h1")).to_have_text("Red mug with a yellow star")
            public.fill("#text", "Je connais ce mug : il est vendu\nau marché de Lyon.")
            shot(public, "trace-public")
            public.click("button[type=submit]")
            expect(public).to_have_url(f"http://127.0.0.1:{port}/fr/thanks.html")
            plain = browser.new_context(java_script_enabled=False).new_page()
            plain.goto(f"http://127.0.0.1:{port}/en/objects/{public_id}.html")
            plain.fill("#text", "Same mug at a flea market in Ghent.")
            plain.click("button[type=submit]")
            expect(plain).to_have_url(f"http://127.0.0.1:{port}/en/thanks.html")
        finally:
            tips_server.should_exit = True
            thread.join(30)
            db.close()
        waiting = read_tips(db_path)
        assert sorted((t["lang"], t["lane"]) for t in waiting) == [("en", "plain"),
                                                                    ("fr", "pow")]
        assert any(t["text"] == "Je connais ce mug : il est vendu\nau marché de Lyon."
                   for t in waiting)
        assert pull(scene.ws, scene.case, waiting, "ivan").added == 2

        ivan.goto(f"{url}/cases/{scene.case_id}/objects/{public_id}")
        expect(ivan.locator("#tips")).to_contain_text("vendu")
        expect(ivan.locator("#tips")).to_contain_text("flea market in Ghent")
        shot(ivan, "trace-tips")
        assert get_object(scene.ws, public_id).published_at is not None
