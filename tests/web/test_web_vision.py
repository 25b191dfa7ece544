"""Text search and persons in Debian's chromium: the search box finds the sign with its word
boxed on a blurred tile, and the viewer boxes its words once revealed, the word searched for
highlighted; persons show blurred face crops; a reviewer names a person, splits a
face off, merges it back and confirms, each change in the audit log."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select
from tests.vision.conftest import triage_case

from cumberland.store import accounts, writer
from cumberland.store.models import AuditEntry
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import running

from .conftest import PASSWORD
from .test_web_flows import CHROMIUM, _tab, browser  # noqa: F401  (the module's browser)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium")]
sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect


def test_text_search_and_persons_named_split_merged_confirmed(browser: Browser,  # noqa: F811
                                                              tmp_path: Path) -> None:
    triage_case(tmp_path)
    ws = Workspace(tmp_path / "ws")
    case = writer.case_id(ws, "v", create=False)
    accounts.add_user(ws, "rita", "reviewer", PASSWORD)
    accounts.grant(ws, "rita", "v")
    with running(create_app(ws)) as url:
        tab = _tab(browser, url, "rita")
        tab.goto(f"{url}/cases/{case}/text")
        tab.fill("#text-query", "hotel")
        tab.press("#text-query", "Enter")
        expect(tab.locator("#text-count")).to_contain_text("1 picture(s)")
        hit = tab.locator(".text-hit")
        expect(hit).to_have_count(1)
        expect(hit.locator(".word-box")).to_have_count(1)
        assert hit.locator("img").get_attribute("src", timeout=5000).endswith("/thumb")

        hit.locator("a").click()  # the viewer: every word boxed once revealed, HOTEL lit
        boxes = tab.locator("#text-boxes")
        expect(boxes).to_be_hidden()  # blurred: no boxes
        tab.click("#reveal")
        expect(boxes).to_be_visible()
        expect(boxes.locator(".word-box.hit")).to_have_count(1)
        expect(boxes.locator(".word-box.hit")).to_have_attribute("data-word", "HOTEL")
        expect(boxes.locator(".word-box:not(.hit)")).to_have_count(1)  # Zürich, not asked
        expect(boxes.locator(".word-box.hit .word-label")).to_have_text("HOTEL")
        sign = tab.locator("#picture").bounding_box()
        word = boxes.locator(".word-box.hit").bounding_box()
        assert sign and word and sign["x"] <= word["x"] < word["x"] + word["width"] \
            <= sign["x"] + sign["width"] / 2  # on the sign's left half, where it was drawn
        tab.keyboard.press("x")
        expect(boxes).to_be_hidden()

        tab.goto(f"{url}/cases/{case}/persons")
        rows = tab.locator("#persons tr[data-person]")
        expect(rows).to_have_count(1)
        crops = rows.first.locator("svg.face-crop image")
        expect(crops).to_have_count(2)
        assert all(c.get_attribute("href").endswith("/thumb") for c in crops.all())

        tab.click("text=person 1")
        tab.fill("#name-input", "Astronaut A")
        tab.click("button:has-text('Name')")
        expect(rows.first.locator(".name")).to_have_text("Astronaut A")
        tab.click("text=person 1")
        tab.locator("button.split").first.click()
        expect(rows).to_have_count(2)
        alone = tab.locator("#persons tr[data-person]:not(:has-text('Astronaut A')) a").first
        alone.click()
        tab.select_option("#merge-into", label=str(1 if "/persons/2" in tab.url else 2))
        tab.click("button:has-text('Merge')")
        expect(rows).to_have_count(1)
        expect(rows.first.locator(".name")).to_have_text("Astronaut A")
        tab.click("text=person 1")
        tab.click("#confirm")
        expect(rows.first.locator(".name")).to_contain_text("confirmed")
        tab.click("text=person 1")
        tab.locator("a.like").first.click()  # query by face: the other copy, same person
        similar = tab.locator("#similar tr[data-face]")
        expect(similar).to_have_count(1)
        expect(similar.first).to_contain_text("same person?")
        assert similar.first.locator("image").get_attribute("href").endswith("/thumb")
        tab.context.close()
    with ws.engine.connect() as conn:
        actions = list(conn.scalars(select(AuditEntry.action).where(
            AuditEntry.case_id == case, AuditEntry.action.like("person-%"))
            .order_by(AuditEntry.id)))
    ws.close()
    assert actions[0] == "person-name" and "person-split" in actions
    assert "person-merge" in actions and actions[-1] == "person-confirm"


def test_faces_like_this_reach_only_the_cases_one_may_see(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from cumberland.analysis.persons import persons
    from cumberland.cli import app

    from .conftest import login, web_config

    triage_case(tmp_path)  # case v; the same pictures triaged again as case w
    again = CliRunner().invoke(app, ["triage", str(tmp_path / "evidence"), "--case", "w",
                                     "--workspace", str(tmp_path / "ws"), "--workers", "1"])
    assert again.exit_code == 0, again.output
    ws = Workspace(tmp_path / "ws")
    case = writer.case_id(ws, "v", create=False)
    for name, cases in (("rita", ["v", "w"]), ("bob", ["v"])):
        accounts.add_user(ws, name, "reviewer", PASSWORD)
        for c in cases:
            accounts.grant(ws, name, c)
    ref = persons(ws, case)[0].faces[0].ref
    seen = {}
    for name in ("rita", "bob"):
        client = TestClient(create_app(ws, web_config()))
        login(client, name)
        page = client.get(f"/cases/{case}/similar-faces", params={"face": ref})
        assert page.status_code == 200
        seen[name] = page.text.count("<tr data-face=")
        assert "/sharp" not in page.text  # nothing revealed: every crop blurred
    assert client.get(f"/cases/{case}/similar-faces", params={"face": "00:0"}).status_code == 404
    ws.close()
    assert seen == {"rita": 3, "bob": 1}  # w's two faces only for a member of w
