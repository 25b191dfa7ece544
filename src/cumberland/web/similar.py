"""Similar items: PDQ neighbours of a media among the other media of the same case."""

from __future__ import annotations

from dataclasses import dataclass
from threading import Lock

import numpy as np
from sqlalchemy import select

from cumberland.index.pdq import PDQIndex
from cumberland.store.models import Media, ReviewEntry, ReviewState
from cumberland.store.workspace import Workspace

RADIUS = 31


@dataclass(frozen=True, slots=True)
class Neighbour:
    sha256: bytes
    distance: int


class SimilarCache:
    """One PDQ index per case, rebuilt when the case's review queue is rebuilt."""

    def __init__(self) -> None:
        self._lock = Lock()
        self._indexes: dict[int, tuple[str, PDQIndex, list[bytes]]] = {}

    def _index(self, ws: Workspace, case: int) -> tuple[PDQIndex, list[bytes]]:
        with ws.engine.connect() as conn:
            stamp = str(conn.scalar(select(ReviewState.refreshed_at)
                                    .where(ReviewState.case_id == case)))
            with self._lock:
                cached = self._indexes.get(case)
            if cached and cached[0] == stamp:
                return cached[1], cached[2]
            rows = conn.execute(select(Media.sha256, Media.pdq)
                                .join(ReviewEntry, ReviewEntry.media_sha256 == Media.sha256)
                                .where(ReviewEntry.case_id == case, Media.pdq.is_not(None))
                                ).all()
        shas = [bytes(r.sha256) for r in rows]
        index = PDQIndex.from_bytes([bytes(r.pdq) for r in rows], list(range(len(rows))))
        with self._lock:
            self._indexes[case] = (stamp, index, shas)
        return index, shas

    def neighbours(self, ws: Workspace, case: int, pdq: bytes | None, own: bytes | None,
                   limit: int = 24, radius: int = RADIUS) -> list[Neighbour]:
        """Media of the case within ``radius`` bits of ``pdq``, nearest first (``own``
        left out); also the grid's "PDQ within a distance" search."""
        if not pdq:
            return []
        index, shas = self._index(ws, case)
        query = np.frombuffer(pdq, dtype=np.uint8).reshape(1, 32)
        hits = sorted(index.search(query, radius), key=lambda h: h.distance)
        found = [Neighbour(shas[h.ref], h.distance) for h in hits if shas[h.ref] != own]
        return found[:limit]
