"""`audit verify` against a chain edited and re-hashed to its end, and against decisions edited
in the database: signed anchors (Ed25519, key outside the workspace) and the decision replay."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from typer.testing import CliRunner

from cumberland.cli import app as cli
from cumberland.store import anchors, audit
from cumberland.store.models import AuditEntry, Decision
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.anchoring import AnchorSchedule

from .conftest import Built, login, web_config


@pytest.fixture()
def key(tmp_path: Path) -> Path:
    path = tmp_path / "agency" / "audit-key.pem"
    anchors.generate_key(path)
    return path


def _rehash_from(ws: Workspace, first: int) -> None:
    """What someone with write access to the database can do: recompute every hash from
    ``first`` on, so the chain verifies again."""
    with ws.engine.begin() as conn:
        prev = conn.scalar(select(AuditEntry.row_hash).where(AuditEntry.id == first - 1)) \
            or audit.GENESIS
        rows = conn.execute(select(AuditEntry).where(AuditEntry.id >= first)
                            .order_by(AuditEntry.id)).all()
        for row in rows:
            digest = audit.row_hash(prev, audit._fields(row.id, row.at, row.actor, row.action,
                                                        row.case_id, row.target, row.details))
            # a fresh prev_hash first: the column is unique
            conn.execute(update(AuditEntry).where(AuditEntry.id == row.id).values(
                prev_hash=f"tmp{row.id}"))
            conn.execute(update(AuditEntry).where(AuditEntry.id == row.id).values(
                prev_hash=prev, row_hash=digest))
            prev = digest


def _notes(ws: Workspace, n: int) -> None:
    for i in range(n):
        audit.append(ws, "tester", "note", details={"n": i})


def test_a_rehashed_chain_is_caught_by_a_signed_anchor(built: Built, key: Path) -> None:
    ws = built.ws
    _notes(ws, 6)
    written = anchors.write_anchor(ws, key)
    assert written.entry == 6
    assert anchors.verify_all(ws, key_path=key).ok
    with ws.engine.begin() as conn:  # an entry is changed...
        conn.execute(update(AuditEntry).where(AuditEntry.id == 3).values(actor="someone else"))
    _rehash_from(ws, 3)  # ...and every later hash recomputed
    assert audit.verify(ws).ok  # the chain alone cannot tell
    report = anchors.verify_all(ws, key_path=key)
    assert not report.ok
    [finding] = report.findings
    assert "entry 6" in finding and "modified and the chain re-hashed" in finding
    assert "removed from its end" not in finding


def test_the_cli_says_modified_not_removed_for_a_rehashed_chain(built: Built) -> None:
    ws = built.ws
    _notes(ws, 4)
    runner = CliRunner()
    w = ["--workspace", str(ws.root)]
    ok = runner.invoke(cli, ["audit", "verify", *w])
    assert ok.exit_code == 0
    kept = re.search(r"keep (\d+:[0-9a-f]{64})", ok.output)
    assert kept
    with ws.engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="mallory"))
    _rehash_from(ws, 2)
    result = runner.invoke(cli, ["audit", "verify", "--anchor", kept.group(1), *w])
    assert result.exit_code == 1
    assert "modified and the chain re-hashed" in result.output
    assert "removed from its end" not in result.output


def test_entries_removed_from_the_end_after_an_anchor(built: Built, key: Path) -> None:
    ws = built.ws
    _notes(ws, 5)
    anchors.write_anchor(ws, key)
    with ws.engine.begin() as conn:
        conn.execute(AuditEntry.__table__.delete().where(AuditEntry.id >= 4))
    [finding] = anchors.verify_all(ws, key_path=key).findings
    assert "entries 4-5 were removed from its end" in finding


def test_a_forged_anchor_and_a_missing_anchor_file(built: Built, key: Path,
                                                    tmp_path: Path) -> None:
    ws = built.ws
    _notes(ws, 2)
    anchors.write_anchor(ws, key)
    path = anchors.default_anchors(key)
    record = json.loads(path.read_text())
    record["entry"] = 1  # edited: the signature no longer covers it
    path.write_text(json.dumps(record) + "\n")
    findings = anchors.verify_all(ws, key_path=key).findings
    assert any("signature does not verify" in f for f in findings)
    path.unlink()
    assert any("no signed anchor" in f for f in anchors.verify_all(ws, key_path=key).findings)
    # a key of someone else does not verify our anchors
    other = tmp_path / "other" / "key.pem"
    anchors.generate_key(other)
    anchors.write_anchor(ws, key)
    assert any("signature does not verify" in f for f in
               anchors.verify_all(ws, key_path=other, anchors=path).findings)


def test_a_broken_chain_is_not_anchored(built: Built, key: Path) -> None:
    ws = built.ws
    _notes(ws, 3)
    with ws.engine.begin() as conn:
        conn.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="x"))
    with pytest.raises(anchors.AnchorError, match="entry 2"):
        anchors.write_anchor(ws, key)


def test_the_key_must_live_outside_the_workspace(built: Built) -> None:
    inside = built.ws.root / "keys" / "audit.pem"
    with pytest.raises(anchors.AnchorError, match="inside the workspace"):
        anchors.write_anchor(built.ws, inside)
    result = CliRunner().invoke(cli, ["audit", "keygen", "--out", str(inside),
                                      "--workspace", str(built.ws.root)])
    assert result.exit_code == 2 and "inside the workspace" in result.output
    assert not inside.exists()


def test_decisions_edited_in_the_database_are_found(client: TestClient, built: Built) -> None:
    csrf = login(client, "alice")
    case, shas = built.cases["alpha"], built.media["alpha"]
    url = f"/cases/{case}/decisions"
    headers = {"x-csrf-token": csrf}
    client.post(url, json={"media": shas[:3], "category": 1}, headers=headers)
    client.post(url, json={"media": shas[2:3], "category": None}, headers=headers)
    assert anchors.verify_all(built.ws).ok
    with built.ws.engine.begin() as conn:
        conn.execute(update(Decision).where(Decision.media_sha256 == bytes.fromhex(shas[0]))
                     .values(category=0))
        conn.execute(Decision.__table__.delete().where(
            Decision.media_sha256 == bytes.fromhex(shas[1])))
        conn.execute(Decision.__table__.insert().values(
            case_id=case, media_sha256=bytes.fromhex(shas[5]), scheme="vics-us", category=2,
            user_id=None, decided_at=0.0))
    findings = anchors.verify_all(built.ws).findings
    text = "\n".join(findings)
    assert f"media {shas[0][:16]} is 0 (vics-us) in the table but 1 (vics-us) in the log" in text
    assert f"media {shas[1][:16]} is 1 (vics-us) in the log" in text and "deleted" in text
    assert f"media {shas[5][:16]} is 2 (vics-us) in the table but was never" in text
    assert audit.verify(built.ws).ok  # the chain itself is untouched
    result = CliRunner().invoke(cli, ["audit", "verify", "--workspace", str(built.ws.root)])
    assert result.exit_code == 1 and "edited directly" in result.output


def test_exports_and_the_schedule_write_anchors(built: Built, key: Path) -> None:
    app = create_app(built.ws, web_config(audit_key=key))
    client = TestClient(app)
    csrf = login(client, "root")
    case = built.cases["alpha"]
    assert client.post(f"/cases/{case}/export/vics", data={"csrf": csrf}).status_code == 200
    path = anchors.default_anchors(key)
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["reason"] for r in records] == ["export-vics"]
    exported = audit.recent(built.ws, case, limit=1)[0]
    assert exported.action == "export-vics" and records[0]["entry"] == exported.id
    schedule = AnchorSchedule(built.ws, app.state.config)
    assert schedule.tick() is None  # nothing new since the export's anchor
    audit.append(built.ws, "tester", "note")
    assert schedule.tick() is not None
    assert len(path.read_text().splitlines()) == 2
    page = client.get("/audit").text
    assert "2 signed anchor(s) match" in page
    # the CLI's exports anchor too
    out = built.ws.root.parent / "cli-export.json"
    done = CliRunner().invoke(cli, ["export", "vics", "--case", "alpha", "--out", str(out),
                                    "--audit-key", str(key), "--workspace", str(built.ws.root)])
    assert done.exit_code == 0, done.output
    assert json.loads(path.read_text().splitlines()[-1])["reason"] == "export-vics"
    with sqlite3.connect(built.ws.root / "cumberland.db") as conn:
        last = conn.execute("SELECT max(id) FROM audit_log").fetchone()[0]
    assert json.loads(path.read_text().splitlines()[-1])["entry"] == last
