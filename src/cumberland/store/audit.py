"""The audit log: an append-only chain of what people did (logins, reveals, decisions, exports).

Each row stores the previous row's hash and ``row_hash = sha256(prev_hash + canonical JSON of
the row)``, so editing a row breaks its own hash and deleting one breaks its successor's link.
``prev_hash`` is unique: two writers racing for the same tail cannot fork the chain; the loser
retries on the new tail.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cumberland.store.models import AuditEntry
from cumberland.store.workspace import Workspace

GENESIS = "0" * 64
RETRIES = 20
LOGIN_SCAN = 10_000  # newest login rows read per check: a spray cannot make checks unbounded


def canonical(row: dict[str, Any]) -> str:
    """Deterministic JSON: sorted keys, no spaces, non-ASCII kept as is."""
    return json.dumps(row, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def row_hash(prev_hash: str, fields: dict[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical(fields)).encode("utf-8")).hexdigest()


def _fields(entry_id: int, at: str, actor: str, action: str, case_id: int | None,
            target: str | None, details: dict[str, Any]) -> dict[str, Any]:
    return {"id": entry_id, "at": at, "actor": actor, "action": action, "case_id": case_id,
            "target": target, "details": details}


def _tail(conn: Connection) -> tuple[int, str]:
    last = conn.execute(select(AuditEntry.id, AuditEntry.row_hash)
                        .order_by(AuditEntry.id.desc()).limit(1)).first()
    return (int(last.id), str(last.row_hash)) if last else (0, GENESIS)


def append(ws: Workspace, actor: str, action: str, case_id: int | None = None,
           target: str | None = None, details: dict[str, Any] | None = None) -> int:
    """Add one entry at the end of the chain (its own transaction); returns its id."""
    details = json.loads(canonical(details or {}))  # what is hashed is exactly what is stored
    for _ in range(RETRIES):
        at = datetime.now(UTC).isoformat(timespec="microseconds")
        try:
            with ws.engine.begin() as conn:
                last_id, prev = _tail(conn)
                entry_id = last_id + 1
                digest = row_hash(prev, _fields(entry_id, at, actor, action, case_id, target,
                                                details))
                conn.execute(insert(AuditEntry).values(
                    id=entry_id, at=at, actor=actor, action=action, case_id=case_id,
                    target=target, details=details, prev_hash=prev, row_hash=digest))
            return entry_id
        except IntegrityError:
            continue
    raise RuntimeError("audit log busy: could not append after several attempts")


@dataclass(frozen=True, slots=True)
class Verdict:
    """Outcome of walking the chain: ``bad_id`` is the first row that does not verify."""

    rows: int
    bad_id: int | None = None
    reason: str | None = None
    last_hash: str = GENESIS  # anchor it elsewhere to detect rows removed from the end

    @property
    def ok(self) -> bool:
        return self.bad_id is None


def login_failures(ws: Workspace, name: str, address: str, since: float) -> tuple[int, int]:
    """Failed logins since ``since`` (epoch seconds): for ``name`` after its last successful
    login, and from ``address``. Read from the log itself, so every server process and a
    restarted one see the same count."""
    start = datetime.fromtimestamp(since, UTC).isoformat(timespec="microseconds")
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.details)
            .where(AuditEntry.action.in_(("login", "login-failed")), AuditEntry.at >= start)
            .order_by(AuditEntry.id.desc()).limit(LOGIN_SCAN)).all()
    by_name = by_address = 0
    cleared = False
    for row in rows:  # newest first
        if row.action == "login":
            cleared = cleared or row.actor == name
            continue
        by_name += row.actor == name and not cleared
        by_address += (row.details or {}).get("address") == address
    return by_name, by_address


def verify(ws: Workspace, batch: int = 5000, anchor: str | None = None) -> Verdict:
    """Walk the chain in id order, recomputing every hash and link. ``anchor``: a last hash
    printed earlier (kept in a report or notes); a chain that no longer reaches it lost
    entries from its end, which the chain alone cannot show."""
    prev, expected_id, count = GENESIS, 1, 0
    reached = anchor is None or anchor == GENESIS
    with ws.session() as orm:
        for row in _stream(orm, batch):
            count += 1
            if row.id != expected_id:
                return Verdict(count, int(row.id), f"expected entry {expected_id} (deleted?)")
            if row.prev_hash != prev:
                return Verdict(count, int(row.id), "link to the previous entry is broken")
            fields = _fields(int(row.id), row.at, row.actor, row.action, row.case_id,
                             row.target, row.details)
            if row_hash(prev, fields) != row.row_hash:
                return Verdict(count, int(row.id), "entry was modified after it was written")
            prev, expected_id = row.row_hash, expected_id + 1
            reached = reached or prev == anchor
    if not reached:
        return Verdict(count, expected_id, f"the chain ends at entry {expected_id - 1} before "
                       "the anchor: entries were removed from its end (or it is another log)",
                       prev)
    return Verdict(count, last_hash=prev)


def _stream(orm: Session, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = orm.scalars(select(AuditEntry).where(AuditEntry.id > after)
                           .order_by(AuditEntry.id).limit(batch)).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        orm.expunge_all()  # a long chain is walked in constant memory


def recent(ws: Workspace, case_id: int | None = None, limit: int = 200) -> list[AuditEntry]:
    """Newest entries first, optionally of one case."""
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if case_id is not None:
        query = query.where(AuditEntry.case_id == case_id)
    with ws.session() as session:
        return list(session.scalars(query))
