"""Instance retrieval over a whole workspace: a bag of visual words over ORB descriptors.

A descriptor index over every keypoint (matching/descriptors.py, fine for a reference
library) would hold 16 KB of descriptors per picture in memory: 1.6 GB at 100 k pictures,
16 GB at a million. Here each keypoint is reduced to a visual word of a trained vocabulary
and the index keeps, per word, the pictures that have it: ~4 bytes per distinct word of a
picture (~1.8 KB a picture). A query's words vote for the pictures holding them, weighted by
how rare each word is (idf squared: a word in every picture says nothing), and the best
few hundred go on to geometric verification (matching/geometry.py), which decides.

The vocabulary is two-level: ``TOP`` centroids, each split into up to ``LEAF`` more, so a
descriptor is assigned with TOP + LEAF Hamming comparisons instead of TOP * LEAF. Centroids
are trained with k-means on the descriptors' bits (faiss) and rounded back to bits (a
k-majority vocabulary). A query descriptor also counts for its second-nearest leaf
(``QUERY_LEAVES``): ORB descriptors of one corner seen twice sit near a leaf boundary often
enough that this doubles the words found again, while the indexed side stays one word a
keypoint.

Weak geometric consistency (``Postings.score`` given the query's ``bins``): each posting also
keeps its keypoint's orientation and size, coarsely (``BINS`` steps of each, a byte). Words
shared by a region and the picture that shows it come from keypoints that all turned by about
the same angle and grew by about the same factor between the two; words a picture shares by
chance do not agree. So a picture's votes go to a histogram of angle changes and one of size
changes, and it scores the weight of its best bin pair (the lesser of the two), not the sum of
every shared word. At 100 k pictures chance shares are what outscored true shots.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
from numpy.typing import NDArray

from cumberland.signals.local_features import ANGLE_STEPS, SCALE_STEPS

BITS = 256
TOP = 256
LEAF = 256
TRAIN_PER_CENTROID = 24  # descriptors per leaf centroid to train on
TOP_SAMPLE = TOP * 64  # the top level trains on at most this many (its floats stay small)
SAMPLE = TOP * LEAF * TRAIN_PER_CENTROID  # a full vocabulary's training sample
QUERY_LEAVES = 2
KMEANS_ITERATIONS = 8
BINS = 16  # orientation and size steps kept a posting (4 bits each)
SCALE_BIN = SCALE_STEPS * float(np.log2(1.2))  # one size step: ORB's pyramid factor, 1.2
SHORTLIST = 4000  # pictures the plain word score keeps for the geometric one


@contextmanager
def one_thread() -> Iterator[None]:
    """faiss on one thread: its many small searches (a cell's leaves, one candidate's
    descriptors) spent 10x their work starting OpenMP threads on a loaded machine."""
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def _floats(codes: NDArray[np.uint8]) -> NDArray[np.float32]:
    return np.unpackbits(codes, axis=1).astype(np.float32)


def _kmeans(codes: NDArray[np.uint8], k: int, seed: int) -> NDArray[np.uint8]:
    """k binary centroids of ``codes`` (k-means on bits, rounded back to bits)."""
    k = max(1, min(k, len(codes)))
    if k == len(codes):
        return np.ascontiguousarray(codes)
    km = faiss.Kmeans(BITS, k, niter=KMEANS_ITERATIONS, seed=seed, verbose=False,
                      spherical=False, min_points_per_centroid=1,
                      max_points_per_centroid=10_000)
    km.train(_floats(codes))
    centroids: NDArray[np.float32] = np.asarray(km.centroids, np.float32)
    return np.packbits(centroids > 0.5, axis=1)


def _flat(centroids: NDArray[np.uint8]) -> faiss.IndexBinaryFlat:
    index = faiss.IndexBinaryFlat(BITS)
    index.add(np.ascontiguousarray(centroids))
    return index


class Vocabulary:
    """Two-level binary vocabulary; word = top * LEAF + leaf."""

    def __init__(self, top: NDArray[np.uint8], leaves: NDArray[np.uint8],
                 leaf_counts: NDArray[np.int32]) -> None:
        self.top, self.leaves, self.leaf_counts = top, leaves, leaf_counts
        self._top = _flat(top)
        self._leaf = [_flat(leaves[i, :max(1, int(leaf_counts[i]))]) for i in range(len(top))]

    @property
    def size(self) -> int:
        return len(self.top) * LEAF

    @classmethod
    def train(cls, sample: NDArray[np.uint8], seed: int = 0) -> Vocabulary:
        """From a sample of descriptors (a few hundred thousand make a full vocabulary;
        a small workspace gets fewer leaves, never an error)."""
        sample = np.ascontiguousarray(sample, dtype=np.uint8)
        if not len(sample):
            raise ValueError("no descriptors to train a vocabulary on")
        top_k = int(min(TOP, max(1, len(sample) // TRAIN_PER_CENTROID)))
        rng = np.random.default_rng(seed)
        few = sample if len(sample) <= TOP_SAMPLE else \
            sample[np.sort(rng.choice(len(sample), TOP_SAMPLE, replace=False))]
        top = _kmeans(few, top_k, seed)
        _, cell = _flat(top).search(sample, 1)
        cell = cell.ravel()
        leaves = np.zeros((len(top), LEAF, BITS // 8), np.uint8)
        counts = np.zeros(len(top), np.int32)
        with one_thread():
            cls._leaves(sample, cell, top, leaves, counts, seed)
        return cls(top, leaves, counts)

    @staticmethod
    def _leaves(sample: NDArray[np.uint8], cell: NDArray[np.int64], top: NDArray[np.uint8],
                leaves: NDArray[np.uint8], counts: NDArray[np.int32], seed: int) -> None:
        """Each top cell's leaves, trained on its members (many small k-means)."""
        for c in range(len(top)):
            members = sample[cell == c]
            if not len(members):
                leaves[c, 0], counts[c] = top[c], 1
                continue
            k = int(min(LEAF, max(1, len(members) // TRAIN_PER_CENTROID)))
            got = _kmeans(members, k, seed + 1 + c)
            leaves[c, :len(got)], counts[c] = got, len(got)

    def assign(self, codes: NDArray[np.uint8], leaves: int = 1) -> NDArray[np.int64]:
        """Words of ``codes``: (n, leaves), the nearest leaves of each code's nearest top
        centroid (-1 where a cell has fewer leaves)."""
        codes = np.ascontiguousarray(codes, dtype=np.uint8)
        out = np.full((len(codes), leaves), -1, np.int64)
        if not len(codes):
            return out
        with one_thread():
            self._assign(codes, leaves, out)
        return out

    def _assign(self, codes: NDArray[np.uint8], leaves: int, out: NDArray[np.int64]) -> None:
        _, cell = self._top.search(codes, 1)
        cell = cell.ravel()
        order = np.argsort(cell, kind="stable")
        bounds = np.searchsorted(cell[order], np.arange(len(self.top) + 1))
        for c in range(len(self.top)):
            rows = order[bounds[c]:bounds[c + 1]]
            if not len(rows):
                continue
            k = min(leaves, self._leaf[c].ntotal)
            _, leaf = self._leaf[c].search(codes[rows], k)
            out[rows, :k] = c * LEAF + leaf

    def save(self, path: Path) -> None:
        save_arrays(path, top=self.top, leaves=self.leaves, leaf_counts=self.leaf_counts)

    @classmethod
    def load(cls, path: Path) -> Vocabulary:
        z = np.load(path)
        return cls(z["top"], z["leaves"], z["leaf_counts"])


def save_arrays(path: Path, **arrays: NDArray[np.generic]) -> None:
    """Written to a temporary name and renamed: a reader never sees a torn file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"tmp-{os.getpid()}-{path.name}")
    with open(tmp, "wb") as fh:
        np.savez(fh, **arrays)  # type: ignore[arg-type]
    os.replace(tmp, path)


def shape_bins(shape: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """Keypoints' orientation and size (signals/local_features.Keypoints.shape) as one byte:
    the angle in ``BINS`` steps a turn (high half), the size in steps of ORB's pyramid
    factor, modulo ``BINS`` (low half; only differences are compared, and two pictures of
    one scene differ by far less than 1.2 ** 16)."""
    angle = shape[:, 0].astype(np.int64) * BINS // ANGLE_STEPS
    size = np.floor(shape[:, 1] / SCALE_BIN).astype(np.int64) % BINS
    return (angle * BINS + size).astype(np.uint8)


@dataclass(slots=True)
class Postings:
    """Per word, the sorted ids of the pictures holding it (CSR: ``starts`` into ``docs``),
    and for each the orientation and size bins of its keypoint (``bins``, when known)."""

    starts: NDArray[np.int64]
    docs: NDArray[np.uint32]
    count: int  # pictures indexed (ids 0..count-1)
    bins: NDArray[np.uint8] | None = None  # parallel to docs: shape_bins of the keypoint
    _lengths: NDArray[np.float64] | None = None  # distinct words a picture, when first asked

    @classmethod
    def build(cls, words: NDArray[np.int64], docs: NDArray[np.int64], vocabulary_size: int,
              count: int, bins: NDArray[np.uint8] | None = None) -> Postings:
        """From parallel (word, picture[, bins]) arrays; a word repeated in one picture
        counts once, with the bins of its first keypoint (the strongest)."""
        keep = words >= 0
        key, first = np.unique(words[keep] * np.int64(count + 1) + docs[keep],
                               return_index=True)
        w, d = key // (count + 1), key % (count + 1)
        starts = np.searchsorted(w, np.arange(vocabulary_size + 1)).astype(np.int64)
        return cls(starts, d.astype(np.uint32), count,
                   None if bins is None else np.ascontiguousarray(bins[keep][first]))

    def merge(self, other: Postings) -> Postings:
        """These pictures and ``other``'s (its ids shifted after these)."""
        size = len(self.starts) - 1
        lens_a, lens_b = np.diff(self.starts), np.diff(other.starts)
        starts = np.concatenate([[0], np.cumsum(lens_a + lens_b)]).astype(np.int64)
        docs = np.empty(len(self.docs) + len(other.docs), np.uint32)
        word_a = np.repeat(np.arange(size), lens_a)
        word_b = np.repeat(np.arange(size), lens_b)
        pos_a = starts[word_a] + (np.arange(len(self.docs)) - self.starts[word_a])
        pos_b = starts[word_b] + lens_a[word_b] + (np.arange(len(other.docs)) -
                                                   other.starts[word_b])
        docs[pos_a] = self.docs
        docs[pos_b] = other.docs + np.uint32(self.count)
        bins = None
        if self.bins is not None and other.bins is not None:
            bins = np.empty(len(docs), np.uint8)
            bins[pos_a], bins[pos_b] = self.bins, other.bins
        return Postings(starts, docs, self.count + other.count, bins)

    def frequencies(self) -> NDArray[np.int64]:
        return np.diff(self.starts)

    def lengths(self) -> NDArray[np.float64]:
        if self._lengths is None:
            self._lengths = np.maximum(np.bincount(self.docs, minlength=self.count), 1) \
                .astype(np.float64)
        return self._lengths

    def score(self, words: NDArray[np.int64], limit: int,
              allowed: NDArray[np.bool_] | None = None, by_length: bool = False,
              bins: NDArray[np.uint8] | None = None) -> list[tuple[int, float]]:
        """The ``limit`` pictures with the most idf-squared weight of ``words``, best first
        (only those ``allowed``, when given: the cases a user may see). ``by_length``: each
        picture's weight divided by the square root of its number of words, so a picture is
        not nominated for holding many words (chance shares of a region's words, which at
        100 k pictures outscored most true matches). ``bins`` (parallel to ``words``: the
        shape_bins of the query keypoint each word is of): weak geometric consistency, each
        of the ``SHORTLIST`` best pictures by words re-scored by the shared words whose
        keypoints turned and grew alike."""
        first = np.flatnonzero(words >= 0)
        words, at = np.unique(words[first], return_index=True)  # each word from its first
        if not len(words) or not self.count:  # (strongest) query keypoint
            return []
        lo, hi = self.starts[words], self.starts[words + 1]
        df = (hi - lo).astype(np.float64)
        present = df > 0
        words, lo, hi, df = words[present], lo[present], hi[present], df[present]
        if not len(words):
            return []
        idf = np.log(self.count / df)
        weight = idf * idf
        lens = hi - lo
        idx = np.repeat(lo - np.cumsum(np.concatenate([[0], lens[:-1]])), lens) + \
            np.arange(int(lens.sum()))
        hit, each = self.docs[idx], np.repeat(weight, lens)  # (read once: at 100 k pictures
        # a query's words read millions of postings)
        scores: NDArray[np.float64] = np.bincount(hit, weights=each, minlength=self.count) \
            .astype(np.float64)
        if by_length:
            scores /= np.sqrt(self.lengths())
        if allowed is not None:
            scores *= allowed[:self.count]
        if bins is not None and self.bins is not None:
            scores = self._consistent(scores, idx, hit, each, bins[first[at[present]]], lens)
        limit = min(limit, int(np.count_nonzero(scores)))
        if limit <= 0:
            return []
        top = np.argpartition(-scores, limit - 1)[:limit]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top]

    def _consistent(self, scores: NDArray[np.float64], idx: NDArray[np.int64],
                    hit: NDArray[np.uint32], weight: NDArray[np.float64],
                    word_bins: NDArray[np.uint8], lens: NDArray[np.int64]) -> \
            NDArray[np.float64]:
        """``scores`` of the SHORTLIST best pictures replaced by their geometrically
        consistent weight (the rest zero): per picture, histograms of the orientation and
        size changes of its shared words (two neighbouring steps together, so a change on a
        step's edge is not split), the lesser of the two best bins, times the picture's
        plain score over its plain weight (its length and ``allowed`` factors)."""
        assert self.bins is not None
        short = min(SHORTLIST, int(np.count_nonzero(scores)))
        if short <= 0:
            return scores
        top = np.argpartition(-scores, short - 1)[:short]
        slot = np.full(self.count, -1, np.int64)
        slot[top] = np.arange(short)
        where = slot[hit]
        kept = np.flatnonzero(where >= 0)
        where, weight = where[kept], weight[kept]
        mine = self.bins[idx[kept]].astype(np.int16)
        theirs = np.repeat(word_bins, lens)[kept].astype(np.int16)
        turn = ((mine >> 4) - (theirs >> 4)) % BINS
        grow = ((mine & 15) - (theirs & 15)) % BINS
        best = []
        for change in (turn, grow):
            hist = np.bincount(where * BINS + change, weights=weight,
                               minlength=short * BINS).reshape(short, BINS)
            best.append((hist + np.roll(hist, -1, axis=1)).max(axis=1))
        plain = np.bincount(where, weights=weight, minlength=short)
        out = np.zeros_like(scores)
        out[top] = np.minimum(best[0], best[1]) * scores[top] / np.maximum(plain, 1e-12)
        return out

    def save(self, path: Path) -> None:
        extra = {} if self.bins is None else {"bins": self.bins}
        save_arrays(path, starts=self.starts, docs=self.docs,
                    count=np.array(self.count, np.int64), **extra)

    @classmethod
    def load(cls, path: Path) -> Postings:
        z = np.load(path)
        return cls(z["starts"], z["docs"], int(z["count"]),
                   z["bins"] if "bins" in z.files else None)

    @property
    def nbytes(self) -> int:
        extra = 0 if self.bins is None else self.bins.nbytes
        return int(self.starts.nbytes + self.docs.nbytes + extra)
