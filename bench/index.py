"""PDQ and exact index scale: build, persist/reload and query throughput on random hashes.

Baseline, measured in the same run: faiss IndexBinaryMultiHash(256, 16, 16) with
nflip = radius // 16, the configuration of python-threatexchange's PDQ index (a faithful
reimplementation; the package itself is not installed). Run:
    .venv/bin/python bench/index.py [--sizes 1000000 10000000] [--queries 4000] [--add 100000]

Incremental adds: ``--add`` new hashes into the reloaded largest index (delta segment, only
the delta rewritten on save), then queries against main + delta, checked exact against
brute force on the added hashes.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from cumberland.index.exact import ExactIndex
from cumberland.index.pdq import PDQIndex


def _near(rng: np.random.Generator, codes: np.ndarray, count: int) -> np.ndarray:
    bits = np.unpackbits(codes[rng.integers(0, len(codes), count)], axis=1)
    for row in bits:
        row[rng.choice(256, int(rng.integers(0, 32)), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def bench_add(n: int, extra: int, nq: int, tmp: Path) -> None:
    rng = np.random.default_rng(n + 1)
    added = rng.integers(0, 256, (extra, 32), dtype=np.uint8)
    index = PDQIndex.load(tmp / "pdq")
    t = time.perf_counter()
    index.add(added, np.arange(n, n + extra))
    add = time.perf_counter() - t
    t = time.perf_counter()
    index.save(tmp / "pdq")
    save = time.perf_counter() - t
    queries = _near(rng, added, nq)
    index.search_arrays(queries[:1], 31)  # builds the delta's segment
    t = time.perf_counter()
    _, ids, _ = index.search_arrays(queries, 31)
    qps = nq / (time.perf_counter() - t)
    flat = faiss.IndexBinaryFlat(256)
    flat.add(added)
    lims, _, _ = flat.range_search(queries, 32)
    assert int(lims[-1]) == int((ids >= n).sum()), "added hashes found exactly"
    print(f"| +{extra:,} into {n:,} | add {add:.2f} s | save {save:.2f} s | "
          f"query {qps:,.0f} q/s |")


def bench_pdq(n: int, nq: int, tmp: Path) -> None:
    rng = np.random.default_rng(n)
    codes = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    queries = _near(rng, codes, nq)
    t = time.perf_counter()
    index = PDQIndex(codes, np.arange(n))
    build = time.perf_counter() - t
    index.save(tmp / "pdq")
    t = time.perf_counter()
    index = PDQIndex.load(tmp / "pdq")
    reload = time.perf_counter() - t
    t = time.perf_counter()
    qi, _, _ = index.search_arrays(queries, 31)
    qps = nq / (time.perf_counter() - t)
    t = time.perf_counter()
    base = faiss.IndexBinaryMultiHash(256, 16, 16)
    base.add(codes)
    base_build = time.perf_counter() - t
    base.nflip = 31 // 16
    t = time.perf_counter()
    lims, _, _ = base.range_search(queries, 32)
    base_qps = nq / (time.perf_counter() - t)
    assert int(lims[-1]) == len(qi), "both indexes are exact: same number of hits"
    print(f"| PDQ {n:,} | {build:.1f} s | {reload:.2f} s | {qps:,.0f} q/s | "
          f"{base_build:.1f} s | {base_qps:,.0f} q/s |")


def bench_exact(n: int, tmp: Path) -> None:
    rng = np.random.default_rng(1)
    digests = rng.integers(0, 256, (n, 32), dtype=np.uint8)
    rows = ((digests[i].tobytes(), i) for i in range(n))  # NSRL RDS v3-shaped: digest, id
    t = time.perf_counter()
    ExactIndex(tmp / "exact", "sha256").add_stream(rows)
    import_rate = n / (time.perf_counter() - t)
    index = ExactIndex(tmp / "exact", "sha256")
    queries = np.concatenate([digests[rng.integers(0, n, 500_000)],
                              rng.integers(0, 256, (500_000, 32), dtype=np.uint8)])
    t = time.perf_counter()
    index.lookup(queries)
    rate = len(queries) / (time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"| exact SHA-256 {n:,} | import {import_rate:,.0f} rows/s | lookup {rate:,.0f}/s | "
          f"peak RSS {rss:,.0f} MiB |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--queries", type=int, default=4_000)
    parser.add_argument("--exact", type=int, default=10_000_000)
    parser.add_argument("--add", type=int, default=100_000)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cumberland-bench-"))
    try:
        print("| set | build | reload | query (d<=31) | faiss MIH 16x16 build | faiss MIH query |")
        print("| --- | --- | --- | --- | --- | --- |")
        for n in args.sizes:
            bench_pdq(n, args.queries, tmp)
        if args.add:
            bench_add(args.sizes[-1], args.add, args.queries, tmp)
        bench_exact(args.exact, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
