"""Shared review: assignments, progress, and the second-opinion queue.

An investigator splits a case among reviewers by folder, source or count (``assign``); a
media may be given to two reviewers (double review). Each reviewer's categorisation is kept
as their opinion; when two differ, the media waits in the second-opinion queue until an
investigator's final opinion is newer than the disagreeing ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from sqlalchemy import String, and_, cast, delete, distinct, exists, func, select
from sqlalchemy import case as when
from sqlalchemy.exc import IntegrityError

from cumberland.store import audit
from cumberland.store.models import (
    Assignment,
    CaseMember,
    Decision,
    Item,
    Opinion,
    ReviewEntry,
    ReviewState,
    User,
)
from cumberland.store.pathkey import prefix_condition
from cumberland.store.workspace import Workspace
from cumberland.store.writer import insert_ignore

MAX_ASSIGN = 1_000_000


@dataclass(frozen=True, slots=True)
class Scope:
    """Which media of a case an assignment takes (all by default)."""

    source: int | None = None
    folder: str = ""  # path prefix


def assign(ws: Workspace, case: int, reviewers: list[int], scope: Scope, actor: str,
           per_reviewer: int | None = None, double: bool = False) -> dict[int, int]:
    """Give the scope's media that nobody has yet (in priority order) to ``reviewers``:
    ``per_reviewer`` each, or split evenly in contiguous runs (a reviewer keeps a folder
    together); with ``double`` every media also goes to the next reviewer. Returns the
    number given to each reviewer; logged in the audit chain."""
    if not reviewers or (double and len(reviewers) < 2):
        raise ValueError("double review needs two reviewers" if reviewers else
                         "choose at least one reviewer")
    q = ReviewEntry
    query = select(q.media_sha256).where(q.case_id == case, ~exists().where(
        Assignment.case_id == case, Assignment.media_sha256 == q.media_sha256))
    conditions = []
    if scope.source is not None:
        conditions.append(Item.source_id == scope.source)
    if scope.folder:
        conditions.append(prefix_condition(Item.__table__.c.path, scope.folder))
    if conditions:
        query = query.where(q.media_sha256.in_(select(Item.media_sha256).where(
            Item.case_id == case, *conditions)))
    limit = per_reviewer * len(reviewers) if per_reviewer else MAX_ASSIGN
    with ws.engine.connect() as conn:
        media = [bytes(m) for m in conn.scalars(
            query.order_by(q.priority, q.media_sha256).limit(limit))]
    run = per_reviewer or -(-len(media) // len(reviewers)) or 1
    now = time.time()
    rows = []
    given = dict.fromkeys(reviewers, 0)
    for index, sha in enumerate(media):
        turn = min(index // run, len(reviewers) - 1)
        for who in (reviewers[turn], reviewers[(turn + 1) % len(reviewers)])[:2 if double else 1]:
            rows.append({"case_id": case, "media_sha256": sha, "user_id": who,
                         "assigned_by": actor, "assigned_at": now})
            given[who] += 1
    for _ in range(audit.RETRIES):
        try:
            with ws.engine.begin() as conn:
                for lo in range(0, len(rows), 5000):
                    conn.execute(insert_ignore(conn, Assignment.__table__),  # type: ignore[arg-type]
                                 rows[lo:lo + 5000])
                audit.append_in(conn, actor, "assign", case, None, {
                    "reviewers": reviewers, "given": {str(k): v for k, v in given.items()},
                    "source": scope.source, "folder": scope.folder,
                    "per_reviewer": per_reviewer, "double": double})
            return given
        except IntegrityError:
            continue
    raise RuntimeError("audit log busy: could not record the assignment")


def unassign(ws: Workspace, case: int, reviewer: int, actor: str) -> int:
    """Take back everything given to a reviewer that they have not categorised yet."""
    undone = ~exists().where(Opinion.case_id == case, Opinion.user_id == reviewer,
                             Opinion.media_sha256 == Assignment.media_sha256)
    for _ in range(audit.RETRIES):
        try:
            with ws.engine.begin() as conn:
                count = conn.execute(delete(Assignment).where(
                    Assignment.case_id == case, Assignment.user_id == reviewer, undone)).rowcount
                audit.append_in(conn, actor, "unassign", case, None,
                                {"reviewer": reviewer, "taken_back": count})
            return int(count)
        except IntegrityError:
            continue
    raise RuntimeError("audit log busy: could not record the change")


def has_share(ws: Workspace, case: int, user: int) -> bool:
    with ws.engine.connect() as conn:
        return conn.scalar(select(Assignment.user_id).where(
            Assignment.case_id == case, Assignment.user_id == user).limit(1)) is not None


def day_start(now: float | None = None) -> float:
    """Local midnight: "today" for a reviewer is the server's calendar day."""
    moment = time.localtime(now)
    return time.mktime((moment.tm_year, moment.tm_mon, moment.tm_mday, 0, 0, 0, 0, 0, -1))


@dataclass(frozen=True, slots=True)
class Progress:
    reviewed: int  # media of the case with a decision
    total: int  # media in the review queue
    today: int  # the reviewer's own categorisations today
    share: int  # media assigned to the reviewer (0: no share)
    share_done: int


def progress(ws: Workspace, case: int, user: int) -> Progress:
    """Counted from indexes that grow with what was decided, never with the case (this runs
    after every categorisation): the queue's size is kept when it is built."""
    since = day_start()
    with ws.engine.connect() as conn:
        total = conn.scalar(select(ReviewState.total).where(ReviewState.case_id == case)) or 0
        reviewed = conn.scalar(select(func.count()).select_from(Decision)
                               .where(Decision.case_id == case)) or 0
        today = conn.scalar(select(func.count()).select_from(Opinion).where(
            Opinion.case_id == case, Opinion.user_id == user, Opinion.decided_at >= since)) or 0
        share = conn.scalar(select(func.count()).select_from(Assignment).where(
            Assignment.case_id == case, Assignment.user_id == user)) or 0
        done = conn.scalar(select(func.count()).select_from(Assignment).join(Opinion, and_(
            Opinion.case_id == Assignment.case_id, Opinion.user_id == Assignment.user_id,
            Opinion.media_sha256 == Assignment.media_sha256)).where(
            Assignment.case_id == case, Assignment.user_id == user)) if share else 0
    return Progress(int(reviewed), int(total), int(today), int(share), int(done or 0))


@dataclass(frozen=True, slots=True)
class ReviewerProgress:
    user_id: int
    name: str
    role: str
    categorised: int
    today: int
    share: int
    share_done: int


def reviewers_progress(ws: Workspace, case: int) -> list[ReviewerProgress]:
    """Every member of the case with their categorisations and their share, for the
    investigator's dashboard."""
    since = day_start()
    with ws.engine.connect() as conn:
        members = conn.execute(select(User.id, User.name, User.role).join(
            CaseMember, CaseMember.user_id == User.id).where(CaseMember.case_id == case)
            .order_by(User.name)).all()
        opinions = {int(u): (int(n), int(t or 0)) for u, n, t in conn.execute(
            select(Opinion.user_id, func.count(),
                   func.sum(when((Opinion.decided_at >= since, 1), else_=0)))
            .where(Opinion.case_id == case).group_by(Opinion.user_id))}
        shares = {int(u): int(n) for u, n in conn.execute(
            select(Assignment.user_id, func.count()).where(Assignment.case_id == case)
            .group_by(Assignment.user_id))}
        done = {int(u): int(n) for u, n in conn.execute(
            select(Assignment.user_id, func.count()).join(Opinion, and_(
                Opinion.case_id == Assignment.case_id, Opinion.user_id == Assignment.user_id,
                Opinion.media_sha256 == Assignment.media_sha256))
            .where(Assignment.case_id == case).group_by(Assignment.user_id))}
    return [ReviewerProgress(int(m.id), str(m.name), str(m.role),
                             *opinions.get(int(m.id), (0, 0)), shares.get(int(m.id), 0),
                             done.get(int(m.id), 0)) for m in members]


@dataclass(frozen=True, slots=True)
class Dispute:
    sha256: bytes
    opinions: list[tuple[str, str, int, float]]  # reviewer, scheme, category, when
    decided: int | None  # the current decision's category


def disputes(ws: Workspace, case: int, limit: int = 200) -> list[Dispute]:
    """Media two reviewers categorised differently, with no final opinion since."""
    o = Opinion
    finals = (select(o.media_sha256, func.max(o.decided_at).label("at"))
              .where(o.case_id == case, o.final.is_(True)).group_by(o.media_sha256).subquery())
    open_ = (select(o.media_sha256)
             .outerjoin(finals, finals.c.media_sha256 == o.media_sha256)
             .where(o.case_id == case, o.final.is_(False))
             .group_by(o.media_sha256)
             .having(func.count(distinct(o.scheme + ":" + cast(o.category, String))) > 1,
                     func.max(o.decided_at) > func.coalesce(func.max(finals.c.at), 0))
             .order_by(func.max(o.decided_at).desc()).limit(limit))
    with ws.engine.connect() as conn:
        shas = [bytes(s) for s in conn.scalars(open_)]
        rows = conn.execute(select(o.media_sha256, User.name, o.scheme, o.category,
                                   o.decided_at).join(User, User.id == o.user_id)
                            .where(o.case_id == case, o.media_sha256.in_(shas))
                            .order_by(o.decided_at)).all() if shas else []
        decided = {bytes(m): int(c) for m, c in conn.execute(
            select(Decision.media_sha256, Decision.category).where(
                Decision.case_id == case, Decision.media_sha256.in_(shas)))} if shas else {}
    grouped: dict[bytes, list[tuple[str, str, int, float]]] = {s: [] for s in shas}
    for row in rows:
        grouped[bytes(row.media_sha256)].append(
            (str(row.name), str(row.scheme), int(row.category), float(row.decided_at)))
    return [Dispute(s, grouped[s], decided.get(s)) for s in shas]
