"""Within one organisation: the fact, the owner and a request-access action, never the name
of a case the viewer is not a member of (SQLite, and a shared PostgreSQL workspace)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.intel.deconflict import cases, org
from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.store import accounts
from cumberland.store.models import AuditEntry
from cumberland.store.workspace import Workspace

from .conftest import add_media, sha

PASSWORD = "benign-test-password"


def build(ws: Workspace) -> dict[str, int]:
    ids = {"op-alder": add_media(ws, "op-alder", [1, 2, 3, 4]),
           "op-birch": add_media(ws, "op-birch", [1, 2, 9]),
           "op-cedar": add_media(ws, "op-cedar", [2, 3])}
    for user in ("alice", "bob"):
        accounts.add_user(ws, user, "investigator", PASSWORD)
    for user, case in (("alice", "op-alder"), ("alice", "op-cedar"), ("bob", "op-birch")):
        accounts.grant(ws, user, case)
    cases.set_owner(ws, "op-birch", "bob", "admin")
    return ids


def scenario(ws: Workspace) -> None:
    ids = build(ws)
    alice, bob = accounts.user_id(ws, "alice"), accounts.user_id(ws, "bob")
    rows = {r.sha256: r for r in org.elsewhere(ws, alice, ids["op-alder"])}
    assert set(rows) == {sha(1), sha(2), sha(3)}
    assert rows[sha(1)].member_cases == () and rows[sha(1)].other_cases == 1
    assert rows[sha(1)].owners == ("bob",)
    assert rows[sha(2)].member_cases == ("op-cedar",) and rows[sha(2)].other_cases == 1
    assert rows[sha(3)].member_cases == ("op-cedar",) and rows[sha(3)].other_cases == 0
    assert "op-birch" not in repr(list(rows.values()))
    with pytest.raises(DeconflictError, match="not a member"):
        org.elsewhere(ws, alice, ids["op-birch"])
    assert org.request_access(ws, alice, ids["op-alder"], sha(1)) == 1
    with pytest.raises(DeconflictError, match="no other case you cannot see"):
        org.request_access(ws, alice, ids["op-alder"], sha(3))
    assert [r.requested for r in org.elsewhere(ws, alice, ids["op-alder"])
            if r.sha256 == sha(1)] == [True]
    pending = org.access_requests(ws, bob)
    assert [(p.case, p.user, p.from_case, p.status) for p in pending] == [
        ("op-birch", "alice", "op-alder", "open")]
    org.decide(ws, pending[0].id, True, "bob")
    assert accounts.is_member(ws, alice, ids["op-birch"])
    rows = {r.sha256: r for r in org.elsewhere(ws, alice, ids["op-alder"])}
    assert rows[sha(1)].member_cases == ("op-birch",) and rows[sha(1)].other_cases == 0
    with ws.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEntry))]
    assert "access-request" in actions and "access-granted" in actions


def test_within_one_organisation(workspace: Workspace) -> None:
    scenario(workspace)


def test_cli_shows_owner_not_case(workspace: Workspace) -> None:
    build(workspace)
    root = str(workspace.root)
    result = CliRunner().invoke(app, ["deconflict", "elsewhere", "--case", "op-alder",
                                      "--user", "alice", "--json", "-w", root])
    assert result.exit_code == 0, result.output
    rows = {r["sha256"]: r for r in map(json.loads, result.output.splitlines())}
    assert "op-birch" not in result.output
    assert rows[sha(1).hex()]["owners"] == ["bob"]
    result = CliRunner().invoke(app, ["deconflict", "request-access", "--case", "op-alder",
                                      "--user", "alice", "--media", sha(1).hex(), "-w", root])
    assert result.exit_code == 0, result.output
    listed = CliRunner().invoke(app, ["deconflict", "access-requests", "--owner", "bob",
                                      "--json", "-w", root])
    request = json.loads(listed.output)
    assert request["user"] == "alice" and request["case"] == "op-birch"
    decided = CliRunner().invoke(app, ["deconflict", "decide-access", str(request["id"]),
                                       "--decline", "-w", root])
    assert decided.exit_code == 0 and "declined" in decided.output
