"""A video in the viewer once revealed: the keyframes the analysis read text on are among
those scrubbed, shown at their own time, with the words read there boxed over them as over a
picture (the word a text search asked for highlighted), and the same toggle. The OCR row is
written here as signals/ocr.py stores a video's (per keyframe, with its time): what OCR
reads on keyframes is tests/vision/test_video_vision.py's."""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import delete, insert

from cumberland.store.models import SignalRecord
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import running

from .conftest import Evidence, login, web_config
from .test_web_flows import CHROMIUM, _tab, browser  # noqa: F401  (the module's browser)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

READ_AT = 2.5  # a keyframe of the analysis between the video's own keyframes
WORDS = [("HOTEL", [0.1, 0.2, 0.3, 0.1]), ("BERLIN", [0.45, 0.2, 0.35, 0.1])]


def _read_text(ws: Workspace, sha: str) -> None:
    words = [{"text": t, "box": box, "confidence": 90.0} for t, box in WORDS]
    line = {"text": " ".join(t for t, _ in WORDS), "confidence": 90.0, "words": words,
            "quad": [[0.1, 0.2], [0.8, 0.2], [0.8, 0.3], [0.1, 0.3]]}
    with ws.engine.begin() as conn:  # in place of what OCR read on the generated scenes
        conn.execute(delete(SignalRecord).where(SignalRecord.media_sha256 == bytes.fromhex(sha),
                                                SignalRecord.name == "ocr"))
        conn.execute(insert(SignalRecord), [{
            "media_sha256": bytes.fromhex(sha), "name": "ocr", "version": 1,
            "data": {"text": line["text"], "search": "hotel berlin", "keyframes": 4,
                     "frames": [{"t": READ_AT, "lines": [line]}]}}])


def test_a_keyframe_of_the_analysis_is_shown_at_its_time_after_a_reveal(
        evidence: tuple[Evidence, Workspace]) -> None:
    ev, ws = evidence
    client = TestClient(create_app(ws, web_config()))
    csrf = login(client, "vera")
    base = f"/cases/{ev.case}/media/{ev.by_name['scene.webm']}"
    assert client.get(f"{base}/frame?t={READ_AT}").status_code == 404  # not revealed
    assert client.post(f"{base}/reveal", headers={"x-csrf-token": csrf}).status_code == 200
    frame = client.get(f"{base}/frame?t={READ_AT}")
    assert frame.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frame.content)).size == (320, 240)
    for bad in ("-1", "nan", "inf"):
        assert client.get(f"{base}/frame?t={bad}").status_code in (400, 422), bad
    _read_text(ws, ev.by_name["scene.webm"])  # a text search's video hit opens at its keyframe
    found = client.get(f"/cases/{ev.case}/text", params={"q": "hotel"}).text
    assert f'href="{base}?q=hotel&amp;t={READ_AT}"' in found


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")
def test_words_read_on_a_keyframe_are_boxed_over_it(
        browser: Browser, evidence: tuple[Evidence, Workspace]) -> None:  # noqa: F811
    expect = pytest.importorskip("playwright.sync_api").expect
    ev, ws = evidence
    sha = ev.by_name["scene.webm"]
    _read_text(ws, sha)
    with running(create_app(ws)) as url:
        tab = _tab(browser, url, "vera")
        tab.goto(f"{url}/cases/{ev.case}/media/{sha}?q=hotel&t={READ_AT}")
        boxes = tab.locator("#text-boxes")
        expect(tab.locator("#text-toggle")).to_contain_text("Text (2)")
        expect(boxes).to_be_hidden()
        assert boxes.locator(".word-box").count() == 0  # nothing drawn before the reveal
        tab.keyboard.press("r")
        picture = tab.locator("#picture")
        expect(picture).to_have_attribute("src", re.compile(rf"/frame\?t={READ_AT}$"))
        expect(boxes).to_be_visible()
        expect(boxes.locator(".word-box.hit")).to_have_attribute("data-word", "HOTEL")
        expect(boxes.locator(".word-box:not(.hit) .word-label")).to_have_text("BERLIN")
        expect(tab.locator("#scrub-at")).to_contain_text("2 word(s) read")
        shown = picture.bounding_box()
        word = boxes.locator(".word-box.hit").bounding_box()
        assert shown and word and abs(word["x"] - (shown["x"] + 0.1 * shown["width"])) < 3
        tab.keyboard.press("x")
        expect(boxes).to_be_hidden()
        tab.keyboard.press("x")
        expect(boxes).to_be_visible()
        tab.keyboard.press(",")  # the video's keyframe before it: nothing read there
        expect(picture).to_have_attribute("src", re.compile(r"/frame\?i=\d+$"))
        expect(boxes.locator(".word-box")).to_have_count(0)
        tab.context.close()
