"""The load test's loop without its timings: concurrent reviewers on one server lose no
decision and leave the audit chain intact and matching the decisions table."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from cumberland.store import accounts
from cumberland.store.anchors import verify_all
from cumberland.store.models import AuditEntry, Decision
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import running
from cumberland.web.loadtest import Reviewer, run

from .conftest import PASSWORD, add_case


def test_concurrent_reviewers_lose_nothing(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    case, shas = add_case(ws, "load", list(range(2000, 2024)))
    names = ["r0", "r1", "r2", "r3"]
    for name in names:
        accounts.add_user(ws, name, "reviewer", PASSWORD)
        accounts.grant(ws, name, "load")
    reviewers = [Reviewer(n, PASSWORD, shas[i * 6:(i + 1) * 6]) for i, n in enumerate(names)]
    with running(create_app(ws)) as url:
        result = run(url, case, reviewers, rounds=15, categories=[0, 1, 2, 3, 4])
    assert result.errors == [] and result.decisions == 60
    expected = {bytes.fromhex(s): c for r in reviewers for s, c in r.sent.items()}
    assert len(expected) == 24
    with ws.engine.connect() as conn:
        stored = {bytes(s): c for s, c in conn.execute(
            select(Decision.media_sha256, Decision.category))}
        logged = conn.scalar(select(func.count()).where(AuditEntry.action == "categorise"))
    assert stored == expected  # every reviewer's last word on each of its media
    assert logged == 60
    report = verify_all(ws)
    assert report.ok, report.findings
    ws.close()
