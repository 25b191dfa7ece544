"""Candidates for verification that do not go through PDQ: votes of ORB descriptors.

After a 20 % crop or pad the true reference is often beyond the PDQ verification radius or
behind closer wrong references, so keypoint verification never sees it. This index holds a
reference library's ORB descriptors (256 bits) with the reference each belongs to; a query's
strongest keypoints look up their nearest library descriptors (Hamming, ratio-tested) and
each reference collects one vote per query keypoint. The most voted references go to the
same RANSAC verification as PDQ candidates: verification, not the vote, is the gate.

Small libraries use a flat (exact) index; larger ones an inverted-file index trained on a
sample (a few probed lists per descriptor keeps a query at tens of ms for millions of
descriptors). Indexes are saved as files beside the library's keypoints.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

BITS = 256
QUERY_KEYPOINTS = 300  # the query's strongest keypoints that vote
PER_REFERENCE = 500  # a reference's strongest descriptors kept in the index
MAX_DISTANCE = 64  # a nearest descriptor farther than this casts no vote
RATIO = 0.8  # nearest must be clearly nearer than the second (unless both are one reference's)
MIN_VOTES = 6
CANDIDATES = 3
FLAT_LIMIT = 60_000  # descriptors: above this an IVF index
TRAIN_PER_LIST = 64
NPROBE = 8


def _lists(n: int) -> int:
    """Inverted lists: about one per 2,000 descriptors, 64..1,024 (training cost grows with
    the square of the lists; 1,024 trains in seconds)."""
    return int(min(1024, max(64, n // 2000)))


class DescriptorIndex:
    """ORB descriptors of many references, each row owned by one reference id."""

    def __init__(self, index: faiss.IndexBinary, owners: NDArray[np.int64]) -> None:
        self.index, self.owners = index, owners

    @classmethod
    def build(cls, parts: Iterable[tuple[int, NDArray[np.uint8]]]) -> DescriptorIndex:
        """From (reference id, descriptors strongest first) pairs."""
        codes, owners = [], []
        for ref, descriptors in parts:
            kept = np.ascontiguousarray(descriptors[:PER_REFERENCE], dtype=np.uint8)
            codes.append(kept)
            owners.append(np.full(len(kept), ref, dtype=np.int64))
        data = np.concatenate(codes) if codes else np.zeros((0, BITS // 8), np.uint8)
        owner = np.concatenate(owners) if owners else np.zeros(0, np.int64)
        index: faiss.IndexBinary
        if len(data) <= FLAT_LIMIT:
            index = faiss.IndexBinaryFlat(BITS)
        else:
            nlist = _lists(len(data))
            index = faiss.IndexBinaryIVF(faiss.IndexBinaryFlat(BITS), BITS, nlist)
            sample = np.random.default_rng(0).choice(
                len(data), min(len(data), nlist * TRAIN_PER_LIST), replace=False)
            index.train(data[np.sort(sample)])
            index.nprobe = NPROBE
        if len(data):
            index.add(data)
        return cls(index, owner)

    def save(self, path: Path) -> None:
        """Index and owners, each written to a temporary name and renamed (no torn files)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        faiss.write_index_binary(self.index, str(tmp))
        os.replace(tmp, path)
        owners = path.with_suffix(".owners.npy")
        tmp_owners = owners.with_name("tmp-" + owners.name)
        with open(tmp_owners, "wb") as fh:
            np.save(fh, self.owners)
        os.replace(tmp_owners, owners)

    @classmethod
    def load(cls, path: Path) -> DescriptorIndex | None:
        owners = path.with_suffix(".owners.npy")
        if not path.is_file() or not owners.is_file():
            return None
        index = faiss.read_index_binary(str(path))
        if isinstance(index, faiss.IndexBinaryIVF):
            index.nprobe = NPROBE
        return cls(index, np.load(owners))

    def votes(self, descriptors: NDArray[np.uint8]) -> Counter[int]:
        """Per reference: query keypoints whose ratio-tested nearest descriptor is its."""
        out: Counter[int] = Counter()
        query = np.ascontiguousarray(descriptors[:QUERY_KEYPOINTS], dtype=np.uint8)
        if not len(query) or self.index.ntotal == 0:
            return out
        dist, rows = self.index.search(query, 2)
        for (d1, d2), (r1, r2) in zip(dist.tolist(), rows.tolist(), strict=True):
            if r1 < 0 or d1 > MAX_DISTANCE:
                continue
            owner = int(self.owners[r1])
            if r2 < 0 or d1 < RATIO * d2 or int(self.owners[r2]) == owner:
                out[owner] += 1
        return out


def voted(indexes: Sequence[DescriptorIndex], descriptors: NDArray[np.uint8],
          exclude: Iterable[int] = ()) -> list[tuple[int, int]]:
    """The most voted references (id, votes) with at least MIN_VOTES, ``exclude`` left out."""
    total: Counter[int] = Counter()
    for index in indexes:
        total.update(index.votes(descriptors))
    for ref in exclude:
        total.pop(ref, None)
    return [(ref, n) for ref, n in total.most_common(CANDIDATES) if n >= MIN_VOTES]
