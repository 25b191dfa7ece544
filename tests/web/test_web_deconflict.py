"""The workbench's "also held elsewhere" page: owner and request-access, never the case name."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from cumberland.intel.deconflict import cases
from cumberland.store.models import Item, Source

from .conftest import Built, login


def _share(built: Built) -> str:
    """bravo also finds alpha's first media."""
    shared = built.media["alpha"][0]
    with built.ws.engine.begin() as conn:
        source = conn.scalar(select(Source.id).where(Source.case_id == built.cases["bravo"]))
        conn.execute(insert(Item).values(
            case_id=built.cases["bravo"], source_id=source, path="/evidence/bravo/same.jpg",
            path_key=b"s" * 20, chain=["same.jpg"], size=1, status="done",
            media_sha256=bytes.fromhex(shared), mime="image/jpeg", deleted=False))
    cases.set_owner(built.ws, "bravo", "bob", "root")
    return shared


def test_member_sees_owner_and_requests_access(built: Built, client: TestClient) -> None:
    shared = _share(built)
    csrf = login(client, "alice")
    alpha, bravo = built.cases["alpha"], built.cases["bravo"]
    page = client.get(f"/cases/{alpha}/elsewhere")
    assert page.status_code == 200
    assert shared in page.text and "bob" in page.text and "bravo" not in page.text
    assert client.get(f"/cases/{bravo}/elsewhere").status_code == 404
    filed = client.post(f"/cases/{alpha}/elsewhere/{shared}/request-access",
                        data={"csrf": csrf}, follow_redirects=False)
    assert filed.status_code == 303
    assert "requested" in client.get(f"/cases/{alpha}/elsewhere").text
    no_csrf = client.post(f"/cases/{alpha}/elsewhere/{shared}/request-access")
    assert no_csrf.status_code == 403
    client.post("/logout", data={"csrf": csrf})
    bob_csrf = login(client, "bob")
    listing = client.get("/deconflict/access")
    assert "alice" in listing.text and shared in listing.text
    number = listing.text.split('name="request" value="')[1].split('"')[0]
    granted = client.post("/deconflict/access", data={"csrf": bob_csrf, "request": number,
                                                      "verdict": "grant"},
                          follow_redirects=False)
    assert granted.status_code == 303
    client.post("/logout", data={"csrf": bob_csrf})
    login(client, "alice")
    assert client.get(f"/cases/{bravo}").status_code == 200  # now a member


def test_others_cannot_answer_requests_to_a_case_they_do_not_own(
        built: Built, client: TestClient) -> None:
    shared = _share(built)
    csrf = login(client, "alice")
    client.post(f"/cases/{built.cases['alpha']}/elsewhere/{shared}/request-access",
                data={"csrf": csrf})
    assert "No requests" in client.get("/deconflict/access").text
    assert client.post("/deconflict/access", data={"csrf": csrf, "request": "1",
                                                   "verdict": "grant"}).status_code == 404
