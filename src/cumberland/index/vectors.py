"""Nearest vectors by inner product (cosine, for unit vectors): the plug-in embeddings' index.

Up to ``FLAT_LIMIT`` vectors the search is exact, a faiss flat inner-product index
(brute force, SIMD): at 100 k 512-number vectors that is 200 MB and a few tens of
milliseconds a query on one core. Beyond, an inverted file (faiss IVF-flat, ``4 * sqrt(n)``
lists trained on a sample, ``NPROBE`` lists searched) keeps a query's cost near
``NPROBE / lists`` of the flat one at some loss of recall. Either way a search is limited to
the rows a user may see (a faiss ID selector), so a result from a case they are not a member
of is never even scored. Training an inverted file takes a while (about 50 s at 100 k on the
loaded 2-core machine), so it is saved (``save``/``load``) and grown with ``add`` until the
rows outgrow what it was trained for ``RETRAIN_GROWTH`` times over.
"""

from __future__ import annotations

import math
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

FLAT_LIMIT = 100_000
NPROBE = 32
TRAIN_PER_LIST = 64  # training sample: this many vectors per inverted list
RETRAIN_GROWTH = 4


class VectorIndex:
    """The rows of ``vectors`` (n x d float32), searched by inner product."""

    def __init__(self, vectors: NDArray[np.float32], seed: int = 1) -> None:
        vectors = np.ascontiguousarray(vectors, np.float32)
        self.size, self.dimension = vectors.shape
        self.kind = "flat" if self.size <= FLAT_LIMIT else "ivf"
        if self.kind == "flat":
            self._index: faiss.Index = faiss.IndexFlatIP(self.dimension)
        else:
            lists = min(int(4 * math.sqrt(self.size)), self.size)
            quantizer = faiss.IndexFlatIP(self.dimension)
            ivf = faiss.IndexIVFFlat(quantizer, self.dimension, lists,
                                     faiss.METRIC_INNER_PRODUCT)
            rng = np.random.default_rng(seed)
            sample = rng.choice(self.size, min(self.size, lists * TRAIN_PER_LIST), replace=False)
            ivf.train(vectors[np.sort(sample)])
            ivf.nprobe = NPROBE
            self._quantizer = quantizer  # kept alive with the index that uses it
            self._index = ivf
        self._index.add(vectors)

    @classmethod
    def load(cls, path: Path) -> VectorIndex | None:
        """A saved index (None when unreadable)."""
        try:
            index = faiss.read_index(str(path))
        except RuntimeError:
            return None
        loaded = cls.__new__(cls)
        loaded._index = index
        loaded.size, loaded.dimension = int(index.ntotal), int(index.d)
        loaded.kind = "ivf" if isinstance(index, faiss.IndexIVF) else "flat"
        return loaded

    def save(self, path: Path) -> None:
        """Written to a temporary name and renamed: a reader never sees a torn file."""
        tmp = path.with_name(f"tmp-{path.name}")
        faiss.write_index(self._index, str(tmp))
        tmp.replace(path)

    def fits(self, rows: int) -> bool:
        """Whether this index still suits ``rows`` rows: a flat one up to ``FLAT_LIMIT``, an
        inverted file until the rows outgrow its training (``4 * sqrt(n)`` lists were made
        for n rows) ``RETRAIN_GROWTH`` times."""
        if self.kind == "flat":
            return rows <= FLAT_LIMIT
        trained_for = (faiss.extract_index_ivf(self._index).nlist / 4) ** 2
        return FLAT_LIMIT < rows <= RETRAIN_GROWTH * trained_for

    def add(self, vectors: NDArray[np.float32]) -> None:
        """Rows appended after the existing ones (an inverted file keeps its lists)."""
        self._index.add(np.ascontiguousarray(vectors, np.float32))
        self.size = int(self._index.ntotal)

    def search(self, query: NDArray[np.float32], limit: int,
               allowed: NDArray[np.bool_] | None = None) -> list[tuple[int, float]]:
        """The ``limit`` rows nearest ``query`` among ``allowed`` (all when None): (row,
        inner product), best first."""
        if limit <= 0 or self.size == 0:
            return []
        if self.kind == "ivf":
            ivf = faiss.SearchParametersIVF()
            ivf.nprobe = NPROBE
            params: faiss.SearchParameters = ivf
        else:
            params = faiss.SearchParameters()
        if allowed is not None:
            ids = np.flatnonzero(allowed).astype(np.int64)
            if len(ids) == 0:
                return []
            selector = faiss.IDSelectorBatch(ids)
            params.sel = selector
        q = np.ascontiguousarray(query, np.float32).reshape(1, self.dimension)
        scores, rows = self._index.search(q, min(limit, self.size), params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]
