"""Cost of provenance.assess() per image beside the rest of ingest-like work, in one run.

Baseline per image: Pillow full decode + pdqhash.compute + md5/sha1/sha256 of the bytes.
Provenance: assess(data, image) on the already-decoded image (as ingest would call it).
Prints both per-image medians/means and the ratio (aim: provenance < 10% of the baseline).
Uses ../shared/corpus/photos when present, else synthetic benign JPEGs.

    .venv/bin/python bench/provenance.py [--limit N] [--rounds R]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import statistics
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from cumberland.signals.provenance import assess

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos"
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/photos")


def synthetic(count: int) -> list[bytes]:
    """Benign textured JPEGs (upscaled colour noise); 512 wide, so the watermark check runs."""
    rng = np.random.default_rng(0)
    out = []
    for _ in range(count):
        cells = rng.integers(0, 256, (47, 63, 3), dtype=np.uint8)
        image = Image.fromarray(cells).resize((512, 384), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=90)
        out.append(buf.getvalue())
    return out


def load_inputs(limit: int) -> tuple[str, list[bytes]]:
    files = sorted(CORPUS.glob("*"))[:limit] if CORPUS.is_dir() else []
    if files:
        return f"{len(files)} corpus photos", [p.read_bytes() for p in files]
    return f"{limit} synthetic JPEGs", synthetic(limit)


def baseline(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    pdqhash.compute(np.asarray(image.convert("RGB")))
    for algo in (hashlib.md5, hashlib.sha1, hashlib.sha256):
        algo(data).hexdigest()
    return image


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--synthetic", action="store_true", help="ignore the corpus")
    args = parser.parse_args()
    if args.synthetic:
        label, inputs = f"{args.limit} synthetic JPEGs", synthetic(args.limit)
    else:
        label, inputs = load_inputs(args.limit)
    base_times: list[float] = []
    prov_times: list[float] = []
    levels: dict[str, int] = {}
    for _ in range(args.rounds):
        for data in inputs:
            t0 = time.perf_counter()
            image = baseline(data)
            t1 = time.perf_counter()
            report = assess(data, image)
            t2 = time.perf_counter()
            base_times.append(t1 - t0)
            prov_times.append(t2 - t1)
            levels[report.level] = levels.get(report.level, 0) + 1
    b_mean, p_mean = statistics.fmean(base_times), statistics.fmean(prov_times)
    print(f"inputs: {label}, {args.rounds} rounds")
    print(
        f"ingest-like baseline: mean {b_mean * 1e3:.2f} ms, "
        f"median {statistics.median(base_times) * 1e3:.2f} ms per image"
    )
    print(
        f"provenance.assess:    mean {p_mean * 1e3:.2f} ms, "
        f"median {statistics.median(prov_times) * 1e3:.2f} ms per image"
    )
    print(f"ratio provenance/baseline: {p_mean / b_mean:.1%} (aim < 10%)")
    print(f"levels: {levels}")


if __name__ == "__main__":
    main()
