"""Ingest throughput on 12 MP JPEGs beside two baselines measured in the same run.

  .venv/bin/python bench/ingest.py [--count 40]

Baselines: ``hashdeep -c md5,sha1,sha256 -j1`` (the crypto-hashing floor, one thread) and
the naive Python approach (Pillow full decode + pdqhash + hashlib per file). Cumberland's
per-item work runs in one process for the per-core comparison; the full triage runs with
every core for end-to-end files/s. The query-side PDQ variants hashed in the same decode
(dihedral, unpadded, central regions; see signals/pdq.py) are costed by running the per-item
work once more with them switched off (a PDQ quality minimum no hash reaches). Fidelity:
PDQ after DCT-domain downscaling vs full-resolution pdqhash, for hashes of quality >= 80.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import camera_jpegs, corpus_origin
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Task
from cumberland.settings import Settings
from cumberland.signals.pdq import hamming
from cumberland.store.workspace import Workspace


def naive(path: Path) -> tuple[bytes, int]:
    data = path.read_bytes()
    for algo in ("md5", "sha1", "sha256"):
        hashlib.new(algo, data).digest()
    rgb = np.asarray(Image.open(path).convert("RGB"))
    bits, quality = pdqhash.compute(rgb)
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def timed(fn, *args):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - start, out


def run_hashdeep(paths: list[Path]) -> float | None:
    if shutil.which("hashdeep") is None:
        return None
    start = time.perf_counter()
    subprocess.run(["hashdeep", "-c", "md5,sha1,sha256", "-j1", *map(str, paths)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--draft-min-side", type=int, default=Settings().pdq_draft_min_side)
    args = parser.parse_args()
    paths = camera_jpegs(args.count)
    total_mb = sum(p.stat().st_size for p in paths) / 1e6
    n = len(paths)
    print(f"corpus: {n} JPEGs 4000x3000 ({corpus_origin()}), {total_mb:.0f} MB")
    for p in paths:  # warm the page cache so every contender reads from memory
        p.read_bytes()

    t_hashdeep = run_hashdeep(paths)
    t_naive, naive_out = timed(lambda: [naive(p) for p in paths])
    settings = Settings(pdq_draft_min_side=args.draft_min_side)
    tasks = [Task(i, os.fsencode(p), p.name, None) for i, p in enumerate(paths)]
    t_ours, ours = timed(lambda: [fingerprint(t, settings) for t in tasks])
    plain = Settings(pdq_draft_min_side=args.draft_min_side, pdq_min_quality=101)
    t_plain, _ = timed(lambda: [fingerprint(t, plain) for t in tasks])

    drift = []
    for (ref, quality), result in zip(naive_out, ours, strict=True):
        assert result.media and result.media.pdq
        if quality >= 80:
            drift.append(hamming(ref, result.media.pdq))
    within = sum(d <= 10 for d in drift) / len(drift) if drift else float("nan")

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(paths[0]).parent
        ws = Workspace(Path(tmp) / "ws")
        t_triage, _ = timed(triage, ws, TriageRequest(sources=[src], case="bench",
                                                      settings=settings))
        ws.close()

    def row(name: str, seconds: float) -> str:
        return (f"{name:<34} {seconds / n * 1000:8.1f} ms/file {n / seconds:8.1f} files/s "
                f"{total_mb / seconds:8.1f} MB/s")

    print(row("hashdeep md5+sha1+sha256 (1 thread)", t_hashdeep) if t_hashdeep else
          "hashdeep: not installed")
    print(row("naive Python (1 process)", t_naive))
    print(row("cumberland fingerprint (1 process)", t_ours))
    print(row("  same without query variants", t_plain))
    print(row(f"cumberland triage ({os.cpu_count()} workers, e2e)", t_triage))
    print(f"query variants add {(t_ours - t_plain) / n * 1000:.1f} ms/file "
          f"({t_ours / t_plain - 1:.0%})")
    print(f"speed-up vs naive, per core: {t_naive / t_ours:.1f}x")
    if t_hashdeep:
        print(f"cost vs hashdeep floor, per core: {t_ours / t_hashdeep:.1f}x")
    print(f"PDQ fidelity: {len(drift)} hashes with quality >= 80; "
          f"{within:.1%} within 10 bits of full resolution; max drift {max(drift, default=0)}; "
          f"mean {np.mean(drift) if drift else 0:.1f}")


if __name__ == "__main__":
    main()
