"""The platform pages: case access as the workbench's (404 to non-members), evidence shown,
a reviewer's cut audited and applied."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from cumberland.store import accounts, audit
from cumberland.store.models import Case
from cumberland.store.platform_models import PlatformAccount, PlatformPerson
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from web.conftest import PASSWORD, login, web_config


def _client(ws: Workspace) -> TestClient:
    accounts.add_user(ws, "rita", "reviewer", PASSWORD)
    accounts.add_user(ws, "olaf", "reviewer", PASSWORD)
    accounts.add_user(ws, "aude", "auditor", PASSWORD)
    accounts.grant(ws, "rita", "op")
    accounts.grant(ws, "aude", "op")
    return TestClient(create_app(ws, web_config()))


def _person(ws: Workspace, label: str) -> int:
    with ws.session() as s:
        return int(s.scalar(select(PlatformPerson.id).where(PlatformPerson.label == label))
                   or 0)


def test_pages_show_countries_persons_and_evidence(analysed: tuple[Workspace, int]) -> None:
    ws, case = analysed
    client = _client(ws)
    login(client, "rita")
    page = client.get(f"/cases/{case}/platform")
    assert page.status_code == 200
    assert re.search(r">ES</a></td><td>6<", page.text) and "uploader-unknown" in page.text
    listing = client.get(f"/cases/{case}/platform/persons", params={"country": "DE"})
    assert listing.text.index("Alice Example") < listing.text.index("Carol Test")
    alice = client.get(f"/cases/{case}/platform/persons/{_person(ws, 'Alice Example')}")
    assert alice.status_code == 200
    assert "aliceexample@gmail.com" in alice.text and "confidence high" in alice.text
    assert "<img" not in alice.text  # no media on these pages
    stranger = client.get(f"/cases/{case}/platform/persons/{_person(ws, 'Stranger 1')}")
    assert "point elsewhere: processor" in stranger.text


def test_non_members_and_foreign_persons_get_404(analysed: tuple[Workspace, int]) -> None:
    ws, case = analysed
    client = _client(ws)
    login(client, "olaf")  # a reviewer, but not of this case
    assert client.get(f"/cases/{case}/platform").status_code == 404
    assert client.get(f"/cases/{case}/platform/persons/1").status_code == 404
    client = TestClient(client.app)
    login(client, "rita")
    with ws.engine.begin() as conn:
        conn.execute(Case.__table__.insert().values(name="other", created_at=0.0))
    assert client.get(f"/cases/{case}/platform/persons/99999999").status_code == 404
    assert client.get(f"/cases/{case}/platform/persons/99999999999999").status_code == 404


def test_a_reviewer_cuts_a_link_and_it_is_audited(analysed: tuple[Workspace, int]) -> None:
    ws, case = analysed
    client = _client(ws)
    csrf = login(client, "rita")
    with ws.session() as s:
        ids = {r[0]: r[1] for r in s.execute(select(PlatformAccount.ext_id, PlatformAccount.id))}
    alice = _person(ws, "Alice Example")
    form = {"account_a": str(ids["1"]), "account_b": str(ids["2"]), "decision": "cut",
            "note": "two people", "back": f"/cases/{case}/platform/persons/{alice}"}
    refused = client.post(f"/cases/{case}/platform/links", data=form, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    done = client.post(f"/cases/{case}/platform/links", data={**form, "csrf": csrf},
                       follow_redirects=False)
    assert done.status_code == 303
    entry = audit.recent(ws, case)[0]
    assert (entry.actor, entry.action, entry.target) == (
        "rita", "platform-link-cut", f"accounts {ids['1']}-{ids['2']}")
    with ws.session() as s:
        persons = s.scalars(select(PlatformPerson).where(PlatformPerson.label.in_(
            ["Alice Example", "A. Example"]))).all()
    assert len(persons) == 2  # alice's accounts are now two persons
    auditor = TestClient(client.app)
    token = login(auditor, "aude")
    denied = auditor.post(f"/cases/{case}/platform/links", data={**form, "csrf": token},
                          follow_redirects=False)
    assert denied.status_code == 403  # an auditor reads, never decides
