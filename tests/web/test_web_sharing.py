"""Shared work: assignments by folder, source and count, each reviewer's share, progress,
double review and the second-opinion queue, and the stacks view."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert, select

from cumberland.store import accounts, audit
from cumberland.store.models import Assignment, Decision, Stack

from .conftest import PASSWORD, Built, login


def _ids(built: Built) -> dict[str, int]:
    return {name: accounts.user_id(built.ws, name) for name in ("alice", "root")}


def _shas(page: str) -> list[str]:
    return re.findall(r'data-sha="([0-9a-f]{64})"', page)


def test_double_review_disagreement_is_settled(app: FastAPI, built: Built) -> None:
    accounts.add_user(built.ws, "carol", "reviewer", PASSWORD)
    accounts.grant(built.ws, "carol", "alpha")
    ids = {**_ids(built), "carol": accounts.user_id(built.ws, "carol")}
    case, shas = built.cases["alpha"], built.media["alpha"]
    root = TestClient(app)
    root_csrf = login(root, "root")
    done = root.post(f"/cases/{case}/assignments", data={
        "csrf": root_csrf, "reviewer": [str(ids["alice"]), str(ids["carol"])],
        "scope": "case", "double": "1"}, follow_redirects=False)
    assert done.status_code == 303
    with built.ws.engine.connect() as conn:
        given = conn.execute(select(Assignment.user_id, Assignment.media_sha256)).all()
    assert len(given) == 16 and {u for u, _ in given} == {ids["alice"], ids["carol"]}
    assert audit.recent(built.ws, case, limit=1)[0].action == "assign"

    alice, carol = TestClient(app), TestClient(app)
    alice_csrf, carol_csrf = login(alice, "alice"), login(carol, "carol")
    share = _shas(alice.get(f"/cases/{case}/review?status=all").text)  # her share by default
    assert len(share) == 8
    target = shas[5]
    url = f"/cases/{case}/decisions"
    alice.post(url, json={"media": [target], "category": 1}, headers={"x-csrf-token": alice_csrf})
    # it left her "to review", and is still in carol's
    assert target not in _shas(alice.get(f"/cases/{case}/review?status=all").text)
    assert target in _shas(carol.get(f"/cases/{case}/review?status=all").text)
    carol.post(url, json={"media": [target], "category": 2}, headers={"x-csrf-token": carol_csrf})
    queue = root.get(f"/cases/{case}/second-opinion").text
    assert _shas(queue) == [target]
    assert "alice" in queue and "carol" in queue

    page = alice.get(f"/cases/{case}/review?status=all").text
    assert re.search(r'id="progress-today">1<', page)
    assert re.search(r'id="progress-share-done">1<', page)
    board = root.get(f"/cases/{case}").text
    assert 'id="reviewer-progress"' in board
    row = re.search(r"<tr><td>alice</td><td>reviewer</td><td>(\d+)</td><td>(\d+)</td>"
                    r"<td>(\d+)</td><td>(\d+)</td>", board)
    assert row and row.groups() == ("1", "1", "8", "1")

    # a reviewer cannot settle; the investigator (here the admin) can
    assert alice.post(url, json={"media": [target], "category": 1, "final": True},
                      headers={"x-csrf-token": alice_csrf}).status_code == 403
    assert root.post(url, json={"media": [target], "category": 2, "final": True},
                     headers={"x-csrf-token": root_csrf}).status_code == 200
    assert _shas(root.get(f"/cases/{case}/second-opinion").text) == []
    with built.ws.engine.connect() as conn:
        assert conn.scalar(select(Decision.category).where(
            Decision.media_sha256 == bytes.fromhex(target))) == 2


def test_assignments_by_folder_source_and_count(app: FastAPI, built: Built) -> None:
    ids = _ids(built)
    case, shas = built.cases["alpha"], built.media["alpha"]
    root = TestClient(app)
    csrf = login(root, "root")
    url = f"/cases/{case}/assignments"

    def assigned() -> dict[str, set[int]]:
        with built.ws.engine.connect() as conn:
            rows = conn.execute(select(Assignment.media_sha256, Assignment.user_id)).all()
        out: dict[str, set[int]] = {}
        for sha, user in rows:
            out.setdefault(bytes(sha).hex(), set()).add(user)
        return out

    root.post(url, data={"csrf": csrf, "reviewer": str(ids["alice"]), "scope": "folder",
                         "folder": "/evidence/alpha/pics/copy_"})
    assert assigned() == {shas[0]: {ids["alice"]}}  # only the media with a copy there
    root.post(url, data={"csrf": csrf, "reviewer": [str(ids["alice"]), str(ids["root"])],
                         "scope": "case", "count": "2"})
    given = assigned()
    assert len(given) == 5  # two more each, in priority order, never the one already given
    assert sum(ids["root"] in v for v in given.values()) == 2
    with built.ws.engine.connect() as conn:
        from cumberland.store.models import Source

        source = conn.scalar(select(Source.id).where(Source.case_id == case))
    root.post(url, data={"csrf": csrf, "reviewer": str(ids["root"]), "scope": "source",
                         "source": str(source)})
    assert len(assigned()) == 8  # the rest of that source
    page = root.get(url).text
    assert 'id="reviewer-progress"' in page and "alice" in page
    # nonsense is refused: someone who is not a member, double review with one reviewer
    stranger = accounts.user_id(built.ws, "bob")
    assert root.post(url, data={"csrf": csrf, "reviewer": str(stranger)}).status_code == 400
    assert root.post(url, data={"csrf": csrf, "reviewer": str(ids["alice"]),
                                "double": "1"}).status_code == 400
    # taking back what is left keeps what she already categorised
    alice = TestClient(app)
    alice_csrf = login(alice, "alice")
    mine = [s for s, who in assigned().items() if ids["alice"] in who]
    alice.post(f"/cases/{case}/decisions", json={"media": mine[:1], "category": 0},
               headers={"x-csrf-token": alice_csrf})
    root.post(f"{url}/clear", data={"csrf": csrf, "reviewer": str(ids["alice"])})
    assert [s for s, who in assigned().items() if ids["alice"] in who] == mine[:1]
    # reviewers may not split a case
    assert alice.get(url).status_code == 403


def test_stacks_view_one_tile_per_stack(client: TestClient, built: Built) -> None:
    case, shas = built.cases["alpha"], built.media["alpha"]
    with built.ws.engine.begin() as conn:
        conn.execute(insert(Stack), [
            {"case_id": case, "media_sha256": bytes.fromhex(s), "stack": n, "method": "pdq"}
            for n, group in enumerate([(shas[5], shas[6], shas[7]), (shas[1], shas[2])])
            for s in group])
    csrf = login(client, "alice")
    page = client.get(f"/cases/{case}/stacks").text
    assert len(_shas(page)) == 2
    assert "stack of 3" in page and "stack of 2" in page
    representative = _shas(page)[1]  # the camera original comes first in its stack
    assert representative in (shas[1], shas[2])
    client.post(f"/cases/{case}/decisions", json={"media": [representative], "category": 3,
                                                  "stacks": True},
                headers={"x-csrf-token": csrf})
    with built.ws.engine.connect() as conn:
        decided = {bytes(s).hex() for s in conn.scalars(select(Decision.media_sha256))}
    assert decided == {shas[1], shas[2]}
    assert "3 categorised" not in client.get(f"/cases/{case}/stacks").text
    assert "2 categorised" in client.get(f"/cases/{case}/stacks").text
