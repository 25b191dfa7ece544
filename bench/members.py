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

``--by-phase`` instead runs ``triage`` in this process (``--workers 2``) on each step's
cached container and prints, per phase (fingerprinting, matching, reporting), the peak RSS
of the writer and of its children (fork server + workers) apart: where memory that grows
with the member count lives. ``--sqlite-cache-kib N`` caps the writer's SQLite page cache
(default 64 MiB a connection) for such a run, to tell the cache from the rest.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Named like the standard library's module, bench/platform.py must not be found first.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tarfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import psutil  # noqa: E402

import cumberland.store.workspace as workspace_module  # noqa: E402
from cumberland.demo import synthetic_image  # noqa: E402
from cumberland.pipeline.triage import TriageRequest  # noqa: E402
from cumberland.pipeline.triage import triage as run_triage  # noqa: E402

HERE = _HERE


def _disk_image_bench():  # type: ignore[no-untyped-def]
    """bench/disk_image.py, loaded by path: with this folder on sys.path, bench/platform.py
    would stand in for the standard library's ``platform``."""
    spec = importlib.util.spec_from_file_location("disk_image", HERE / "disk_image.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CACHE = HERE / ".cache"
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


class PhasePeaks:
    """A Progress that samples the writer's and its children's RSS every 0.2 s and keeps
    the peaks of each phase."""

    def __init__(self) -> None:
        self.current = "starting"
        self.peaks: dict[str, tuple[int, int]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def phase(self, name: str, total: int | None) -> None:
        self.current = name

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        pass

    def _sample(self) -> None:
        me = psutil.Process()
        while not self._stop.wait(0.2):
            try:
                writer = me.memory_info().rss
                children = sum(c.memory_info().rss for c in me.children(recursive=True))
            except psutil.Error:  # a worker ended meanwhile
                continue
            old = self.peaks.get(self.current, (0, 0))
            self.peaks[self.current] = (max(old[0], writer), max(old[1], children))

    def stop(self) -> dict[str, tuple[int, int]]:
        self._stop.set()
        self._thread.join()
        return self.peaks


def by_phase(container: Path, ws_root: Path, n: int, cache_kib: int | None) -> None:
    """One in-process triage: | container | phase | writer peak | children peak |."""
    if cache_kib:
        pragmas = workspace_module._sqlite_pragmas

        def capped(connection: object, record: object) -> None:
            pragmas(connection, record)
            cursor = connection.cursor()  # type: ignore[attr-defined]
            cursor.execute(f"PRAGMA cache_size=-{cache_kib}")
            cursor.close()

        workspace_module._sqlite_pragmas = capped
    subprocess.run(["rm", "-rf", str(ws_root)], check=True)
    ws = workspace_module.Workspace(ws_root)
    progress = PhasePeaks()
    try:
        run_triage(ws, TriageRequest(sources=[container], case="bench", workers=2),
                   progress)
    finally:
        peaks = progress.stop()
        ws.close()
    cache = f"{cache_kib:,} KiB" if cache_kib else "64 MiB (default)"
    for phase, (writer, children) in peaks.items():
        print(f"| {container.name}, {n:,} members, SQLite cache {cache} | {phase} | "
              f"{writer / 1024**2:,.0f} MiB | {children / 1024**2:,.0f} MiB |", flush=True)


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.1f} (5 min {five:.1f})"


def main() -> None:
    triage = _disk_image_bench().triage
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, nargs="+", default=[2000, 20000])
    parser.add_argument("--kinds", nargs="+", default=["ext4", "tar.gz"])
    parser.add_argument("--jpeg-every", type=int, default=100)
    parser.add_argument("--no-single", action="store_true",
                        help="no --workers 1 run at the largest step")
    parser.add_argument("--by-phase", action="store_true",
                        help="peak RSS of the writer and its workers per phase, in-process")
    parser.add_argument("--sqlite-cache-kib", type=int, default=None)
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
            if args.by_phase:
                by_phase(container, ws, n, args.sqlite_cache_kib)
                continue
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
    if args.by_phase:
        return
    print("\n| run | seconds | members/s | peak RSS, process tree | machine |")
    print("| --- | ---: | ---: | ---: | --- |")
    print("\n".join(rows))
    print()
    print("\n".join(scaling))
    print(f"\n{_load()} at the end", flush=True)


if __name__ == "__main__":  # the fork server imports this module again
    main()
