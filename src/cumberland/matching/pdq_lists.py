"""The PDQ index of hash lists (regime a), persisted under ``<workspace>/index/pdq-lists``.

Like the exact index (matching/exact.py) it is brought up to date from ``hash_entries`` by a
high-water mark before matching, so a run loads it memory-mapped (a 10 M-hash list: ~0.01 s)
instead of reading every PDQ entry from the database and building it again (~40 s), and an
import costs only its new entries. A replaced or deleted set makes it rebuild. Index ids are
entry ids; a hit's set, category and quality are read for the hits alone, and hits below the
run's quality floor are dropped there, so one index serves every ``--pdq-quality``.
"""

from __future__ import annotations

import json
import os
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, func, or_, select

from cumberland.index.pdq import PDQIndex
from cumberland.matching.exact import set_generations
from cumberland.matching.library import FORMAT as LIBRARY_FORMAT
from cumberland.store.models import HashEntry, HashSet
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace, file_lock


def pdq_lists_root(ws: Workspace) -> Path:
    return ws.root / "index" / "pdq-lists"


def _entries(conn: Connection, upto: int, fresh: list[int]) -> tuple[np.ndarray, np.ndarray]:
    newer = HashEntry.id > upto
    if fresh and upto:
        newer = or_(newer, HashEntry.hashset_id.in_(fresh))
    rows = conn.execution_options(yield_per=100_000).execute(
        select(HashEntry.id, HashEntry.pdq).join(HashSet, HashSet.id == HashEntry.hashset_id)
        .where(newer, HashSet.format != LIBRARY_FORMAT, HashEntry.pdq.is_not(None)))
    codes, ids = bytearray(), array("q")  # streamed: 40 bytes a hash, not a row object each
    for entry, pdq in rows:
        if pdq is not None:  # (the query keeps PDQ entries only)
            codes += pdq
            ids.append(entry)
    return (np.frombuffer(bytes(codes), np.uint8).reshape(-1, 32),
            np.frombuffer(ids.tobytes(), np.int64))


def _sync(conn: Connection, folder: Path) -> PDQIndex:
    state_path = folder / "state.json"
    state = json.loads(state_path.read_text()) if state_path.exists() else {}
    sets = set_generations(conn)
    covered: dict[str, Any] = state.get("sets", {})
    rebuild = not state or any(sets.get(s) != gen for s, gen in covered.items())
    upto = 0 if rebuild else int(state["upto"])
    top = int(conn.scalar(select(func.max(HashEntry.id))) or 0)
    codes, ids = _entries(conn, upto, [] if rebuild else [int(s) for s in sets
                                                          if s not in covered])
    if rebuild:
        index = PDQIndex(codes, ids)
    else:
        index = PDQIndex.load(folder / "index")
        if len(ids):
            index.add(codes, ids)
    if rebuild or len(ids):
        index.save(folder / "index")
    tmp = folder / f"state.{os.getpid()}.tmp"
    tmp.write_text(json.dumps({"upto": max(top, upto), "sets": sets}))
    os.replace(tmp, state_path)
    return index


@contextmanager
def synced_pdq_index(ws: Workspace) -> Iterator[PDQIndex]:
    """The hash lists' PDQ index, up to date, held under a lock (one syncing process)."""
    folder = pdq_lists_root(ws)
    folder.mkdir(parents=True, exist_ok=True)
    with file_lock(folder / "lock"):
        with ws.engine.connect() as conn:
            index = _sync(conn, folder)
        yield index


def entry_owners(conn: Connection, ids: list[int], min_quality: int,
                 ) -> dict[int, tuple[int, int | None]]:
    """Entry id -> (set id, category) for the hits whose PDQ quality reaches the floor."""
    rows = in_chunks(conn, select(HashEntry.id, HashEntry.hashset_id, HashEntry.category,
                                  HashEntry.pdq_quality), HashEntry.id, ids)
    return {r.id: (r.hashset_id, r.category) for r in rows
            if r.pdq_quality is None or r.pdq_quality >= min_quality}
