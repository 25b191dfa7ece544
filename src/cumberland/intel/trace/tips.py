"""Tips from the public, brought into the case: linked to their object (and so its picture),
kept once, with a state and notes; every change audited.

The tips server is an edge (``cumberland.tips``) this module does not import: ``tips pull``
reads its database, or a file it exported, and hands the tips here as plain dicts. A tip's
random ``uid`` makes a pull repeatable (one pulled twice is kept once); a tip with the same or
nearly the same text as an earlier one of the same object is kept too, marked as a duplicate
of the first, so nothing is lost and nobody reads it twice.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, insert, select, update

from cumberland.intel.trace.objects import ObjectError, actor, case_id, commit_audited
from cumberland.store import audit
from cumberland.store.trace_models import TraceObject, TraceTip, TraceTipNote
from cumberland.store.workspace import Workspace

NEARLY = 0.9  # SequenceMatcher ratio of normalised texts above which a tip repeats another
MAX_NOTE = 2000
UID = re.compile(r"[0-9a-f]{32}")
RECEIVED = re.compile(r"\d{4}-\d\d-\d\dT\d\d:00Z")


class TipState(StrEnum):
    NEW = "new"
    USEFUL = "useful"
    NOT_USEFUL = "not-useful"
    PASSED_ON = "passed-on"


@dataclass(slots=True)
class Pulled:
    added: int = 0
    duplicates: int = 0
    known: int = 0  # pulled before
    other_cases: int = 0  # for objects of other cases (left where they were)
    refused: list[str] = field(default_factory=list)  # malformed rows, one line each
    taken: list[str] = field(default_factory=list)  # uids now in this case or already there


def normalised(text: str) -> str:
    """Case, accents, punctuation and spacing aside: what makes two tips the same."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(c if c.isalnum() else " " for c in folded
                   if unicodedata.category(c) != "Mn")  # accents dropped, punctuation a space
    return " ".join(kept.split())


def _repeats(text: str, earlier: list[tuple[int, str]]) -> int | None:
    for tip_id, other in earlier:
        if text == other:
            return tip_id
        matcher = SequenceMatcher(None, text, other, autojunk=False)
        if matcher.real_quick_ratio() >= NEARLY and matcher.quick_ratio() >= NEARLY \
                and matcher.ratio() >= NEARLY:
            return tip_id
    return None


def _row_problem(row: dict[str, Any]) -> str | None:
    if not UID.fullmatch(str(row.get("uid", ""))):
        return "no uid"
    if not RECEIVED.fullmatch(str(row.get("received", ""))):
        return f"tip {row['uid']}: bad received hour"
    if not isinstance(row.get("text"), str) or not row["text"].strip() \
            or len(row["text"]) > 5000:
        return f"tip {row['uid']}: no text or too long"
    if row.get("contact") is not None and (not isinstance(row["contact"], str)
                                           or len(row["contact"]) > 200):
        return f"tip {row['uid']}: bad contact"
    return None


def pull(ws: Workspace, case: str, rows: Iterable[dict[str, Any]], user: str) -> Pulled:
    """Bring tips (the tips server's rows) for this case's objects into the case."""
    cid = case_id(ws, case)
    who = actor(ws, user, "trace", cid)
    with ws.engine.connect() as conn:
        objects = {str(r.public_id): int(r.id) for r in conn.execute(
            select(TraceObject.public_id, TraceObject.id).where(TraceObject.case_id == cid))}
        known = set(conn.scalars(select(TraceTip.uid)))
        earlier: dict[int, list[tuple[int, str]]] = {}
        for r in conn.execute(select(TraceTip.id, TraceTip.object_id, TraceTip.text)
                              .where(TraceTip.case_id == cid, TraceTip.duplicate_of.is_(None))
                              .order_by(TraceTip.id)):
            earlier.setdefault(int(r.object_id), []).append((int(r.id), normalised(r.text)))
    result = Pulled()
    fresh: list[dict[str, Any]] = []
    for row in rows:
        problem = _row_problem(row)
        if problem:
            result.refused.append(problem)
        elif str(row.get("object")) not in objects:
            result.other_cases += 1
        elif row["uid"] in known:
            result.known += 1
            result.taken.append(row["uid"])
        else:
            known.add(row["uid"])
            fresh.append(row)

    def work(conn: Connection) -> None:  # may run again (a lost audit tail): starts afresh
        now = time.time()
        result.added = result.duplicates = 0
        seen = {object_id: list(texts) for object_id, texts in earlier.items()}
        for row in fresh:
            object_id = objects[str(row["object"])]
            text = row["text"].strip()
            key = normalised(text)
            first = _repeats(key, seen.setdefault(object_id, []))
            tip_id = conn.execute(insert(TraceTip).values(
                case_id=cid, object_id=object_id, uid=row["uid"], received=row["received"],
                lang=str(row.get("lang") or "")[:8], text=text,
                contact=(row.get("contact") or None), state=TipState.NEW,
                duplicate_of=first, pulled_at=now, pulled_by=who.name)).inserted_primary_key
            assert tip_id is not None
            tip_id = tip_id[0]
            if first is None:
                seen[object_id].append((int(tip_id), key))
                result.added += 1
            else:
                result.duplicates += 1
        audit.append_in(conn, who.name, "tips-pull", cid, case, {
            "added": result.added, "duplicates": result.duplicates, "known": result.known,
            "refused": result.refused[:20], "uids": [r["uid"] for r in fresh]})

    commit_audited(ws, work)
    result.taken += [r["uid"] for r in fresh]
    return result


def _tip(ws: Workspace, uid: str) -> TraceTip:
    with ws.session() as session:
        found = session.scalar(select(TraceTip).where(TraceTip.uid == uid)) \
            if UID.fullmatch(uid) else None
    if found is None:
        raise ObjectError(f"no tip {uid[:40]!r}")
    return found


def set_state(ws: Workspace, uid: str, state: str, user: str) -> None:
    """Mark a tip new, useful, not useful or passed on."""
    if state not in set(TipState):
        raise ObjectError(f"state must be one of {', '.join(TipState)}")
    tip = _tip(ws, uid)
    who = actor(ws, user, "trace", tip.case_id)

    def work(conn: Connection) -> None:
        conn.execute(update(TraceTip).where(TraceTip.id == tip.id).values(state=state))
        audit.append_in(conn, who.name, "tip-state", tip.case_id, uid,
                        {"was": tip.state, "now": state})

    commit_audited(ws, work)


def add_note(ws: Workspace, uid: str, text: str, user: str) -> None:
    cleaned = text.strip()
    if not cleaned or len(cleaned) > MAX_NOTE:
        raise ObjectError(f"a note is 1 to {MAX_NOTE} characters")
    tip = _tip(ws, uid)
    who = actor(ws, user, "trace", tip.case_id)

    def work(conn: Connection) -> None:
        conn.execute(insert(TraceTipNote).values(tip_id=tip.id, at=time.time(),
                                                 author=who.name, text=cleaned))
        audit.append_in(conn, who.name, "tip-note", tip.case_id, uid, {"note": cleaned})

    commit_audited(ws, work)


def case_tips(ws: Workspace, case: int, public_id: str | None = None) -> list[dict[str, Any]]:
    """The case's tips (of one object if given), oldest first, with their notes: what
    ``tips list`` prints and exports and the web pages show."""
    query = (select(TraceTip, TraceObject.public_id, TraceObject.title,
                    TraceObject.media_sha256)
             .join(TraceObject, TraceObject.id == TraceTip.object_id)
             .where(TraceTip.case_id == case).order_by(TraceTip.id))
    if public_id is not None:
        query = query.where(TraceObject.public_id == public_id)
    with ws.session() as session:
        rows = session.execute(query).all()
        notes: dict[int, list[dict[str, Any]]] = {}
        for n in session.scalars(select(TraceTipNote).join(TraceTip).where(
                TraceTip.case_id == case).order_by(TraceTipNote.id)):
            notes.setdefault(n.tip_id, []).append({"at": n.at, "author": n.author,
                                                   "text": n.text})
    by_id = {tip.id: tip.uid for tip, *_ in rows}
    return [{"uid": tip.uid, "object": pid, "object_title": title, "media": sha.hex(),
             "received": tip.received, "lang": tip.lang, "text": tip.text,
             "contact": tip.contact, "state": tip.state,
             "duplicate_of": by_id.get(tip.duplicate_of) if tip.duplicate_of else None,
             "notes": notes.get(tip.id, [])} for tip, pid, title, sha in rows]


def tips_of_case(ws: Workspace, case: str, public_id: str | None = None
                 ) -> list[dict[str, Any]]:
    return case_tips(ws, case_id(ws, case), public_id)
