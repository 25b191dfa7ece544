"""The review queue of a case and reviewers' categorisations.

The queue (``review_queue``) holds one row per media of a case with its priority and sort
keys, rebuilt in one set-based statement after each run; its pages are ``analysis.grid``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import case as when
from sqlalchemy.exc import IntegrityError

from cumberland.analysis.priority import (
    FACE_KINDS,
    ItemFacts,
    facts_sql,
    item_aggregates,
    rank_sql,
    weights_from,
)
from cumberland.settings import PriorityWeights
from cumberland.store import audit
from cumberland.store.models import (
    Decision,
    FaceLibrary,
    FaceLibraryFace,
    FaceLibraryMatch,
    HashSet,
    Item,
    Match,
    Media,
    Opinion,
    ReviewEntry,
    ReviewState,
    Run,
    Series,
    SeriesMember,
    Stack,
)
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace, transaction_lock
from cumberland.store.writer import upsert

MAX_STACK_EXPANSION = 50_000


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


def _face_kinds() -> Any:
    """Per media with a face-library match, 1 in a column per kind (analysis/priority.py's
    FACE_KINDS) when a face of it matched a library of that kind. Joined once per queue row:
    an EXISTS per kind costs more, as each factor is read twice (priority and reasons)."""
    flags = (func.max(when((FaceLibrary.kind == kind, 1), else_=0)).label(kind)
             for kind in FACE_KINDS)
    return (select(FaceLibraryMatch.media_sha256.label("sha"), *flags)
            .join(FaceLibraryFace, FaceLibraryFace.id == FaceLibraryMatch.library_face_id)
            .join(FaceLibrary, FaceLibrary.id == FaceLibraryFace.library_id)
            .group_by(FaceLibraryMatch.media_sha256).subquery())


_QUEUE_LOCK = 0x5245_5649_0000_0000  # "REVI" + case id: one advisory lock per case


def _weights(conn: Connection, case: int) -> PriorityWeights:
    """The priority weights of the case's latest run (web rebuilds rank as triage did)."""
    recorded = conn.scalar(select(Run.settings).where(Run.case_id == case)
                           .order_by(Run.id.desc()).limit(1))
    return weights_from((recorded or {}).get("priority"))


_COLUMNS = ["case_id", "media_sha256", "priority", "kind", "matched", "known_good",
            "category", "item_id", "n_items", "path_sort", "size", "taken", "reasons"]


def _entries(case: int, weights: PriorityWeights, only: list[bytes] | None = None) -> Select[Any]:
    """The queue's rows (``_COLUMNS``) of the case's media, or of ``only`` those."""
    held = [Item.case_id == case, Item.media_sha256.is_not(None)]
    if only is not None:
        held.append(Item.media_sha256.in_(only))
    groups = (select(Item.media_sha256.label("sha"), func.min(Item.id).label("first"),
                     func.count().label("n"),
                     *(v.label(k) for k, v in item_aggregates(
                         Item.artefacts, Item.deleted, Item.deleted_at).items()))
              .where(*held).group_by(Item.media_sha256).subquery())
    matched = _purpose_match("alert", groups.c.sha)
    known_good = _purpose_match("ignore", groups.c.sha)
    items = ItemFacts(groups.c.origin, groups.c.user, groups.c.deleted, groups.c.cache,
                      groups.c.system)
    in_series = exists().where(SeriesMember.case_id == case,
                               SeriesMember.media_sha256 == groups.c.sha,
                               Series.case_id == case, Series.number == SeriesMember.number,
                               Series.prime.is_(True))
    kinds = _face_kinds()
    priority, reasons = rank_sql(facts_sql(matched, known_good, items, Media, weights,
                                           in_series, lambda kind: kinds.c[kind] == 1), weights)
    taken = func.coalesce(func.substr(Media.meta[("exif", "datetime_original")].as_string(),
                                      1, 19), "~")
    return (select(literal(case), groups.c.sha, priority,
                   Media.kind, matched, known_good, Decision.category, groups.c.first,
                   groups.c.n, func.substr(Item.path, 1, 300), Media.size, taken, reasons)
            .join(Media, Media.sha256 == groups.c.sha)
            .join(Item, Item.id == groups.c.first)
            .outerjoin(kinds, kinds.c.sha == groups.c.sha)
            .outerjoin(Decision, and_(Decision.case_id == case,
                                      Decision.media_sha256 == groups.c.sha)))


def refresh_queue(ws: Workspace, case: int, weights: PriorityWeights | None = None) -> int:
    """Rebuild the case's queue from items, media, matches and decisions; returns its size.
    ``weights`` default to those the case's latest run recorded."""
    if weights is None:
        with ws.engine.connect() as conn:
            weights = _weights(conn, case)
    with ws.engine.begin() as conn:
        transaction_lock(conn, _QUEUE_LOCK + case)  # two runs into one case rebuild in turn
        stamp = _stamp(conn, case)
        conn.execute(delete(ReviewEntry).where(ReviewEntry.case_id == case))
        conn.execute(insert(ReviewEntry).from_select(_COLUMNS, _entries(case, weights)))
        total = int(conn.scalar(select(func.count()).select_from(ReviewEntry)
                                .where(ReviewEntry.case_id == case)) or 0)
        upsert(conn, ReviewState.__table__, ["case_id"],  # type: ignore[arg-type]
               [{"case_id": case, "stamp": stamp, "refreshed_at": time.time(), "total": total}])
        return total


def prime_members(conn: Connection, case: int) -> set[bytes]:
    """The case's media in a prime series: those the queue's ``series`` factor brings
    forward."""
    return {bytes(s) for s in conn.scalars(select(SeriesMember.media_sha256).join(
        Series, and_(Series.case_id == SeriesMember.case_id,
                     Series.number == SeriesMember.number)).where(
        SeriesMember.case_id == case, Series.prime.is_(True)))}


_REQUEUE_CHUNK = 500  # media a statement ranks again (bound parameters stay few)


def requeue(conn: Connection, case: int, shas: set[bytes]) -> None:
    """Rank ``shas`` again in the case's queue, in ``conn``'s transaction (a reviewer's
    series change: the next page reads the new order without a rebuild of the whole case)."""
    if not shas:
        return
    transaction_lock(conn, _QUEUE_LOCK + case)  # not while a rebuild rewrites the queue
    weights = _weights(conn, case)
    ordered = sorted(shas)
    for start in range(0, len(ordered), _REQUEUE_CHUNK):
        chunk = ordered[start:start + _REQUEUE_CHUNK]
        conn.execute(delete(ReviewEntry).where(ReviewEntry.case_id == case,
                                               ReviewEntry.media_sha256.in_(chunk)))
        conn.execute(insert(ReviewEntry).from_select(_COLUMNS, _entries(case, weights, chunk)))


def queue_state(ws: Workspace, case: int) -> str:
    """``fresh``, ``stale`` (a run started or finished since it was built) or ``missing``."""
    with ws.engine.connect() as conn:
        built = conn.scalar(select(ReviewState.stamp).where(ReviewState.case_id == case))
        current = _stamp(conn, case)
    return "missing" if built is None else "fresh" if built == current else "stale"


# --- membership and decisions ---------------------------------------------------------------


# Items are looked up by their media alone and the case is checked on the rows found: given
# both, SQLite (without statistics) walks every item of the case through the case's index
# instead (70 ms a check at 20,000 items, growing with the case).


def in_case(ws: Workspace, case: int, sha256: bytes) -> bool:
    """Whether any item of ``case`` holds this media (the membership check for media URLs)."""
    with ws.engine.connect() as conn:
        return case in set(conn.scalars(select(Item.case_id).where(
            Item.media_sha256 == sha256).distinct()))


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
        rows = in_chunks(conn, select(Item.media_sha256, Item.case_id).distinct(),
                         Item.media_sha256, list(dict.fromkeys(sha256s)))
    return {bytes(r.media_sha256) for r in rows if r.case_id == case}


def categorise(ws: Workspace, case: int, sha256s: list[bytes], category: int | None,
               scheme: str, user: int | None, stacks: bool = False, *, actor: str,
               action: str = "categorise", final: bool = False) -> dict[bytes, int | None]:
    """Set (or clear, with None) the category of media in a case; returns the previous ones.

    With ``stacks`` the whole duplicate stack of each media is categorised. Only media of the
    case are touched. The change and its audit entry (``action`` by ``actor``, naming every
    media changed and its new category) commit in one transaction, so the decisions table can
    always be checked against the log (``audit.decisions_against_log``). The reviewer's own
    opinion is kept too (``final``: an investigator settling a disagreement).
    """
    for _ in range(audit.RETRIES):
        try:
            return _categorise(ws, case, sha256s, category, scheme, user, stacks, actor, action,
                               final)
        except IntegrityError:  # another writer took the audit tail: redo it all
            continue
    raise RuntimeError("audit log busy: could not record the decision")


def _categorise(ws: Workspace, case: int, sha256s: list[bytes], category: int | None,
                scheme: str, user: int | None, stacks: bool, actor: str, action: str,
                final: bool) -> dict[bytes, int | None]:
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
        if wanted and user is not None:
            _opinions(conn, case, wanted, category, scheme, user, final)
        details = {"scheme": scheme, "category": category, "media": [s.hex() for s in wanted],
                   "stacks": stacks}
        audit.append_in(conn, actor, action, case, None,
                        {**details, "final": True} if final else details)
    return {s: before.get(s) for s in wanted}


def _opinions(conn: Connection, case: int, media: list[bytes], category: int | None,
              scheme: str, user: int, final: bool) -> None:
    mine = and_(Opinion.case_id == case, Opinion.user_id == user, Opinion.media_sha256.in_(media))
    if category is None:
        conn.execute(delete(Opinion).where(mine))
        return
    now = time.time()
    upsert(conn, Opinion.__table__, ["case_id", "media_sha256", "user_id"],  # type: ignore[arg-type]
           [{"case_id": case, "media_sha256": s, "user_id": user, "scheme": scheme,
             "category": category, "decided_at": now, "final": final} for s in media])


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

