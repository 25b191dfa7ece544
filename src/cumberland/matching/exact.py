"""Exact digest matching through the memory-mapped digest index (index/exact.py).

``hash_entries`` stays the record of every entry; the index maps each MD5, SHA-1 and
SHA-256 to entry ids, persisted under ``<workspace>/index/exact/<kind>`` and brought up to
date before matching from its high-water mark (the last entry id it holds), so an import
costs the new entries only. Entries of a deleted or replaced set leave the index by a
rebuild of it (seen from the set list the index records); until then, and against any
race with a concurrent import, every hit is checked against ``hash_entries`` (entry still
there, same digest), so a removed entry never matches.

Index-only sets (store/hashset_import.py) have no entries: each has its own immutable index
folder, named by its set row, looked up beside the shared index. Their matches carry no
entry (``entry_id`` NULL), one per media and set, by the strongest digest.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, or_, select

from cumberland.index.exact import ExactIndex
from cumberland.index.sets import open_set_index
from cumberland.store.hashset_import import index_sets, set_index_root, storage_of
from cumberland.store.models import HashEntry, HashSet, Item, Match, Media
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace, file_lock

EXACT_METHODS = ("sha256", "sha1", "md5")  # strongest first: a pair keeps the first that hits
LOOKUP_CHUNK = 100_000  # case media looked up at once


def index_root(ws: Workspace) -> Path:
    return ws.root / "index" / "exact"


def set_generations(conn: Connection) -> dict[str, Any]:
    """Set id -> what identifies this import of it: a replaced set is a new import (new
    ``imported_at``); a library keeps its creation stamp while it grows."""
    return {str(r.id): r.properties.get("created", r.imported_at) if r.format == "library"
            else r.imported_at
            for r in conn.execute(select(HashSet.id, HashSet.format, HashSet.imported_at,
                                         HashSet.properties))
            if storage_of(r.properties) != "index"}


def _sync(conn: Connection, index: ExactIndex, kind: str) -> None:
    """Add entries past the high-water mark (and any of sets new since the last sync, in
    case a concurrent import committed lower ids late); rebuild if a covered set went."""
    sets = set_generations(conn)
    covered = index.meta.get("sets", {})
    if any(sets.get(s) != gen for s, gen in covered.items()):
        index.clear()
        covered = {}
    fresh = [int(s) for s in sets if s not in covered]
    column = getattr(HashEntry, kind)
    newer = HashEntry.id > index.upto
    if fresh and index.upto:
        newer = or_(newer, HashEntry.hashset_id.in_(fresh))
    top = int(conn.scalar(select(func.max(HashEntry.id))) or 0)
    rows = conn.execution_options(yield_per=50_000).execute(
        select(column, HashEntry.id).where(newer, column.is_not(None)))
    index.meta = {"sets": sets}
    index.add_stream(((bytes(d), int(i)) for d, i in rows), upto=max(top, index.upto))


@contextmanager
def synced_indexes(ws: Workspace) -> Iterator[dict[str, ExactIndex]]:
    """The three digest indexes, up to date, held under a lock (one syncing process)."""
    root = index_root(ws)
    root.mkdir(parents=True, exist_ok=True)
    with file_lock(root / "lock"):
        indexes = {kind: ExactIndex(root / kind, kind) for kind in EXACT_METHODS}
        with ws.engine.connect() as conn:
            for kind, index in indexes.items():
                _sync(conn, index, kind)
        yield indexes


def _case_media(conn: Connection, case: int) -> list[Any]:
    inner = select(Item.media_sha256).where(Item.case_id == case, Item.media_sha256.is_not(None))
    return list(conn.execute(select(Media.sha256, Media.md5, Media.sha1)
                             .where(Media.sha256.in_(inner)).order_by(Media.sha256)))


def exact_matches(ws: Workspace, case: int) -> list[dict[str, Any]]:
    """New match rows: every (media, entry) pair with an equal digest, by its strongest
    digest, leaving out pairs already matched (by any method)."""
    with ws.engine.connect() as conn:
        media = _case_media(conn, case)
    rows: list[dict[str, Any]] = []
    with synced_indexes(ws) as indexes, ws.engine.connect() as conn:
        for lo in range(0, len(media), LOOKUP_CHUNK):
            rows += _chunk_matches(conn, indexes, media[lo:lo + LOOKUP_CHUNK])
    with ws.engine.connect() as conn:
        for set_id, name, token in index_sets(conn):
            try:
                indexes = open_set_index(set_index_root(ws), token)
            except FileNotFoundError as exc:
                raise FileNotFoundError(f"hash set {name!r}: {exc}; import it again") from None
            for lo in range(0, len(media), LOOKUP_CHUNK):
                rows += _set_matches(conn, set_id, indexes, media[lo:lo + LOOKUP_CHUNK])
    return rows


def _set_matches(conn: Connection, set_id: int, indexes: dict[str, ExactIndex],
                 media: Sequence[Any]) -> list[dict[str, Any]]:
    """Matches against one index-only set: one per media, by its strongest digest."""
    best: dict[bytes, str] = {}
    for method in EXACT_METHODS:
        digests = np.frombuffer(b"".join(getattr(m, method) for m in media), np.uint8)
        for q in indexes[method].lookup(digests)[0].tolist():
            best.setdefault(media[q].sha256, method)
    if not best:
        return []
    done = {bytes(r.media_sha256) for r in in_chunks(
        conn, select(Match.media_sha256).where(Match.hashset_id == set_id,
                                               Match.entry_id.is_(None)),
        Match.media_sha256, sorted(best))}
    return [{"media_sha256": sha, "hashset_id": set_id, "entry_id": None, "method": method,
             "distance": None, "category": None, "evidence": {}}
            for sha, method in sorted(best.items()) if sha not in done]


def _chunk_matches(conn: Connection, indexes: dict[str, ExactIndex],
                   media: Sequence[Any]) -> list[dict[str, Any]]:
    hits: list[tuple[int, int, str]] = []  # (media row, entry id, method)
    for method in EXACT_METHODS:
        digests = np.frombuffer(b"".join(getattr(m, method) for m in media), np.uint8)
        qi, ids = indexes[method].lookup(digests)
        hits += [(q, e, method) for q, e in zip(qi.tolist(), ids.tolist(), strict=True)]
    if not hits:
        return []
    entries = {r.id: r for r in in_chunks(
        conn, select(HashEntry.id, HashEntry.hashset_id, HashEntry.category, HashEntry.md5,
                     HashEntry.sha1, HashEntry.sha256),
        HashEntry.id, sorted({e for _, e, _ in hits}))}
    done = {(bytes(r.media_sha256), r.entry_id) for r in in_chunks(
        conn, select(Match.media_sha256, Match.entry_id), Match.media_sha256,
        sorted({media[q].sha256 for q, _, _ in hits}))}
    best: dict[tuple[bytes, int], str] = {}
    for q, e, method in hits:
        entry, sha = entries.get(e), media[q].sha256
        if entry is None or getattr(entry, method) != getattr(media[q], method):
            continue  # removed (or replaced) since the index last saw it
        key = (sha, e)
        if key not in done and (key not in best or
                                EXACT_METHODS.index(method) < EXACT_METHODS.index(best[key])):
            best[key] = method
    return [{"media_sha256": sha, "hashset_id": entries[e].hashset_id, "entry_id": e,
             "method": method, "distance": None, "category": entries[e].category,
             "evidence": {}} for (sha, e), method in sorted(best.items())]
