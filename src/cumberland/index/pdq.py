"""PDQ range search with exact recall at the match radius.

Small sets use faiss's flat binary index (brute force, SIMD popcount). Large ones use faiss
multi-index hashing: 16 substrings of 16 bits, so any hash within 31 bits has at least one
substring within 1 bit (pigeonhole); probing with nflip = radius // 16 keeps recall exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import faiss
import numpy as np
from numpy.typing import NDArray

FLAT_LIMIT = 50_000
NHASH = 16


@dataclass(frozen=True, slots=True)
class Hit:
    query: int  # index into the query batch
    ref: int  # caller's id of the indexed hash
    distance: int


class PDQIndex:
    """Indexed 256-bit hashes with caller-chosen int64 ids."""

    def __init__(self, hashes: NDArray[np.uint8], ids: NDArray[np.int64]) -> None:
        if hashes.ndim != 2 or hashes.shape[1] != 32:
            raise ValueError("PDQ hashes must be an (n, 32) uint8 array")
        self.ids = np.asarray(ids, dtype=np.int64)
        self._index: faiss.IndexBinary
        if len(hashes) <= FLAT_LIMIT:
            self._index = faiss.IndexBinaryFlat(256)
        else:
            self._index = faiss.IndexBinaryMultiHash(256, NHASH, 256 // NHASH)
        self._index.add(np.ascontiguousarray(hashes, dtype=np.uint8))

    @classmethod
    def from_bytes(cls, hashes: Sequence[bytes], ids: Sequence[int]) -> PDQIndex:
        arr = np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, 32)
        return cls(arr, np.asarray(ids, dtype=np.int64))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, queries: NDArray[np.uint8], max_distance: int) -> list[Hit]:
        """Every indexed hash within ``max_distance`` bits of each query."""
        if len(queries) == 0 or len(self) == 0:
            return []
        if isinstance(self._index, faiss.IndexBinaryMultiHash):
            self._index.nflip = max_distance // NHASH
        q = np.ascontiguousarray(queries, dtype=np.uint8)
        lims, dist, labels = self._index.range_search(q, max_distance + 1)
        hits = []
        for qi in range(len(q)):
            for j in range(lims[qi], lims[qi + 1]):
                hits.append(Hit(qi, int(self.ids[labels[j]]), int(dist[j])))
        return hits
