"""bench/scenes.py at scale: 100 k+ distractors whose features are real ORB features of real
pictures, generated once and cached.

Detecting keypoints on 100 k pictures is ~25 CPU-minutes, more than a shared 2-core machine
gives a benchmark. So ``POOL`` synthetic pictures (bench/_scenes_data.synthetic: generated
backgrounds with pieces of non-scene photos) are detected once with the product's detector
and cached under ``CACHE`` (keyed by the signal's version); each distractor is then a mosaic
*of features*: the keypoints of 2-4 windows of pool pictures, moved to places on a 640x480
canvas, exactly what a mosaic of those picture pieces would give, less the keypoints on the
pieces' cut edges. Distractor ``i`` is rebuilt from its seed whenever it is verified, so the
index of a million holds only words and ids.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from cumberland.index.scenes import Postings, Vocabulary, shape_bins
from cumberland.signals import local_features as lf
from cumberland.signals.local_features import Keypoints, detect

CACHE = Path(os.environ.get("CUMBERLAND_BENCH_CACHE",
                            Path.home() / ".cache" / "cumberland-bench"))
POOL = 4000
CANVAS = (640, 480)
CHUNK = 20_000  # distractors whose postings are built at once


def pool_pieces(paths: list[Path], load: object) -> list[NDArray[np.uint8]]:
    """Photos the pool's pictures are pieced from: never a scene, whatever --scenes is
    (scenes are every third photo)."""
    return [load(p) for i, p in enumerate(paths) if i % 3][::4]  # type: ignore[operator]


class Pool:
    """Keypoints of the pool pictures, flat: picture j's rows are ``starts[j]:starts[j+1]``."""

    def __init__(self, points: NDArray[np.float32], desc: NDArray[np.uint8],
                 shape: NDArray[np.uint8], starts: NDArray[np.int64],
                 sizes: NDArray[np.int32]) -> None:
        self.points, self.desc, self.shape, self.starts, self.sizes = \
            points, desc, shape, starts, sizes
        self.bins = shape_bins(shape)
        self.words: NDArray[np.int64] | None = None

    def __len__(self) -> int:
        return len(self.sizes)

    @classmethod
    def load_or_make(cls, count: int, pieces: list[NDArray[np.uint8]],
                     synthetic: object) -> tuple[Pool, float]:
        """The cached pool (and the CPU ms a picture its features took when made)."""
        path = CACHE / f"scenes-pool-v{lf.VERSION}-k{lf.MAX_KEYPOINTS}-{count}.npz"
        if path.exists():
            z = np.load(path)
            return cls(z["points"], z["desc"], z["shape"], z["starts"], z["sizes"]), \
                float(z["ms"])
        make = synthetic  # bench/_scenes_data.synthetic
        points, desc, shape, lens, sizes = [], [], [], [], []
        spent = 0.0
        for j in range(count):
            rgb = make(20_000_000 + j, pieces)  # type: ignore[operator]
            t = time.process_time()
            kp = detect(rgb)
            spent += time.process_time() - t
            points.append(kp.points)
            desc.append(kp.descriptors)
            shape.append(kp.shape)
            lens.append(len(kp))
            sizes.append((rgb.shape[1], rgb.shape[0]))
            if j % 500 == 499:
                print(f"  pool {j + 1}/{count}", file=sys.stderr, flush=True)
        starts = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        ms = 1000 * spent / count
        CACHE.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"tmp-{os.getpid()}-{path.name}")
        with open(tmp, "wb") as fh:
            np.savez(fh, points=np.concatenate(points), desc=np.concatenate(desc),
                     shape=np.concatenate(shape), starts=starts,
                     sizes=np.asarray(sizes, np.int32), ms=ms)
        os.replace(tmp, path)
        return cls(np.concatenate(points), np.concatenate(desc), np.concatenate(shape), starts,
                   np.asarray(sizes, np.int32)), ms

    def assign(self, vocabulary: Vocabulary) -> None:
        self.words = vocabulary.assign(self.desc)[:, 0]

    def recipe(self, i: int) -> tuple[NDArray[np.int64], NDArray[np.float32]]:
        """Distractor ``i``: rows of the pool's keypoints and their positions on the canvas."""
        rng = np.random.default_rng(1_000_003 * i + 7)
        rows, where = [], []
        cw, ch = CANVAS
        for _ in range(int(rng.integers(2, 5))):
            j = int(rng.integers(len(self)))
            w, h = (float(v) for v in self.sizes[j])
            ww, wh = w * rng.uniform(0.3, 0.6), h * rng.uniform(0.3, 0.6)
            x0, y0 = rng.uniform(0, w - ww), rng.uniform(0, h - wh)
            dx, dy = rng.uniform(0, max(1.0, cw - ww)), rng.uniform(0, max(1.0, ch - wh))
            lo, hi = int(self.starts[j]), int(self.starts[j + 1])
            p = self.points[lo:hi]
            keep = np.flatnonzero((p[:, 0] >= x0) & (p[:, 0] < x0 + ww) &
                                  (p[:, 1] >= y0) & (p[:, 1] < y0 + wh))
            rows.append(lo + keep)
            where.append(p[keep] - np.array([x0 - dx, y0 - dy], np.float32))
        return np.concatenate(rows), np.concatenate(where).astype(np.float32)

    def picture(self, i: int) -> tuple[Keypoints, tuple[int, int]]:
        rows, where = self.recipe(i)
        return Keypoints(where, self.desc[rows], self.shape[rows]), CANVAS

    def _chunks(self, small: Postings, count: int) -> \
            Iterator[tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.uint8]]]:
        """(word, doc, bins) triples, each (word, doc) once: ``small``'s, then distractors
        0..count-1 as docs after them, ``CHUNK`` distractors at a time."""
        assert self.words is not None and small.bins is not None
        size = len(small.starts) - 1
        yield np.repeat(np.arange(size), np.diff(small.starts)), small.docs.astype(np.int64), \
            small.bins
        for lo in range(0, count, CHUNK):
            hi = min(count, lo + CHUNK)
            rows = [self.recipe(i)[0] for i in range(lo, hi)]
            keys = [self.words[r] * CHUNK + (i - lo) for i, r in zip(range(lo, hi), rows,
                                                                      strict=True)]
            key, first = np.unique(np.concatenate(keys), return_index=True)
            yield key // CHUNK, key % CHUNK + lo + small.count, \
                self.bins[np.concatenate(rows)][first]

    def index(self, small: Postings, count: int) -> Postings:
        """``small`` with ``count`` distractors after it, built in two streaming passes (a
        count per word, then the ids into place), so 300 k media need no more memory than
        the postings themselves."""
        size = len(small.starts) - 1
        per_word = np.zeros(size, np.int64)
        for words, _, _ in self._chunks(small, count):
            per_word += np.bincount(words, minlength=size)
        starts = np.concatenate([[0], np.cumsum(per_word)]).astype(np.int64)
        docs = np.empty(int(starts[-1]), np.uint32)
        bins = np.empty(int(starts[-1]), np.uint8)
        cursor = starts[:-1].copy()
        for words, ids, shape in self._chunks(small, count):
            order = np.lexsort((ids, words))
            w = words[order]
            rank = np.arange(len(w)) - np.searchsorted(w, w, side="left")
            docs[cursor[w] + rank] = ids[order]
            bins[cursor[w] + rank] = shape[order]
            cursor += np.bincount(w, minlength=size)
        return Postings(starts, docs, small.count + count, bins)
