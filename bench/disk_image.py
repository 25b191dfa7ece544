"""Disk-image ingest MB/s beside ``hashdeep`` over the raw image, measured in the same run.

  .venv/bin/python bench/disk_image.py [--mb 256]

Builds an ext4 image (mke2fs -d) filled with JPEGs of shapes and incompressible files, wraps
it as an uncompressed E01 (ewfacquire), then times, in one process: hashdeep -c
md5,sha1,sha256 -j1 over the raw image (the I/O + hashing floor), and Cumberland's
fingerprint() of the raw image and of the E01 -- which hashes the image AND opens every file
in it, hashing, sniffing and decoding each picture.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.records import Task
from cumberland.settings import Settings
from sources.evidence_kit import e01, ext4_image, jpeg


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=256)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = {f"pics/{i:04d}.jpg": jpeg(i, (1024, 768)) for i in range(200)}
        files.update({f"data/{i:03d}.bin": os.urandom(1024 * 1024)
                      for i in range(max(1, args.mb // 2))})
        raw = ext4_image(work / "disk.img", files, work, size_mb=args.mb + 64)
        ewf = e01(raw, work / "disk")
        size_mb = raw.stat().st_size / 1024**2
        t_hashdeep = timed(lambda: subprocess.run(
            ["hashdeep", "-c", "md5,sha1,sha256", "-j1", str(raw)], check=True,
            capture_output=True))
        results = {}
        for label, path in (("raw", raw), ("E01", ewf)):
            task = Task(1, os.fsencode(path), str(path), None)
            t0 = time.perf_counter()
            children = len(fingerprint(task, Settings()).children)
            results[label] = (time.perf_counter() - t0, children)
    print(f"image: {size_mb:.0f} MiB ext4, {len(files)} files ({200} JPEGs 1024x768)")
    print(f"hashdeep -j1 over the raw image: {t_hashdeep:.2f} s = {size_mb / t_hashdeep:.0f} MiB/s")
    for label, (seconds, children) in results.items():
        print(f"cumberland {label:>3}: {seconds:.2f} s = {size_mb / seconds:.0f} MiB/s "
              f"({children} files, ratio to hashdeep {t_hashdeep / seconds:.2f})")


if __name__ == "__main__":
    main()
