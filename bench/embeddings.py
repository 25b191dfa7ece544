"""Plug-in embedding search at scale: the index of index/vectors.py (not a test).

No model and no pictures: the vectors are synthetic unit vectors in clusters (a stand-in for
CLIP-like embeddings, which crowd around topics), 512 numbers each, float16 as stored. In one
run, for the same queries (a stored vector, nudged):

- exact flat inner product (faiss IndexFlatIP, what the index uses up to 100 k) against plain
  numpy brute force (matrix product + argpartition: the baseline);
- the inverted file the index switches to beyond 100 k (IVF-flat, 4 sqrt(n) lists, 32
  probed): its recall@10 against the exact top 10, and its latency;
- a search restricted to the rows of half the cases (faiss ID selector), as a user who is a
  member of some cases only searches;
- bytes per media stored (the signal's row) and held in the index, and the time to read a
  saved inverted file again (the workspace keeps it: a search does not retrain).

    PYTHONPATH=src python bench/embeddings.py [--n 100000] [--dim 512] [--queries 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/platform.py

import numpy as np  # noqa: E402

from cumberland.index import vectors  # noqa: E402
from cumberland.index.vectors import VectorIndex  # noqa: E402
from cumberland.signals.embeddings import encode  # noqa: E402

T = TypeVar("T")


def corpus(n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((max(8, n // 200), dim)).astype(np.float32)
    points = centres[rng.integers(0, len(centres), n)] + 0.6 * rng.standard_normal(
        (n, dim)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    return points.astype(np.float16).astype(np.float32)  # as stored


def timed(fn: Callable[[np.ndarray], T], queries: np.ndarray) -> tuple[list[T], float]:
    started = time.perf_counter()
    out = [fn(q) for q in queries]
    return out, (time.perf_counter() - started) / len(queries) * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--dim", type=int, default=512)
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    points = corpus(args.n, args.dim, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    queries = points[rng.integers(0, args.n, args.queries)] + 0.05 * rng.standard_normal(
        (args.queries, args.dim)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    k = 10

    def brute(q: np.ndarray) -> list[int]:
        scores = points @ q
        top = np.argpartition(-scores, k)[:k]
        return [int(i) for i in top[np.argsort(-scores[top])]]

    exact, numpy_ms = timed(brute, queries)
    started = time.perf_counter()
    flat = VectorIndex(points)
    flat_build = time.perf_counter() - started
    flat_hits, flat_ms = timed(lambda q: [r for r, _ in flat.search(q, k)], queries)
    half = np.arange(args.n) % 2 == 0
    _, flat_sel_ms = timed(lambda q: flat.search(q, k, half), queries)
    saved = vectors.FLAT_LIMIT
    vectors.FLAT_LIMIT = 0  # force the inverted file at this size
    started = time.perf_counter()
    ivf = VectorIndex(points)
    ivf_build = time.perf_counter() - started
    vectors.FLAT_LIMIT = saved
    with tempfile.TemporaryDirectory() as tmp:
        ivf.save(Path(tmp) / "bench.ivf")
        started = time.perf_counter()
        reloaded = VectorIndex.load(Path(tmp) / "bench.ivf")
        ivf_load = time.perf_counter() - started
        assert reloaded is not None and reloaded.size == args.n
    ivf_hits, ivf_ms = timed(lambda q: [r for r, _ in ivf.search(q, k)], queries)
    _, ivf_sel_ms = timed(lambda q: ivf.search(q, k, half), queries)

    def recall(found: list[list[int]]) -> float:
        return float(np.mean([len(set(f) & set(e)) / k for f, e in zip(found, exact,
                                                                         strict=True)]))

    row = len(encode(points[0])) + 80  # base64 vector + the row's other JSON
    print(f"{args.n:,} vectors of {args.dim} numbers, {args.queries} queries, top {k}")
    print(f"stored per media: {2 * args.dim} bytes of float16, ~{row} bytes of JSON row; "
          f"index: {4 * args.dim} bytes (float32) + 32 (SHA-256)")
    print(f"numpy brute force (baseline): {numpy_ms:7.1f} ms/query")
    print(f"faiss flat IP:                {flat_ms:7.1f} ms/query  ({numpy_ms / flat_ms:.1f}x "
          f"the baseline), recall@10 {recall(flat_hits):.3f}, build {flat_build:.2f} s; "
          f"restricted to half the rows {flat_sel_ms:.1f} ms")
    print(f"faiss IVF ({int(4 * args.n ** 0.5)} lists, {vectors.NPROBE} probed): "
          f"{ivf_ms:7.1f} ms/query ({numpy_ms / ivf_ms:.1f}x the baseline), recall@10 "
          f"{recall(ivf_hits):.3f}, build {ivf_build:.1f} s (saved, read again in "
          f"{ivf_load:.2f} s); restricted {ivf_sel_ms:.1f} ms")


if __name__ == "__main__":
    main()
