"""Match every media of a case against every imported hash set and reference library.

Exact matching looks the case's digests up in the memory-mapped digest index, strongest
digest first: an entry already matched by SHA-256 is not matched again by SHA-1 or MD5.
PDQ lists are regime (a) of the robust cascade (query-side variants only), reference
libraries regime (b) (see matching/robust.py). Matches are stored per media, so re-running
adds only what is new.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import delete, select

from cumberland.matching.exact import EXACT_METHODS, exact_matches
from cumberland.matching.library import library_ids, load_libraries
from cumberland.matching.pdq_lists import entry_owners, synced_pdq_index
from cumberland.matching.query import case_groups, query_pixels
from cumberland.matching.robust import (
    VERIFY_RADIUS,
    Found,
    ReferenceHashes,
    Variant,
    confirm,
    variants_from_groups,
)
from cumberland.matching.video import match_videos
from cumberland.settings import Settings
from cumberland.signals.frames import VPDQ
from cumberland.signals.pdq_signal import PDQ, VARIANTS
from cumberland.store.models import Item, Match, Media
from cumberland.store.sql import IN_CHUNK
from cumberland.store.workspace import Workspace
from cumberland.store.writer import insert_ignore

QUERY_CHUNK = 2048  # case media searched at once (bounds the variants held in memory)
MATCHES = Match.__table__
#: the signals perceptual matching reads: when one is recomputed, its media is matched again
MATCHED_SIGNALS = frozenset({PDQ.name, VARIANTS.name, VPDQ.name})


def forget_perceptual(ws: Workspace, digests: Sequence[bytes]) -> None:
    """Drop the perceptual matches of media whose hashes changed (enrichment): matching
    adds what still holds, so a match the new hashes no longer support does not linger.
    Exact matches depend on the bytes alone and stay."""
    with ws.engine.begin() as conn:
        for lo in range(0, len(digests), IN_CHUNK):
            conn.execute(delete(Match).where(Match.media_sha256.in_(digests[lo:lo + IN_CHUNK]),
                                             Match.method.not_in(EXACT_METHODS)))


def _case_media(case: int):  # type: ignore[no-untyped-def]
    return select(Item.media_sha256).where(Item.case_id == case, Item.media_sha256.is_not(None))


def match_exact(ws: Workspace, case: int) -> None:
    """Digest matches through the exact index (see matching/exact.py)."""
    rows = exact_matches(ws, case)
    if rows:
        with ws.engine.begin() as conn:
            conn.execute(insert_ignore(conn, MATCHES), rows)  # type: ignore[arg-type]


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


def _chunks(rows: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for lo in range(0, len(rows), QUERY_CHUNK):
        yield rows[lo:lo + QUERY_CHUNK]


def match_pdq(ws: Workspace, case: int, settings: Settings) -> None:
    """Regime (a), hash-only PDQ lists: the query's hash, then the dihedral and unpadded
    variants stored at ingest for media the plain hash did not match."""
    queries = _pdq_queries(ws, case, settings)
    if not queries:
        return
    radius = settings.pdq_max_distance
    with synced_pdq_index(ws) as index:
        if not len(index):
            return
        hashes = ReferenceHashes.over(index)
        for chunk in _chunks(queries):
            plain = _owned(ws, chunk, hashes.search_many(
                [[Variant("pdq", q.pdq, 100)] for q in chunk], radius, 0, False), settings)
            missed = [q for q, found in plain if not found]
            groups = case_groups(ws, missed, settings)
            lists = [variants_from_groups(groups[q.sha256], regions=False) for q in missed]
            varied = _owned(ws, missed, hashes.search_many(
                lists, radius, settings.pdq_min_quality, False), settings)
            _store(ws, [_row(q.sha256, owner, f) for q, found in [*plain, *varied]
                        for f, owner in found])


def _owned(ws: Workspace, queries: Sequence[Any], found: Sequence[dict[int, Found]],
           settings: Settings) -> list[tuple[Any, list[tuple[Found, tuple[int, int | None]]]]]:
    """Each query's hits with their entry's (set, category), leaving out entries below the
    quality floor (the persisted index holds them all)."""
    with ws.engine.connect() as conn:
        owners = entry_owners(conn, sorted({f.ref for hits in found for f in hits.values()}),
                              settings.pdq_min_quality)
    return [(q, [(f, owners[f.ref]) for f in hits.values() if f.ref in owners])
            for q, hits in zip(queries, found, strict=True)]


def match_libraries(ws: Workspace, case: int, settings: Settings,
                    libraries: Sequence[str] | None = None) -> None:
    """Regime (b), reference libraries: the full cascade. Hash stages use the variants stored
    at ingest; a query's pixels are read only for keypoints: to verify loose PDQ candidates
    and, when no hash stage matched, the references its descriptors vote for."""
    set_ids = library_ids(ws, libraries)
    if not set_ids:
        return
    loaded = load_libraries(ws, set_ids, settings.pdq_min_quality)
    if not loaded.entries:
        return
    radius = settings.pdq_max_distance
    for chunk in _chunks(_pdq_queries(ws, case, settings)):
        groups = case_groups(ws, chunk, settings)
        lists = [variants_from_groups(groups[q.sha256], regions=True) for q in chunk]
        rows = []
        for q, found in zip(chunk, loaded.hashes.search_many(
                lists, VERIFY_RADIUS, settings.pdq_min_quality, True), strict=True):
            pixels = functools.partial(query_pixels, ws, q.sha256, settings)
            rows += [_row(q.sha256, loaded.entries[f.ref], f) for f in confirm(
                found, radius, pixels, loaded.descriptors, loaded.features)]
        _store(ws, rows)


def match_case(ws: Workspace, case: int, settings: Settings,
               libraries: Sequence[str] | None = None) -> None:
    """Exact digests, PDQ lists (regime a), then reference libraries (regime b; all of them
    unless ``libraries`` names some)."""
    match_exact(ws, case)
    match_pdq(ws, case, settings)
    match_videos(ws, case, settings)
    match_libraries(ws, case, settings, libraries)
