"""Regime (a) PDQ matching against a large hash list: the persisted index versus a rebuild.

A PDQ list of ``--size`` random hashes is imported into a workspace holding a small benign
case; ``match_pdq`` then runs three times. The first builds the persisted index from the
database (what every run did before the index was persisted: the baseline), the second loads
it, the third follows the import of a further ``--add`` hashes (an incremental add). Run:
    .venv/bin/python bench/pdq_lists.py [--size 1000000] [--add 10000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from cumberland.demo import synthetic_image
from cumberland.matching.case import match_pdq
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.hashset_import import import_hashset
from cumberland.store.workspace import Workspace


def write_list(path: Path, count: int, seed: int) -> None:
    codes = np.random.default_rng(seed).integers(0, 256, (count, 32), dtype=np.uint8)
    with path.open("w") as out:
        for i, code in enumerate(codes):
            out.write(f"{code.tobytes().hex()},100,known_{seed}_{i}.jpg\n")


def timed(label: str, fn: object, baseline: float | None = None) -> float:
    start = time.perf_counter()
    fn()  # type: ignore[operator]
    wall = time.perf_counter() - start
    ratio = f"{baseline / wall:,.0f}x" if baseline else "1x (baseline)"
    print(f"| {label} | {wall:.2f} s | {ratio} |", flush=True)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--add", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        evidence = tmp / "evidence"
        evidence.mkdir()
        for i in range(20):
            synthetic_image(i).save(evidence / f"shape{i}.png")
        ws = Workspace(tmp / "ws")
        triage(ws, TriageRequest(sources=[evidence], case="c"))
        write_list(tmp / "big.txt", args.size, 1)
        write_list(tmp / "more.txt", args.add, 2)
        start = time.perf_counter()
        import_hashset(ws, tmp / "big.txt", "big")
        print(f"{args.size:,} PDQ hashes imported in {time.perf_counter() - start:.1f} s; "
              f"20 case images\n")
        settings = Settings()
        print("| `match_pdq` run | wall | vs rebuild |")
        print("| --- | --- | --- |")
        first = timed(f"first: index built from the database ({args.size:,})",
                      lambda: match_pdq(ws, 1, settings))
        timed("second: persisted index loaded", lambda: match_pdq(ws, 1, settings), first)
        import_hashset(ws, tmp / "more.txt", "more")
        timed(f"after importing {args.add:,} more: added, not rebuilt",
              lambda: match_pdq(ws, 1, settings), first)
        ws.close()


if __name__ == "__main__":
    main()
