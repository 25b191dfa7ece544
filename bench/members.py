"""Containers with many members: the peak memory of one ingest stays flat as the member
count grows, and a second worker's gain, for a disk image and a stream-only archive.

  .venv/bin/python bench/members.py [--steps 2000 20000] [--kinds ext4 tar.gz]
                                    [--jpeg-every 100] [--no-single]

For each step of the member count, a tree of that many files is generated (small text files,
one 640x480 JPEG made unique by a comment every ``--jpeg-every`` files) and packed as an
ext4 image (``mke2fs -d``) and as a tar.gz (a phone extraction's shape, read only forward):
all three are cached in ``bench/.cache/members/`` and reused by later runs. Each container
is triaged by the ``cumberland triage`` CLI with ``--workers 2`` into a fresh SQLite
workspace, and the peak RSS of the whole process tree (writer, fork server, workers: summed,
sampled every 0.2 s) recorded. At the largest step, in the same run: ``--workers 1`` (unless
``--no-single``), and
the baseline ``find TREE -type f -print0 | xargs -0 sha256sum`` over the same files
unpacked (one digest, one process, warm page cache: the floor of reading and hashing them).
The load average is printed before and after: on a shared machine the second worker only
helps if a core is free.
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import tarfile
import time
from pathlib import Path

# Before numpy is imported: it imports platform, found as bench/platform.py, which takes
# this folder off sys.path.
from disk_image import triage

# isort: split
from cumberland.demo import synthetic_image

CACHE = Path(__file__).resolve().parent / ".cache"
FOLDERS = 200


def _jpeg() -> bytes:
    out = io.BytesIO()
    synthetic_image(7, (640, 480)).save(out, "JPEG", quality=85)
    return out.getvalue()


def build_tree(root: Path, files: int, jpeg_every: int) -> None:
    """``files`` files under ``root`` (written to a temporary name, renamed when complete)."""
    if root.is_dir():
        return
    partial = root.with_name(root.name + ".partial")
    subprocess.run(["rm", "-rf", str(partial)], check=True)
    picture = _jpeg()
    for i in range(files):
        folder = partial / f"DCIM/{i % FOLDERS:03d}"
        if i < FOLDERS:
            folder.mkdir(parents=True)
        if jpeg_every and i % jpeg_every == 0:
            note = f"copy {i}".encode()
            data = picture[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + \
                picture[2:]
            (folder / f"IMG_{i:06d}.jpg").write_bytes(data)
        else:
            (folder / f"f{i:06d}.txt").write_bytes(f"small file {i}\n".encode() * (1 + i % 5))
    partial.rename(root)


def build_ext4(tree: Path, out: Path, files: int) -> Path:
    if not out.exists():
        used = sum(p.stat().st_size for p in tree.rglob("*") if p.is_file())
        size_mb = int(used * 1.3 / 1024**2 + files * 4096 / 1024**2 + 64)
        partial = out.with_name(out.name + ".partial")
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-N", str(files + 1024), "-d",
                        str(tree), str(partial), f"{size_mb}M"], check=True)
        partial.rename(out)
    return out


def build_tgz(tree: Path, out: Path) -> Path:
    if not out.exists():
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
            tar.add(tree, arcname="data/media/0")
        partial.rename(out)
    return out


def sha256sum(tree: Path) -> float:
    start = time.perf_counter()
    subprocess.run(f"find {tree} -type f -print0 | xargs -0 sha256sum > /dev/null",
                   shell=True, check=True)
    return time.perf_counter() - start


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--kinds", nargs="+", default=["ext4", "tar.gz"])
    parser.add_argument("--jpeg-every", type=int, default=100)
    parser.add_argument("--no-single", action="store_true",
                        help="no --workers 1 run at the largest step")
    args = parser.parse_args()
    steps = sorted(args.steps)
    cache = CACHE / "members"
    cache.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} CPUs; {_load()} at start\n", flush=True)
    rows: list[str] = []
    scaling: list[str] = []
    for kind in args.kinds:
        peaks = []
        for n in steps:
            tree = cache / f"tree-{n}-{args.jpeg_every}"
            build_tree(tree, n, args.jpeg_every)
            container = (build_ext4(tree, cache / f"{n}-{args.jpeg_every}.ext4", n)
                         if kind == "ext4" else
                         build_tgz(tree, cache / f"{n}-{args.jpeg_every}.tar.gz"))
            ws = cache / "ws"
            seconds, peak, report = triage(container, ws, 2)
            assert report["files_seen"] >= n + 1, (report["files_seen"], n)
            peaks.append(peak)
            rows.append(f"| {kind}, {n:,} members, --workers 2 | {seconds:,.1f} | "
                        f"{n / seconds:,.0f} | {peak / 1024**2:,.0f} MiB | {_load()} |")
            print(rows[-1], flush=True)
            if n == steps[-1]:
                one = None
                if not args.no_single:
                    one, peak1, _ = triage(container, ws, 1)
                    rows.append(f"| {kind}, {n:,} members, --workers 1 | {one:,.1f} | "
                                f"{n / one:,.0f} | {peak1 / 1024**2:,.0f} MiB | {_load()} |")
                    print(rows[-1], flush=True)
                base = sha256sum(tree)
                rows.append(f"| baseline: find \\| xargs sha256sum, the {n:,} files unpacked "
                            f"| {base:,.1f} | {n / base:,.0f} | | {_load()} |")
                print(rows[-1], flush=True)
                ratio = f"--workers 2 vs 1 **{one / seconds:.2f}x**; " if one else ""
                scaling.append(f"- {kind} at {n:,} members: {ratio}peak tree RSS "
                               f"{min(peaks) / 1024**2:,.0f}-{max(peaks) / 1024**2:,.0f} MiB "
                               f"over {steps[0]:,}-{n:,} members; Cumberland at "
                               f"{base / seconds:.2f}x the baseline's speed")
    print("\n| run | seconds | members/s | peak RSS, process tree | machine |")
    print("| --- | ---: | ---: | ---: | --- |")
    print("\n".join(rows))
    print()
    print("\n".join(scaling))
    print(f"\n{_load()} at the end", flush=True)


if __name__ == "__main__":
    main()
