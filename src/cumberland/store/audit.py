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

from sqlalchemy import Connection, and_, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cumberland.store.models import AuditEntry, Case, CaseMember, Decision, User
from cumberland.store.sql import in_chunks
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


def append_in(conn: Connection, actor: str, action: str, case_id: int | None = None,
              target: str | None = None, details: dict[str, Any] | None = None) -> int:
    """Add one entry at the end of the chain inside the caller's transaction, so the change
    it records and its entry commit together. Raises IntegrityError when another writer took
    the tail first: the caller retries the whole transaction."""
    details = json.loads(canonical(details or {}))  # what is hashed is exactly what is stored
    at = datetime.now(UTC).isoformat(timespec="microseconds")
    last_id, prev = _tail(conn)
    entry_id = last_id + 1
    digest = row_hash(prev, _fields(entry_id, at, actor, action, case_id, target, details))
    conn.execute(insert(AuditEntry).values(
        id=entry_id, at=at, actor=actor, action=action, case_id=case_id,
        target=target, details=details, prev_hash=prev, row_hash=digest))
    return entry_id


def append(ws: Workspace, actor: str, action: str, case_id: int | None = None,
           target: str | None = None, details: dict[str, Any] | None = None) -> int:
    """Add one entry at the end of the chain (its own transaction); returns its id."""
    for _ in range(RETRIES):
        try:
            with ws.engine.begin() as conn:
                return append_in(conn, actor, action, case_id, target, details)
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
    last_id: int = 0

    @property
    def ok(self) -> bool:
        return self.bad_id is None


def login_history(ws: Workspace, name: str, address: str, since: float
                  ) -> tuple[tuple[int, float], tuple[int, float]]:
    """Failed logins since ``since`` (epoch seconds) as (count, newest failure's epoch): for
    ``name`` after its last successful login, and from ``address``. Read from the log itself,
    so every server process and a restarted one see the same count."""
    start = datetime.fromtimestamp(since, UTC).isoformat(timespec="microseconds")
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.at, AuditEntry.details)
            .where(AuditEntry.action.in_(("login", "login-failed")), AuditEntry.at >= start)
            .order_by(AuditEntry.id.desc()).limit(LOGIN_SCAN)).all()
    by_name = by_address = 0
    name_last = address_last = 0.0
    cleared = False
    for row in rows:  # newest first
        if row.action == "login":
            cleared = cleared or row.actor == name
            continue
        at = datetime.fromisoformat(row.at).timestamp()
        if row.actor == name and not cleared:
            by_name += 1
            name_last = max(name_last, at)
        if (row.details or {}).get("address") == address:
            by_address += 1
            address_last = max(address_last, at)
    return (by_name, name_last), (by_address, address_last)


def parse_anchor(text: str) -> tuple[int | None, str]:
    """``ID:HASH`` (as ``audit verify`` prints it) or a bare ``HASH``."""
    head, sep, tail = text.strip().partition(":")
    if sep and head.isdigit():
        return int(head), tail.lower()
    return None, text.strip().lower()


def verify(ws: Workspace, batch: int = 5000, anchor: str | None = None,
           start: tuple[int, str] | None = None) -> Verdict:
    """Walk the chain in id order, recomputing every hash and link.

    ``anchor``: ``ID:HASH`` (or a bare hash) printed earlier and kept elsewhere (a report, the
    case notes): the chain must still hold that entry with that hash, which the chain alone
    cannot show (entries removed from its end, or the whole chain re-hashed after an edit).
    ``start``: (id, row_hash) of an entry already verified (a signed anchor): the walk begins
    there, so checking a long chain again costs only its new entries.
    """
    anchor_id, anchor_hash = parse_anchor(anchor) if anchor else (None, GENESIS)
    prev, expected_id, count = GENESIS, 1, 0
    if start is not None and start[0] > 0:
        with ws.engine.connect() as conn:
            found = conn.scalar(select(AuditEntry.row_hash).where(AuditEntry.id == start[0]))
        if found != start[1]:
            return Verdict(0, start[0], f"entry {start[0]} is not the one verified before "
                           "(rewritten or removed)")
        prev, expected_id = start[1], start[0] + 1
    reached = anchor_hash == GENESIS and anchor_id in (None, 0)
    with ws.session() as orm:
        for row in _stream(orm, batch, expected_id - 1):
            count += 1
            if row.id != expected_id:
                return Verdict(count, int(row.id), f"expected entry {expected_id} (deleted?)")
            if row.prev_hash != prev:
                return Verdict(count, int(row.id), "link to the previous entry is broken")
            fields = _fields(int(row.id), row.at, row.actor, row.action, row.case_id,
                             row.target, row.details)
            if row_hash(prev, fields) != row.row_hash:
                return Verdict(count, int(row.id), "entry was modified after it was written")
            if row.id == anchor_id and row.row_hash != anchor_hash:
                return Verdict(count, int(row.id), f"entry {row.id} is intact in the chain but "
                               "differs from the anchor: entries up to it were modified and the "
                               "chain re-hashed", row.row_hash)
            prev, expected_id = row.row_hash, expected_id + 1
            reached = reached or prev == anchor_hash
    if not reached and anchor_id is not None and anchor_id >= expected_id:
        return Verdict(count, expected_id, f"the chain ends at entry {expected_id - 1} before "
                       f"the anchored entry {anchor_id}: entries were removed from its end",
                       prev)
    if not reached:
        return Verdict(count, expected_id, f"the chain ends at entry {expected_id - 1} without "
                       "reaching the anchor: entries were removed from its end, or entries "
                       "were modified and the chain re-hashed (or it is another log); give the "
                       "anchor as ID:HASH, or check signed anchors (--key), to tell which", prev)
    return Verdict(count, last_hash=prev, last_id=expected_id - 1)


DECISION_ACTIONS = ("categorise", "undo")
EXAMPLES = 5  # findings named one by one; the rest are counted


def decisions_against_log(ws: Workspace, batch: int = 5000) -> list[str]:
    """Replay every categorisation in the log and compare the result with the ``decisions``
    table: a decision edited, added or deleted directly in the database (not through the
    workbench, which logs each change in the same transaction) is named here."""
    logged: dict[tuple[int, bytes], tuple[str, int, int]] = {}  # -> scheme, category, entry
    after = 0
    with ws.engine.connect() as conn:
        while True:
            rows = conn.execute(
                select(AuditEntry.id, AuditEntry.case_id, AuditEntry.details)
                .where(AuditEntry.action.in_(DECISION_ACTIONS), AuditEntry.id > after)
                .order_by(AuditEntry.id).limit(batch)).all()
            if not rows:
                break
            after = int(rows[-1].id)
            for row in rows:
                details = row.details or {}
                category = details.get("category")
                for media in details.get("media") or []:
                    key = (int(row.case_id), bytes.fromhex(media))
                    if category is None:
                        logged.pop(key, None)
                    else:
                        logged[key] = (str(details.get("scheme")), int(category), int(row.id))
        differ: list[str] = []
        extra: list[str] = []
        for row in conn.execute(select(Decision.case_id, Decision.media_sha256,
                                       Decision.scheme, Decision.category)):
            key = (int(row.case_id), bytes(row.media_sha256))
            expected = logged.pop(key, None)
            name = f"case {key[0]} media {key[1].hex()[:16]}"
            if expected is None:
                extra.append(f"{name} is {row.category} ({row.scheme}) in the table but was "
                             "never categorised in the log")
            elif (row.scheme, row.category) != expected[:2]:
                differ.append(f"{name} is {row.category} ({row.scheme}) in the table but "
                              f"{expected[1]} ({expected[0]}) in the log (entry {expected[2]})")
    missing = [f"case {c} media {m.hex()[:16]} is {cat} ({scheme}) in the log (entry {e}) "
               "but has no decision in the table" for (c, m), (scheme, cat, e) in logged.items()]
    findings = []
    for kind, found in (("decision(s) edited directly", differ),
                        ("decision(s) added directly", extra),
                        ("decision(s) deleted directly", missing)):
        if found:
            shown = "; ".join(found[:EXAMPLES])
            more = f"; and {len(found) - EXAMPLES} more" if len(found) > EXAMPLES else ""
            findings.append(f"{len(found)} {kind}: {shown}{more}")
    return findings


def hashes_at(ws: Workspace, ids: list[int]) -> dict[int, str]:
    """The row hashes of the given entries (those that exist)."""
    with ws.engine.connect() as conn:
        rows = in_chunks(conn, select(AuditEntry.id, AuditEntry.row_hash), AuditEntry.id, ids)
    return {int(r.id): str(r.row_hash) for r in rows}


def _stream(orm: Session, batch: int, after: int = 0) -> Iterator[AuditEntry]:
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


def visible(ws: Workspace, cases: list[int] | None, limit: int = 200, people: bool = True
            ) -> list[tuple[AuditEntry, str | None]]:
    """Newest entries with their case's name, as one auditor may see them: entries of
    ``cases`` and (with ``people``) the case-less ones (logins, toggles) of people who are
    members of one of them. ``cases=None`` is everything (administrators)."""
    query = (select(AuditEntry, Case.name).outerjoin(Case, Case.id == AuditEntry.case_id)
             .order_by(AuditEntry.id.desc()).limit(limit))
    if cases is not None:
        members = (select(User.name).join(CaseMember, CaseMember.user_id == User.id)
                   .where(CaseMember.case_id.in_(cases)))
        own = AuditEntry.case_id.in_(cases)
        query = query.where(or_(own, and_(AuditEntry.case_id.is_(None),
                                          AuditEntry.actor.in_(members))) if people else own)
    with ws.session() as session:
        return [(entry, name) for entry, name in session.execute(query)]
