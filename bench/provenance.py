"""Cost of the provenance signals beside the rest of ingest, measured in one run.

Every input file goes through ``cumberland.pipeline.fingerprint.fingerprint`` (an ingest
worker's whole per-item work: read, hash, sniff, decode, PDQ, thumbnail, signals) twice per
round, alternately: once with the provenance signals switched off (its parts and their
combination left out of ``registry.BUILTIN``) and once as ingest runs them, where those
signals (timed together as "provenance") and the watermark decoder inside them are timed as
well. A third pass, signals off and the query-side PDQ variants off too
(a PDQ quality minimum no hash reaches, as bench/ingest.py does), gives the stricter ratio
against ingest as it was before those variants moved into it. Input sets:

* ``photos``: ../shared/corpus/photos (skipped when absent);
* ``synthetic``: 512x384 textured JPEGs, a width SD emits, so the watermark check runs on all;
* ``camera``: 4000x3000 JPEGs (bench/_corpus.py), decoded as drafts by ingest.

    .venv/bin/python bench/provenance.py [--limit 300] [--camera 12] [--rounds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _corpus import SHARED_PHOTOS, camera_jpegs
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.records import Task
from cumberland.settings import Settings
from cumberland.signals import registry
from cumberland.signals.provenance import PARTS, watermark


def synthetic(folder: Path, count: int) -> list[Path]:
    """Benign textured JPEGs (upscaled colour noise), 512 wide so the watermark check runs."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(count):
        cells = rng.integers(0, 256, (47, 63, 3), dtype=np.uint8)
        image = Image.fromarray(cells).resize((512, 384), Image.Resampling.BICUBIC)
        buf = io.BytesIO()
        image.save(buf, "JPEG", quality=90)
        path = folder / f"synthetic_{i:04d}.jpg"
        path.write_bytes(buf.getvalue())
        out.append(path)
    return out


class Clock:
    """Seconds spent inside wrapped callables, per label."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[label] = self.spent.get(label, 0.0) + time.perf_counter() - start
        return timed


PROVENANCE = frozenset({registry.PROVENANCE, *(name for name, *_ in PARTS)})


@contextmanager
def signals(enabled: bool, clock: Clock) -> Iterator[None]:
    """Provenance signals off, or on with them and the watermark decoder timed."""
    saved_signals, saved_detect = registry.BUILTIN, watermark.detect
    if enabled:
        registry.BUILTIN = tuple(
            dataclasses.replace(s, compute=clock.wrap(registry.PROVENANCE, s.compute))
            if s.name in PROVENANCE else s for s in saved_signals)
        watermark.detect = clock.wrap("watermark", saved_detect)
    else:
        registry.BUILTIN = tuple(s for s in saved_signals if s.name not in PROVENANCE)
    try:
        yield
    finally:
        registry.BUILTIN, watermark.detect = saved_signals, saved_detect


def measure(label: str, paths: list[Path], rounds: int, settings: Settings) -> None:
    tasks = [Task(i, os.fsencode(p), p.name, p.stat().st_size) for i, p in enumerate(paths)]
    for p in paths:  # page cache warm for both contenders
        p.read_bytes()
    plain = dataclasses.replace(settings, pdq_min_quality=101)
    off: list[float] = []
    on: list[float] = []
    bare: list[float] = []
    clock = Clock()
    levels: dict[str, int] = {}
    for _ in range(rounds):
        for task in tasks:
            with signals(False, Clock()):
                start = time.perf_counter()
                fingerprint(task, settings)
                off.append(time.perf_counter() - start)
            with signals(False, Clock()):
                start = time.perf_counter()
                fingerprint(task, plain)
                bare.append(time.perf_counter() - start)
            with signals(True, clock):
                start = time.perf_counter()
                result = fingerprint(task, settings)
                on.append(time.perf_counter() - start)
            level = result.media.ai_level if result.media else None
            levels[str(level)] = levels.get(str(level), 0) + 1
    n = len(on)
    prov = clock.spent.get(registry.PROVENANCE, 0.0) / n
    mark = clock.spent.get("watermark", 0.0) / n
    base, full = statistics.fmean(off), statistics.fmean(on)
    print(f"{label}: {len(paths)} files x {rounds} rounds")
    print(f"  ingest per item, signals off: mean {base * 1e3:.2f} ms "
          f"(median {statistics.median(off) * 1e3:.2f})")
    print(f"  ingest per item, signals on:  mean {full * 1e3:.2f} ms "
          f"(median {statistics.median(on) * 1e3:.2f})")
    print(f"  provenance signal inside:     mean {prov * 1e3:.2f} ms, of which watermark "
          f"{mark * 1e3:.2f} ms")
    print(f"  ingest per item, signals and query variants off: mean "
          f"{statistics.fmean(bare) * 1e3:.2f} ms")
    print(f"  provenance / rest of ingest: {prov / (full - prov):.1%} "
          f"(on-off difference / off: {(full - base) / base:.1%}; provenance / ingest without "
          f"query variants: {prov / statistics.fmean(bare):.1%}); aim < 10%")
    print(f"  ai levels: {levels}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=300, help="photos and synthetic files")
    parser.add_argument("--camera", type=int, default=12, help="12 MP JPEGs (0: none)")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings()
    photos = sorted(SHARED_PHOTOS.glob("*"))[:args.limit] if SHARED_PHOTOS.is_dir() else []
    if photos:
        measure("corpus photos", photos, args.rounds, settings)
    else:
        print("corpus photos: ../shared/corpus absent, skipped")
    with tempfile.TemporaryDirectory() as tmp:
        measure("synthetic 512x384 JPEGs", synthetic(Path(tmp), args.limit), args.rounds,
                settings)
    if args.camera:
        measure("camera-sized 4000x3000 JPEGs", camera_jpegs(args.camera), args.rounds,
                settings)


if __name__ == "__main__":
    main()
