"""Pages of a case's review queue: filters, search, sort orders and keyset cursors.

Every order is an index of ``review_queue`` (priority, first path, size, capture time, each
with the SHA-256 as tie-breaker), so a page is a range scan from its cursor whatever the order
and page 10,000 costs what page 1 costs. Filters that need the items (source, path, name,
deleted) or the media (hashes, EXIF) narrow that walk; they never replace the cursor.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import and_, exists, false, func, or_, select
from sqlalchemy.sql import Select

from cumberland.analysis.facts import UNKNOWN_KINDS
from cumberland.analysis.priority import in_categories
from cumberland.store.models import Assignment, Item, Media, Opinion, ReviewEntry
from cumberland.store.pathkey import prefix_condition
from cumberland.store.workspace import Workspace

PAGE = 120
STATUSES = ("unknown", "matched", "known-good", "all")
#: sort name -> (queue column, whether its values are text)
SORTS: dict[str, tuple[Any, bool]] = {
    "priority": (ReviewEntry.priority, False),
    "path": (ReviewEntry.path_sort, True),
    "date": (ReviewEntry.taken, True),
    "size": (ReviewEntry.size, False),
}
HEX = re.compile(r"^[0-9a-f]+$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CATEGORY_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")  # catalogue category names
MAX_INT = 2**62


@dataclass(frozen=True, slots=True)
class Filters:
    status: str = "unknown"  # one of STATUSES
    category: str = ""  # "" any, "none" uncategorised, or a category number
    ai_level: str = ""
    kind: str = ""
    source: int | None = None
    path_prefix: str = ""
    deleted: bool = False  # only media with at least one deleted item
    name: str = ""  # some item's path contains this (any case)
    found_in: str = ""  # some item is in this artefact category (docs/artefacts.md)
    hash: str = ""  # MD5, SHA-1 or SHA-256 hex; 64 hex digits also match PDQ in ``similar``
    similar: frozenset[bytes] = frozenset()  # media whose PDQ is near ``hash`` (the caller's)
    camera: str = ""  # EXIF make or model contains this
    taken_from: str = ""  # YYYY-MM-DD, EXIF capture date
    taken_to: str = ""
    gps: bool = False  # only media with EXIF GPS
    size_min: int | None = None
    size_max: int | None = None
    todo_for: int | None = None  # a reviewer's share: assigned to them, not yet categorised by them
    assigned_to: int | None = None  # everything assigned to this reviewer
    sort: str = "priority"
    descending: bool = False

    def cleaned(self) -> Filters:
        """Bounded, normalised values (whatever the URL said)."""
        return replace(
            self, status=self.status if self.status in STATUSES else "unknown",
            sort=self.sort if self.sort in SORTS else "priority",
            name=self.name[:200], hash=self.hash.strip().lower()[:64],
            camera=self.camera[:100], path_prefix=self.path_prefix[:500],
            found_in=self.found_in if CATEGORY_NAME.fullmatch(self.found_in) else "",
            taken_from=self.taken_from if DATE.fullmatch(self.taken_from) else "",
            taken_to=self.taken_to if DATE.fullmatch(self.taken_to) else "",
            size_min=_bounded(self.size_min), size_max=_bounded(self.size_max))


def _bounded(value: int | None) -> int | None:
    return None if value is None else max(0, min(value, MAX_INT))


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
    size: int = 0
    taken: str = "~"
    sort_key: Any = None
    reasons: str = ""  # why it is where it is in the priority order (analysis/priority.py)

    @property
    def cursor(self) -> str:
        return encode_cursor(self.priority if self.sort_key is None else self.sort_key,
                             self.sha256)


@dataclass(slots=True)
class Page:
    tiles: list[Tile] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(key: Any, sha256: bytes) -> str:
    """``<value>.<sha256 hex>``: a number as is (the priority order's cursors stay as they
    were), text as ``s`` + its UTF-8 in hex."""
    value = f"s{str(key).encode('utf-8').hex()}" if isinstance(key, str) else str(int(key))
    return f"{value}.{sha256.hex()}"


def parse_cursor(text: str | None, textual: bool = False) -> tuple[Any, bytes] | None:
    """The (sort value, sha256) of a cursor, or None; anything malformed starts from the top."""
    if not text:
        return None
    head, _, tail = text.partition(".")
    try:
        sha = bytes.fromhex(tail)
        if textual:
            if not head.startswith("s"):
                return None
            key: Any = bytes.fromhex(head[1:]).decode("utf-8")
        else:
            key = int(head)
    except ValueError:
        return None
    # beyond a 64-bit integer the database would refuse the number (an overflow, not a page)
    if len(sha) != 32 or (not textual and abs(key) >= MAX_INT):
        return None
    return key, sha


def _hash_condition(filters: Filters) -> Any:
    text = filters.hash
    if not HEX.fullmatch(text) or len(text) not in (32, 40, 64):
        return false()
    digest = bytes.fromhex(text)
    if len(digest) == 16:
        return Media.md5 == digest
    if len(digest) == 20:
        return Media.sha1 == digest
    return or_(ReviewEntry.media_sha256 == digest,
               ReviewEntry.media_sha256.in_(sorted(filters.similar)))


def _filtered(case: int, filters: Filters) -> Select[*tuple[Any, ...]]:
    q = ReviewEntry
    sort_column, _ = SORTS[filters.sort]
    query: Select[*tuple[Any, ...]] = (
        select(q.media_sha256, q.priority, q.kind, q.matched, q.known_good, q.category,
               q.n_items, Media.mime, Media.ai_level, Item.path, q.size, q.taken,
               sort_column.label("sort_key"), q.reasons)
        .join(Media, Media.sha256 == q.media_sha256)
        .join(Item, Item.id == q.item_id)
        .where(q.case_id == case))
    if filters.status == "unknown":  # as analysis/facts.py defines it, on every surface
        query = query.where(q.matched.is_(False), q.known_good.is_(False),
                            q.kind.in_(UNKNOWN_KINDS))
    elif filters.status == "matched":
        query = query.where(q.matched.is_(True))
    elif filters.status == "known-good":
        query = query.where(q.known_good.is_(True), q.matched.is_(False))
    if filters.category == "none":
        query = query.where(q.category.is_(None))
    elif filters.category.isdigit():
        query = query.where(q.category == int(filters.category))
    if filters.ai_level:
        query = query.where(func.coalesce(Media.ai_level, "none") == filters.ai_level)
    if filters.kind:
        query = query.where(q.kind == filters.kind)
    if filters.hash:
        query = query.where(_hash_condition(filters))
    if filters.camera:
        needle = filters.camera.lower()
        make = func.lower(func.coalesce(Media.meta[("exif", "make")].as_string(), ""))
        model = func.lower(func.coalesce(Media.meta[("exif", "model")].as_string(), ""))
        query = query.where(or_(make.contains(needle, autoescape=True),
                                model.contains(needle, autoescape=True)))
    if filters.taken_from:
        query = query.where(q.taken >= filters.taken_from.replace("-", ":"), q.taken < "~")
    if filters.taken_to:
        query = query.where(q.taken <= filters.taken_to.replace("-", ":") + " 23:59:59")
    if filters.gps:
        query = query.where(Media.meta[("exif", "gps", "lat")].as_float().is_not(None))
    if filters.size_min is not None:
        query = query.where(q.size >= filters.size_min)
    if filters.size_max is not None:
        query = query.where(q.size <= filters.size_max)
    if filters.assigned_to is not None:
        query = query.where(exists().where(
            Assignment.case_id == case, Assignment.media_sha256 == q.media_sha256,
            Assignment.user_id == filters.assigned_to))
    if filters.todo_for is not None:
        query = query.where(exists().where(
            Assignment.case_id == case, Assignment.media_sha256 == q.media_sha256,
            Assignment.user_id == filters.todo_for), ~exists().where(
            Opinion.case_id == case, Opinion.media_sha256 == q.media_sha256,
            Opinion.user_id == filters.todo_for))
    other = Item.__table__.alias("other")  # any item of the media, not only the shown one
    item_conditions = []
    if filters.source is not None:
        item_conditions.append(other.c.source_id == filters.source)
    if filters.path_prefix:
        item_conditions.append(prefix_condition(other.c.path, filters.path_prefix))
    if filters.name:
        item_conditions.append(func.lower(other.c.path).contains(filters.name.lower(),
                                                                   autoescape=True))
    if filters.deleted:
        item_conditions.append(other.c.deleted.is_(True))
    if filters.found_in:
        item_conditions.append(in_categories(other.c.artefacts, (filters.found_in,)))
    if item_conditions:
        # The matching media are found once through the items indexes, then the queue is
        # walked in order against that set (a per-row EXISTS walked 1 M rows).
        query = query.where(q.media_sha256.in_(select(other.c.media_sha256).where(
            other.c.case_id == case, other.c.media_sha256.is_not(None), *item_conditions)))
    return query


def _tile(row: Any) -> Tile:
    return Tile(bytes(row.media_sha256), int(row.priority), row.kind, row.mime, row.ai_level,
                bool(row.matched), bool(row.known_good), row.category, int(row.n_items),
                row.path, int(row.size or 0), str(row.taken), row.sort_key, row.reasons or "")


def _ordered(query: Select[*tuple[Any, ...]], filters: Filters, cursor: tuple[Any, bytes] | None,
             backwards: bool = False) -> Select[*tuple[Any, ...]]:
    """The query in the filters' order (reversed with ``backwards``), after ``cursor``."""
    column, _ = SORTS[filters.sort]
    down = filters.descending != backwards
    sha = ReviewEntry.media_sha256
    if cursor is not None:
        key, last = cursor
        # The bound alone first, so the database seeks into the (case, key, sha256) index
        # instead of scanning from the top; the OR then drops what is at or before the cursor.
        if down:
            query = query.where(column <= key, or_(column < key, and_(column == key, sha < last)))
        else:
            query = query.where(column >= key, or_(column > key, and_(column == key, sha > last)))
    return query.order_by(column.desc(), sha.desc()) if down else query.order_by(column, sha)


def review_page(ws: Workspace, case: int, filters: Filters, after: str | None = None,
                limit: int = PAGE) -> Page:
    """One page of tiles after the keyset cursor ``after``."""
    cursor = parse_cursor(after, SORTS[filters.sort][1])
    query = _ordered(_filtered(case, filters), filters, cursor).limit(limit + 1)
    with ws.engine.connect() as conn:
        rows = [_tile(r) for r in conn.execute(query)]
    page = Page(rows[:limit])
    if len(rows) > limit:
        page.next_cursor = page.tiles[-1].cursor
    return page


def position_cursor(ws: Workspace, case: int, filters: Filters, sha256: bytes,
                    inclusive: bool = False) -> str | None:
    """The cursor of a media in the filters' order (``inclusive``: the one just before it, so
    a page ``after`` it starts with the media itself)."""
    column, _ = SORTS[filters.sort]
    with ws.engine.connect() as conn:
        key = conn.scalar(select(column).where(ReviewEntry.case_id == case,
                                               ReviewEntry.media_sha256 == sha256))
    if key is None:
        return None
    if not inclusive:
        return encode_cursor(key, sha256)
    before = neighbour(ws, case, filters, sha256, backwards=True)
    return before.cursor if before else None


def neighbour(ws: Workspace, case: int, filters: Filters, sha256: bytes,
              backwards: bool = False) -> Tile | None:
    """The tile after (or before) a media in the grid's order and filters: next/previous in
    the viewer. The media itself need not match the filters any more (once categorised it
    leaves a "to review" grid, and the next one is still the next)."""
    column, _ = SORTS[filters.sort]
    with ws.engine.connect() as conn:
        key = conn.scalar(select(column).where(ReviewEntry.case_id == case,
                                               ReviewEntry.media_sha256 == sha256))
        if key is None:
            return None
        query = _ordered(_filtered(case, filters), filters, (key, sha256), backwards).limit(1)
        row = conn.execute(query).first()
    return _tile(row) if row else None


def offset_page(ws: Workspace, case: int, filters: Filters, page: int, limit: int = PAGE
                ) -> list[Tile]:
    """The naive way (OFFSET), kept as the benchmark's baseline."""
    query = _ordered(_filtered(case, filters), filters, None).offset(page * limit).limit(limit)
    with ws.engine.connect() as conn:
        return [_tile(r) for r in conn.execute(query)]
