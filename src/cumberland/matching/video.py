"""vPDQ video matching: a known video (one imported vPDQ hash file) matches a seized video
when at least ``Settings.video_match_percent`` of the known video's unique good-quality frames
have a frame within ``pdq_max_distance`` bits among the seized video's frames.

Within means distance <= 31 by default: the rule of vPDQ's README and of Meta's Python
matchers (python-threatexchange, so Hasher-Matcher-Actioner), and the PDQ threshold images
use here. Meta's C++ ``match-hashes-brute`` counts distance < its tolerance: given 32 it
decides as this does at 31 (docs/benchmarks.md, "vPDQ fidelity").

All good-quality frames of the case's videos go into one PDQ range-search index; every known
frame is queried once, so the cost grows with frames, not with pairs of videos. The match's
evidence records both fractions (known frames found, seized frames explained).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import select

from cumberland.index.pdq import PDQIndex, as_codes
from cumberland.settings import Settings
from cumberland.store.models import HashEntry, HashSet, Item, Match, MediaFrame
from cumberland.store.workspace import Workspace
from cumberland.store.writer import insert_ignore

VPDQ_FORMAT = "vpdq"


def _known_frames(ws: Workspace, settings: Settings) -> dict[int, dict[bytes, Any]]:
    """Per vPDQ set: its unique good-quality frame hashes -> (entry id, category)."""
    known: dict[int, dict[bytes, Any]] = defaultdict(dict)
    with ws.engine.connect() as conn:
        for row in conn.execute(
            select(HashEntry.id, HashEntry.hashset_id, HashEntry.pdq, HashEntry.category)
            .join(HashSet, HashSet.id == HashEntry.hashset_id)
            .where(HashSet.format == VPDQ_FORMAT, HashEntry.pdq.is_not(None),
                   HashEntry.pdq_quality.is_(None)
                   | (HashEntry.pdq_quality >= settings.pdq_min_quality))
            .order_by(HashEntry.id)
        ):
            known[row.hashset_id].setdefault(bytes(row.pdq), (row.id, row.category))
    return known


def _case_frames(ws: Workspace, case: int, settings: Settings) -> dict[bytes, set[bytes]]:
    """Per seized video media: its unique good-quality frame hashes."""
    case_media = select(Item.media_sha256).where(Item.case_id == case,
                                                 Item.media_sha256.is_not(None))
    frames: dict[bytes, set[bytes]] = defaultdict(set)
    with ws.engine.connect() as conn:
        for sha, pdq in conn.execute(
            select(MediaFrame.media_sha256, MediaFrame.pdq).where(
                MediaFrame.media_sha256.in_(case_media),
                MediaFrame.quality >= settings.pdq_min_quality)
        ):
            frames[bytes(sha)].add(bytes(pdq))
    return frames


def match_videos(ws: Workspace, case: int, settings: Settings) -> int:
    """Record a ``vpdq`` match per (seized video, known video) pair that passes; returns how
    many pairs passed."""
    known = _known_frames(ws, settings)
    if not known:
        return 0
    seized = _case_frames(ws, case, settings)
    if not seized:
        return 0
    owners: list[bytes] = []
    hashes: list[bytes] = []
    for sha, pdqs in seized.items():
        owners.extend([sha] * len(pdqs))
        hashes.extend(pdqs)
    index = PDQIndex.from_bytes(hashes, list(range(len(hashes))))
    rows = []
    for set_id, frames in known.items():
        queries = list(frames)
        qi, ids, _ = index.search_arrays(as_codes(queries), settings.pdq_max_distance)
        found_known: dict[bytes, set[int]] = defaultdict(set)
        found_seized: dict[bytes, set[int]] = defaultdict(set)
        for q, ref in zip(qi.tolist(), np.asarray(ids).tolist(), strict=True):
            found_known[owners[ref]].add(q)
            found_seized[owners[ref]].add(ref)
        entry_id, category = frames[queries[0]]
        for sha, hit in found_known.items():
            fraction = len(hit) / len(queries)
            if fraction * 100 < settings.video_match_percent:
                continue
            rows.append({
                "media_sha256": sha, "hashset_id": set_id, "entry_id": entry_id,
                "method": "vpdq", "distance": None, "category": category,
                "evidence": {
                    "matched_fraction": round(fraction, 3),
                    "known_frames": len(queries), "matched_frames": len(hit),
                    "seized_frames": len(seized[sha]),
                    "seized_fraction": round(len(found_seized[sha]) / len(seized[sha]), 3),
                },
            })
    if rows:
        with ws.engine.begin() as conn:
            conn.execute(insert_ignore(conn, Match.__table__), rows)  # type: ignore[arg-type]
    return len(rows)
