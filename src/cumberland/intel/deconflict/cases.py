"""A case's deconfliction settings: approval, the reference released on hits, its owner."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.intel.deconflict.protocol import Release
from cumberland.store import audit
from cumberland.store.models import Case, DeconflictCase, User
from cumberland.store.workspace import Workspace
from cumberland.store.writer import upsert


def case_of(ws: Workspace, name: str) -> int:
    with ws.engine.connect() as conn:
        found = conn.scalar(select(Case.id).where(Case.name == name))
    if found is None:
        raise DeconflictError(f"no case named {name!r}")
    return int(found)


def _set(ws: Workspace, case_id: int, **values: Any) -> None:
    with ws.engine.begin() as conn:
        current = conn.execute(select(DeconflictCase).where(
            DeconflictCase.case_id == case_id)).mappings().first()
        row = {"case_id": case_id, "approved_at": None, "approved_by": None, "reference": None,
               "contact": None, "owner_id": None, **(dict(current) if current else {}), **values}
        upsert(conn, DeconflictCase.__table__, ["case_id"], [row])  # type: ignore[arg-type]


def approve(ws: Workspace, case: str, by: str) -> None:
    """Allow requests for ``case`` (a request for any other case is refused)."""
    cid = case_of(ws, case)
    _set(ws, cid, approved_at=time.time(), approved_by=by)
    audit.append(ws, by, "deconflict-approve", cid, case)


def release(ws: Workspace, case: str, reference: str, contact: str, by: str) -> None:
    """What a hit on ``case``'s media shows another agency (nothing is released without it)."""
    Release(reference, contact).encode()  # refuses what does not fit
    cid = case_of(ws, case)
    _set(ws, cid, reference=reference, contact=contact)
    audit.append(ws, by, "deconflict-release", cid, case, {"reference": reference})


def set_owner(ws: Workspace, case: str, user: str, by: str) -> None:
    """The person other teams of the organisation are pointed to (never the case's name)."""
    cid = case_of(ws, case)
    with ws.engine.connect() as conn:
        uid = conn.scalar(select(User.id).where(User.name == user))
    if uid is None:
        raise DeconflictError(f"no user named {user!r}")
    _set(ws, cid, owner_id=int(uid))
    audit.append(ws, by, "deconflict-owner", cid, case, {"owner": user})


def settings(ws: Workspace, case_id: int) -> DeconflictCase | None:
    with ws.session() as session:
        return session.get(DeconflictCase, case_id)


def releases(ws: Workspace, case_ids: list[int]) -> dict[int, Release]:
    """Released references of the given cases."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(DeconflictCase.case_id, DeconflictCase.reference,
                                   DeconflictCase.contact).where(
            DeconflictCase.case_id.in_(case_ids), DeconflictCase.reference.is_not(None)))
        return {int(r.case_id): Release(str(r.reference), str(r.contact or ""))
                for r in rows}
