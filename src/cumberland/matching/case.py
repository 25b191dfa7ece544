"""Match every media of a case against every imported hash set.

Exact matching is a join in the database (indexed digest columns), strongest digest first:
an entry already matched by SHA-256 is not matched again by SHA-1 or MD5. PDQ matching
loads the sets' PDQ hashes into a range-search index and queries the case's good-quality
image hashes. Matches are stored per media, so re-running adds only what is new.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import JSON, Integer, and_, exists, literal, select
from sqlalchemy.orm import aliased

from cumberland.index.pdq import PDQIndex
from cumberland.matching.video import match_videos
from cumberland.settings import Settings
from cumberland.store.models import HashEntry, Item, Match, Media
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


def match_pdq(ws: Workspace, case: int, settings: Settings) -> None:
    with ws.engine.connect() as conn:
        refs = conn.execute(
            select(HashEntry.id, HashEntry.pdq, HashEntry.hashset_id, HashEntry.category).where(
                HashEntry.pdq.is_not(None),
                (HashEntry.pdq_quality.is_(None))
                | (HashEntry.pdq_quality >= settings.pdq_min_quality),
            )
        ).all()
        if not refs:
            return
        queries = conn.execute(
            select(Media.sha256, Media.pdq).where(
                Media.sha256.in_(_case_media(case)), Media.pdq.is_not(None),
                Media.pdq_quality >= settings.pdq_min_quality,
            )
        ).all()
    if not queries:
        return
    index = PDQIndex.from_bytes([r.pdq for r in refs], list(range(len(refs))))
    qarr = np.frombuffer(b"".join(q.pdq for q in queries), dtype=np.uint8).reshape(-1, 32)
    rows = []
    for hit in index.search(qarr, settings.pdq_max_distance):
        ref = refs[hit.ref]
        rows.append({
            "media_sha256": queries[hit.query].sha256, "hashset_id": ref.hashset_id,
            "entry_id": ref.id, "method": "pdq", "distance": hit.distance,
            "category": ref.category, "evidence": {"distance": hit.distance},
        })
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


def match_case(ws: Workspace, case: int, settings: Settings) -> None:
    match_exact(ws, case)
    match_pdq(ws, case, settings)
    match_videos(ws, case, settings)
