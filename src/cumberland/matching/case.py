"""Match every media of a case against every imported hash set and reference library.

Exact matching is a join in the database (indexed digest columns), strongest digest first:
an entry already matched by SHA-256 is not matched again by SHA-1 or MD5. PDQ lists are
regime (a) of the robust cascade (query-side variants only), reference libraries regime (b)
(see matching/robust.py). Matches are stored per media, so re-running adds only what is new.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import JSON, Integer, and_, exists, literal, select
from sqlalchemy.orm import aliased

from cumberland.matching.library import FORMAT as LIBRARY_FORMAT
from cumberland.matching.library import library_ids, load_libraries
from cumberland.matching.query import query_pixels
from cumberland.matching.robust import (
    VERIFY_RADIUS,
    Found,
    ReferenceHashes,
    Variant,
    cascade,
    features,
    query_variants,
)
from cumberland.matching.video import match_videos
from cumberland.settings import Settings
from cumberland.store.models import HashEntry, HashSet, Item, Match, Media
from cumberland.store.workspace import Workspace
from cumberland.store.writer import insert_ignore

EXACT_METHODS = ("sha256", "sha1", "md5")
MATCHES = Match.__table__


def _case_media(case: int):  # type: ignore[no-untyped-def]
    return select(Item.media_sha256).where(Item.case_id == case, Item.media_sha256.is_not(None))


def match_exact(ws: Workspace, case: int) -> None:
    with ws.engine.begin() as conn:
        for method in EXACT_METHODS:
            earlier = aliased(Match)
            query = (
                select(
                    Media.sha256, HashEntry.hashset_id, HashEntry.id, literal(method),
                    literal(None, Integer), HashEntry.category, literal({}, JSON),
                )
                .join(HashEntry, getattr(HashEntry, method) == getattr(Media, method))
                .where(Media.sha256.in_(_case_media(case)))
                .where(~exists().where(and_(earlier.media_sha256 == Media.sha256,
                                            earlier.entry_id == HashEntry.id)))
            )
            cols = ["media_sha256", "hashset_id", "entry_id", "method", "distance", "category",
                    "evidence"]
            conn.execute(insert_ignore(conn, MATCHES).from_select(cols, query))  # type: ignore[arg-type]


def _pdq_queries(ws: Workspace, case: int, settings: Settings):  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        return conn.execute(
            select(Media.sha256, Media.pdq, Media.has_thumb).where(
                Media.sha256.in_(_case_media(case)), Media.pdq.is_not(None),
                Media.pdq_quality >= settings.pdq_min_quality,
            )
        ).all()


def _store(ws: Workspace, rows: list[dict[str, Any]]) -> None:
    """Insert matches, leaving out pairs an exact digest already matched."""
    if not rows:
        return
    with ws.engine.begin() as conn:
        exact = {
            (r.media_sha256, r.entry_id)
            for r in conn.execute(select(Match.media_sha256, Match.entry_id).where(
                Match.method.in_(EXACT_METHODS),
                Match.media_sha256.in_({row["media_sha256"] for row in rows})))
        }
        fresh = [r for r in rows if (r["media_sha256"], r["entry_id"]) not in exact]
        if fresh:
            conn.execute(insert_ignore(conn, MATCHES), fresh)  # type: ignore[arg-type]


def _row(sha256: bytes, owner: tuple[int, int | None], found: Found) -> dict[str, Any]:
    """A match row; ``owner`` is the entry's (set id, category)."""
    set_id, category = owner
    return {"media_sha256": sha256, "hashset_id": set_id, "entry_id": found.ref,
            "method": found.method, "distance": found.distance, "category": category,
            "evidence": found.evidence()}


def match_pdq(ws: Workspace, case: int, settings: Settings) -> None:
    """Regime (a), hash-only PDQ lists: the query's hash, then its dihedral and unpadded
    variants for media the plain hash did not match."""
    with ws.engine.connect() as conn:
        refs = conn.execute(
            select(HashEntry.id, HashEntry.pdq, HashEntry.hashset_id, HashEntry.category)
            .join(HashSet, HashSet.id == HashEntry.hashset_id)
            .where(
                HashSet.format != LIBRARY_FORMAT,
                HashEntry.pdq.is_not(None),
                (HashEntry.pdq_quality.is_(None))
                | (HashEntry.pdq_quality >= settings.pdq_min_quality),
            )
        ).all()
    if not refs:
        return
    queries = _pdq_queries(ws, case, settings)
    if not queries:
        return
    hashes = ReferenceHashes([r.id for r in refs], [Variant("pdq", r.pdq, 100) for r in refs], 0)
    meta = {r.id: (r.hashset_id, r.category) for r in refs}
    rows, missed = [], []
    for q in queries:
        found = hashes.search([Variant("pdq", q.pdq, 100)], settings.pdq_max_distance, 0, False)
        rows += [_row(q.sha256, meta[f.ref], f) for f in found.values()]
        if not found:
            missed.append(q)
    for q in missed:
        rgb = query_pixels(ws, q.sha256, settings)
        if rgb is None:
            continue
        variants = query_variants(rgb, regions=False)
        for f in cascade(hashes, variants, settings.pdq_max_distance, settings.pdq_min_quality,
                         regions=False):
            rows.append(_row(q.sha256, meta[f.ref], f))
    _store(ws, rows)


def match_libraries(ws: Workspace, case: int, settings: Settings,
                    libraries: Sequence[str] | None = None) -> None:
    """Regime (b), reference libraries: the full cascade with keypoint verification."""
    set_ids = library_ids(ws, libraries)
    if not set_ids:
        return
    loaded = load_libraries(ws, set_ids, settings.pdq_min_quality)
    if not loaded.entries:
        return
    rows = []
    for q in _pdq_queries(ws, case, settings):
        rgb = query_pixels(ws, q.sha256, settings)
        if rgb is None:
            continue
        variants = query_variants(rgb, regions=True)
        loose = loaded.hashes.search(variants, VERIFY_RADIUS, settings.pdq_min_quality, True)
        feats = loaded.features([r for r, f in loose.items()
                                 if f.distance > settings.pdq_max_distance])
        for f in cascade(loaded.hashes, variants, settings.pdq_max_distance,
                         settings.pdq_min_quality, True, features(rgb) if feats else None, feats):
            rows.append(_row(q.sha256, loaded.entries[f.ref], f))
    _store(ws, rows)


def match_case(ws: Workspace, case: int, settings: Settings,
               libraries: Sequence[str] | None = None) -> None:
    """Exact digests, PDQ lists (regime a), then reference libraries (regime b; all of them
    unless ``libraries`` names some)."""
    match_exact(ws, case)
    match_pdq(ws, case, settings)
    match_videos(ws, case, settings)
    match_libraries(ws, case, settings, libraries)
