"""The review queue of a case, its pages, and reviewers' categorisations.

The queue (``review_queue``) holds one row per media of a case with its priority, rebuilt in
one set-based statement after each run. A grid page is then an index range scan: keyset
pagination on ``(priority, sha256)``, so page 10,000 costs what page 1 costs.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    Connection,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql import Select

from cumberland.analysis.priority import camera_sql, priority_sql
from cumberland.store import audit
from cumberland.store.models import (
    Decision,
    HashSet,
    Item,
    Match,
    Media,
    ReviewEntry,
    ReviewState,
    Run,
    Stack,
)
from cumberland.store.pathkey import prefix_condition
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace, transaction_lock
from cumberland.store.writer import upsert

PAGE = 120
MAX_STACK_EXPANSION = 50_000
STATUSES = ("unknown", "matched", "known-good", "all")


@dataclass(frozen=True, slots=True)
class Scheme:
    """A category scheme: the integer a key stores and the label it means."""

    name: str
    labels: dict[int, str]


SCHEMES: dict[str, Scheme] = {
    "vics-us": Scheme("vics-us", {
        0: "Non-pertinent", 1: "Child abuse material",
        2: "Child exploitative / age difficult", 3: "CGI / animation", 4: "Comparison images"}),
    "vics-legacy": Scheme("vics-legacy", {
        0: "Uncategorised", 1: "Child exploitation (illegal)", 2: "Non-illegal / age difficult",
        3: "CGI / animation", 4: "Exemplar / comparison", 5: "Non-pertinent"}),
}
DEFAULT_SCHEME = "vics-us"


def load_schemes(ws: Workspace) -> dict[str, Scheme]:
    """Built-in schemes plus any in ``<workspace>/schemes.json`` ({name: {code: label}})."""
    schemes = dict(SCHEMES)
    path = ws.root / "schemes.json"
    if path.is_file():
        for name, labels in json.loads(path.read_text(encoding="utf-8")).items():
            schemes[name] = Scheme(name, {int(k): str(v) for k, v in labels.items()})
    return schemes


# --- building the queue ---------------------------------------------------------------------


def _stamp(conn: Connection, case: int) -> str:
    """Changes whenever a run of the case starts or ends: the queue is rebuilt then."""
    last = conn.execute(select(Run.id, Run.status, Run.finished_at).where(Run.case_id == case)
                        .order_by(Run.id.desc()).limit(1)).first()
    return f"{last.id}:{last.status}:{last.finished_at}" if last else "none"


def _purpose_match(purpose: str, sha: Any) -> Any:
    return exists().where(Match.media_sha256 == sha, HashSet.id == Match.hashset_id,
                          HashSet.purpose == purpose)


_QUEUE_LOCK = 0x5245_5649_0000_0000  # "REVI" + case id: one advisory lock per case


def refresh_queue(ws: Workspace, case: int) -> int:
    """Rebuild the case's queue from items, media, matches and decisions; returns its size."""
    groups = (select(Item.media_sha256.label("sha"), func.min(Item.id).label("first"),
                     func.count().label("n"))
              .where(Item.case_id == case, Item.media_sha256.is_not(None))
              .group_by(Item.media_sha256).subquery())
    matched = _purpose_match("alert", groups.c.sha)
    known_good = _purpose_match("ignore", groups.c.sha)
    rows = (select(literal(case), groups.c.sha,
                   priority_sql(matched, known_good, camera_sql(Media.meta, Media.ai_level),
                                Media.ai_level),
                   Media.kind, matched, known_good, Decision.category, groups.c.first,
                   groups.c.n)
            .join(Media, Media.sha256 == groups.c.sha)
            .outerjoin(Decision, and_(Decision.case_id == case,
                                      Decision.media_sha256 == groups.c.sha)))
    columns = ["case_id", "media_sha256", "priority", "kind", "matched", "known_good",
               "category", "item_id", "n_items"]
    with ws.engine.begin() as conn:
        transaction_lock(conn, _QUEUE_LOCK + case)  # two runs into one case rebuild in turn
        stamp = _stamp(conn, case)
        conn.execute(delete(ReviewEntry).where(ReviewEntry.case_id == case))
        conn.execute(insert(ReviewEntry).from_select(columns, rows))
        upsert(conn, ReviewState.__table__, ["case_id"],  # type: ignore[arg-type]
               [{"case_id": case, "stamp": stamp, "refreshed_at": time.time()}])
        return int(conn.scalar(select(func.count()).select_from(ReviewEntry)
                               .where(ReviewEntry.case_id == case)) or 0)


def queue_state(ws: Workspace, case: int) -> str:
    """``fresh``, ``stale`` (a run started or finished since it was built) or ``missing``."""
    with ws.engine.connect() as conn:
        built = conn.scalar(select(ReviewState.stamp).where(ReviewState.case_id == case))
        current = _stamp(conn, case)
    return "missing" if built is None else "fresh" if built == current else "stale"


# --- pages ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = "unknown"  # one of STATUSES
    category: str = ""  # "" any, "none" uncategorised, or a category number
    ai_level: str = ""
    kind: str = ""
    source: int | None = None
    path_prefix: str = ""
    deleted: bool = False  # only media with at least one deleted item

    def query_args(self) -> dict[str, str]:
        """The filters as URL query arguments (defaults left out)."""
        args = {"status": self.status, "category": self.category, "ai": self.ai_level,
                "kind": self.kind, "source": "" if self.source is None else str(self.source),
                "path": self.path_prefix, "deleted": "1" if self.deleted else ""}
        return {k: v for k, v in args.items() if v and not (k == "status" and v == "unknown")}


@dataclass(frozen=True, slots=True)
class Tile:
    sha256: bytes
    priority: int
    kind: str
    mime: str
    ai_level: str | None
    matched: bool
    known_good: bool
    category: int | None
    n_items: int
    path: str

    @property
    def cursor(self) -> str:
        return f"{self.priority}.{self.sha256.hex()}"


@dataclass(slots=True)
class Page:
    tiles: list[Tile] = field(default_factory=list)
    next_cursor: str | None = None


def parse_cursor(text: str | None) -> tuple[int, bytes] | None:
    """``"<priority>.<sha256 hex>"`` or None; anything malformed starts from the top."""
    if not text:
        return None
    head, _, tail = text.partition(".")
    try:
        sha = bytes.fromhex(tail)
        prio = int(head)
    except ValueError:
        return None
    # beyond a 32-bit integer the database would refuse the number (an overflow, not a page)
    return (prio, sha) if len(sha) == 32 and abs(prio) < 2**31 else None


def _filtered(case: int, filters: Filters) -> Select[*tuple[Any, ...]]:
    q = ReviewEntry
    query: Select[*tuple[Any, ...]] = (
        select(q.media_sha256, q.priority, q.kind, q.matched, q.known_good, q.category,
               q.n_items, Media.mime, Media.ai_level, Item.path)
             .join(Media, Media.sha256 == q.media_sha256)
             .join(Item, Item.id == q.item_id)
             .where(q.case_id == case))
    if filters.status == "unknown":
        query = query.where(q.matched.is_(False), q.known_good.is_(False))
    elif filters.status == "matched":
        query = query.where(q.matched.is_(True))
    elif filters.status == "known-good":
        query = query.where(q.known_good.is_(True))
    if filters.category == "none":
        query = query.where(q.category.is_(None))
    elif filters.category.isdigit():
        query = query.where(q.category == int(filters.category))
    if filters.ai_level:
        query = query.where(func.coalesce(Media.ai_level, "none") == filters.ai_level)
    if filters.kind:
        query = query.where(q.kind == filters.kind)
    other = Item.__table__.alias("other")  # any item of the media, not only the shown one
    item_conditions = []
    if filters.source is not None:
        item_conditions.append(other.c.source_id == filters.source)
    if filters.path_prefix:
        item_conditions.append(prefix_condition(other.c.path, filters.path_prefix))
    if filters.deleted:
        item_conditions.append(other.c.deleted.is_(True))
    if item_conditions:
        # The matching media are found once through the items indexes, then the queue is
        # walked in priority order against that set (a per-row EXISTS walked 1 M rows).
        query = query.where(q.media_sha256.in_(select(other.c.media_sha256).where(
            other.c.case_id == case, other.c.media_sha256.is_not(None), *item_conditions)))
    return query


def _tile(row: Any) -> Tile:
    return Tile(bytes(row.media_sha256), int(row.priority), row.kind, row.mime, row.ai_level,
                bool(row.matched), bool(row.known_good), row.category, int(row.n_items),
                row.path)


def review_page(ws: Workspace, case: int, filters: Filters, after: str | None = None,
                limit: int = PAGE) -> Page:
    """One page of tiles after the keyset cursor ``after``."""
    query = _filtered(case, filters)
    cursor = parse_cursor(after)
    if cursor is not None:
        prio, sha = cursor
        # ">=" first, so the database seeks into the (case, priority, sha256) index instead
        # of scanning from the top; the OR then drops what is at or before the cursor.
        query = query.where(ReviewEntry.priority >= prio,
                            or_(ReviewEntry.priority > prio, ReviewEntry.media_sha256 > sha))
    query = query.order_by(ReviewEntry.priority, ReviewEntry.media_sha256).limit(limit + 1)
    with ws.engine.connect() as conn:
        rows = [_tile(r) for r in conn.execute(query)]
    page = Page(rows[:limit])
    if len(rows) > limit:
        page.next_cursor = page.tiles[-1].cursor
    return page


def offset_page(ws: Workspace, case: int, filters: Filters, page: int, limit: int = PAGE
                ) -> list[Tile]:
    """The naive way (OFFSET), kept as the benchmark's baseline."""
    query = (_filtered(case, filters)
             .order_by(ReviewEntry.priority, ReviewEntry.media_sha256)
             .offset(page * limit).limit(limit))
    with ws.engine.connect() as conn:
        return [_tile(r) for r in conn.execute(query)]


def in_case(ws: Workspace, case: int, sha256: bytes) -> bool:
    """Whether any item of ``case`` holds this media (the membership check for media URLs)."""
    with ws.engine.connect() as conn:
        return conn.scalar(select(Item.id).where(
            Item.media_sha256 == sha256, Item.case_id == case).limit(1)) is not None


# --- decisions ------------------------------------------------------------------------------


def stack_members(conn: Connection, case: int, sha256s: list[bytes]) -> list[bytes]:
    """``sha256s`` plus every media sharing a duplicate stack with one of them.

    Identical bytes are already one tile (one media); this adds the near-duplicates that
    analysis put in the same stack.
    """
    stacks = select(Stack.stack).where(Stack.case_id == case, Stack.media_sha256.in_(sha256s))
    members = conn.scalars(select(Stack.media_sha256).where(
        Stack.case_id == case, Stack.stack.in_(stacks)).limit(MAX_STACK_EXPANSION))
    return list(dict.fromkeys([*sha256s, *(bytes(m) for m in members)]))


def media_in_case(ws: Workspace, case: int, sha256s: list[bytes]) -> set[bytes]:
    """Which of ``sha256s`` some item of ``case`` holds."""
    with ws.engine.connect() as conn:
        rows = in_chunks(conn, select(Item.media_sha256).where(Item.case_id == case).distinct(),
                         Item.media_sha256, list(dict.fromkeys(sha256s)))
    return {bytes(r.media_sha256) for r in rows}


def categorise(ws: Workspace, case: int, sha256s: list[bytes], category: int | None,
               scheme: str, user: int | None, stacks: bool = False, *, actor: str,
               action: str = "categorise") -> dict[bytes, int | None]:
    """Set (or clear, with None) the category of media in a case; returns the previous ones.

    With ``stacks`` the whole duplicate stack of each media is categorised. Only media of the
    case are touched. The change and its audit entry (``action`` by ``actor``, naming every
    media changed and its new category) commit in one transaction, so the decisions table can
    always be checked against the log (``audit.decisions_against_log``).
    """
    for _ in range(audit.RETRIES):
        try:
            return _categorise(ws, case, sha256s, category, scheme, user, stacks, actor, action)
        except IntegrityError:  # another writer took the audit tail: redo it all
            continue
    raise RuntimeError("audit log busy: could not record the decision")


def _categorise(ws: Workspace, case: int, sha256s: list[bytes], category: int | None,
                scheme: str, user: int | None, stacks: bool, actor: str, action: str
                ) -> dict[bytes, int | None]:
    with ws.engine.begin() as conn:
        if stacks:
            sha256s = stack_members(conn, case, sha256s)
        present = {bytes(s) for s in conn.scalars(select(ReviewEntry.media_sha256).where(
            ReviewEntry.case_id == case, ReviewEntry.media_sha256.in_(sha256s)))}
        wanted = [s for s in dict.fromkeys(sha256s) if s in present]
        before = {bytes(r.media_sha256): r.category for r in conn.execute(
            select(Decision.media_sha256, Decision.category).where(
                Decision.case_id == case, Decision.media_sha256.in_(wanted)))}
        if category is None:
            conn.execute(delete(Decision).where(Decision.case_id == case,
                                                Decision.media_sha256.in_(wanted)))
        elif wanted:
            now = time.time()
            upsert(conn, Decision.__table__, ["case_id", "media_sha256"],  # type: ignore[arg-type]
                   [{"case_id": case, "media_sha256": s, "scheme": scheme, "category": category,
                     "user_id": user, "decided_at": now} for s in wanted])
        if wanted:
            conn.execute(update(ReviewEntry).where(
                ReviewEntry.case_id == case, ReviewEntry.media_sha256.in_(wanted)
            ).values(category=category))
        audit.append_in(conn, actor, action, case, None, {
            "scheme": scheme, "category": category, "media": [s.hex() for s in wanted],
            "stacks": stacks})
    return {s: before.get(s) for s in wanted}


def decision_counts(ws: Workspace, case: int) -> dict[str, int]:
    """Decided media per ``scheme:category``, plus ``undecided`` media of the queue."""
    with ws.engine.connect() as conn:
        counts = {f"{scheme}:{cat}": int(n) for scheme, cat, n in conn.execute(
            select(Decision.scheme, Decision.category, func.count())
            .where(Decision.case_id == case).group_by(Decision.scheme, Decision.category)
            .order_by(Decision.scheme, Decision.category))}
        counts["undecided"] = int(conn.scalar(select(func.count()).select_from(ReviewEntry).where(
            ReviewEntry.case_id == case, ReviewEntry.category.is_(None))) or 0)
    return counts

