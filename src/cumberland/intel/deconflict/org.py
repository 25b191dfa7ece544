"""Within one organisation (a shared PostgreSQL workspace): "this media is also in a case of
another team", told without showing that case to someone who is not its member.

A member of case X sees, for each media of X that another case also holds: the names of the
other cases they are themselves a member of, and for the others only the fact and their owners
(``deconflict owner``), with a request-access action that files a request to those owners.
An owner grants (membership, through ``store.accounts``) or declines; every step is audited.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import and_, select, update
from sqlalchemy.orm import aliased

from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.store import accounts, audit
from cumberland.store.models import (
    AccessRequest,
    Case,
    CaseMember,
    DeconflictCase,
    Item,
    User,
)
from cumberland.store.workspace import Workspace
from cumberland.store.writer import insert_ignore


@dataclass(frozen=True)
class Elsewhere:
    """One media of the viewer's case that other cases hold too."""

    sha256: bytes
    member_cases: tuple[str, ...]  # named: the viewer is a member of these
    other_cases: int  # not named: the viewer is not a member
    owners: tuple[str, ...]  # owners of those (users named by `deconflict owner`)
    requested: bool  # the viewer has an open access request for this media


def _pairs(ws: Workspace, case_id: int) -> list[tuple[bytes, int]]:
    mine, other = aliased(Item), aliased(Item)
    query = (select(other.media_sha256, other.case_id).distinct()
             .join(mine, and_(mine.media_sha256 == other.media_sha256,
                              mine.case_id == case_id))
             .where(other.case_id != case_id, other.media_sha256.is_not(None)))
    with ws.engine.connect() as conn:
        return [(bytes(m or b""), int(c)) for m, c in conn.execute(query)]


def elsewhere(ws: Workspace, user_id: int, case_id: int) -> list[Elsewhere]:
    """What ``user_id`` (a member of ``case_id``) may be told about its media elsewhere."""
    if not accounts.is_member(ws, user_id, case_id):
        raise DeconflictError("not a member of this case")
    pairs = _pairs(ws, case_id)
    cases = {c for _, c in pairs}
    with ws.engine.connect() as conn:
        member = set(conn.scalars(select(CaseMember.case_id).where(
            CaseMember.user_id == user_id, CaseMember.case_id.in_(cases))))
        names = dict(conn.execute(select(Case.id, Case.name).where(Case.id.in_(member))).all())
        owners = dict(conn.execute(select(DeconflictCase.case_id, User.name).join(
            User, User.id == DeconflictCase.owner_id).where(DeconflictCase.case_id.in_(
                cases - member))).all())
        open_requests = set(conn.scalars(select(AccessRequest.media_sha256).where(
            AccessRequest.user_id == user_id, AccessRequest.from_case_id == case_id,
            AccessRequest.status == "open")))
    by_media: dict[bytes, list[int]] = {}
    for sha, other in pairs:
        by_media.setdefault(sha, []).append(other)
    out = []
    for sha in sorted(by_media):
        others = by_media[sha]
        hidden = [c for c in others if c not in member]
        out.append(Elsewhere(
            sha, tuple(sorted(names[c] for c in others if c in member)), len(hidden),
            tuple(sorted({owners.get(c, "no owner named") for c in hidden})),
            bytes(sha) in open_requests))
    return out


def request_access(ws: Workspace, user_id: int, case_id: int, sha256: bytes) -> int:
    """File a request to the owners of the cases holding ``sha256`` that the user cannot see;
    returns how many cases it went to (the user is told only that it was filed)."""
    if not accounts.is_member(ws, user_id, case_id):
        raise DeconflictError("not a member of this case")
    with ws.engine.connect() as conn:
        member = set(conn.scalars(select(CaseMember.case_id).where(
            CaseMember.user_id == user_id)))
        who = conn.scalar(select(User.name).where(User.id == user_id))
        from_name = conn.scalar(select(Case.name).where(Case.id == case_id))
    targets = sorted({c for sha, c in _pairs(ws, case_id) if sha == sha256 and c not in member})
    if not targets:
        raise DeconflictError("no other case you cannot see holds this media")
    now = time.time()
    with ws.engine.begin() as conn:
        for target in targets:
            conn.execute(insert_ignore(conn, AccessRequest.__table__).values(  # type: ignore[arg-type]
                case_id=target, user_id=user_id, from_case_id=case_id, media_sha256=sha256,
                requested_at=now, status="open"))
    for target in targets:
        audit.append(ws, str(who), "access-request", target, sha256.hex(),
                     {"from_case": from_name})
    return len(targets)


@dataclass(frozen=True)
class PendingAccess:
    id: int
    case: str
    user: str
    from_case: str
    sha256: bytes
    requested_at: float
    status: str


def access_requests(ws: Workspace, owner_id: int | None = None) -> list[PendingAccess]:
    """Requests to the cases ``owner_id`` owns (all when None: an administrator's view)."""
    target, source = aliased(Case), aliased(Case)
    query = (select(AccessRequest.id, target.name, User.name, source.name,
                    AccessRequest.media_sha256, AccessRequest.requested_at,
                    AccessRequest.status)
             .join(target, target.id == AccessRequest.case_id)
             .join(source, source.id == AccessRequest.from_case_id)
             .join(User, User.id == AccessRequest.user_id)
             .order_by(AccessRequest.id))
    if owner_id is not None:
        query = query.join(DeconflictCase, DeconflictCase.case_id == AccessRequest.case_id
                           ).where(DeconflictCase.owner_id == owner_id)
    with ws.engine.connect() as conn:
        return [PendingAccess(int(r[0]), r[1], r[2], r[3], bytes(r[4]), float(r[5]), r[6])
                for r in conn.execute(query)]


def decide(ws: Workspace, request_id: int, grant: bool, by: str) -> PendingAccess:
    """Grant (the requester becomes a member of the case) or decline an open request."""
    found = next((r for r in access_requests(ws) if r.id == request_id), None)
    if found is None or found.status != "open":
        raise DeconflictError(f"no open access request {request_id}")
    if grant:
        accounts.grant(ws, found.user, found.case)
    status = "granted" if grant else "declined"
    with ws.engine.begin() as conn:
        conn.execute(update(AccessRequest).where(AccessRequest.id == request_id)
                     .values(status=status))
        case_id = conn.scalar(select(Case.id).where(Case.name == found.case))
    audit.append(ws, by, f"access-{status}", case_id, found.user,
                 {"request": request_id, "from_case": found.from_case})
    return found
