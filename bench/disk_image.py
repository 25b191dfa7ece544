"""Disk images at their real size: members fan out to every worker, memory stays flat,
a kill loses only uncommitted work; beside hashdeep and the examiner's Sleuth Kit route.

  .venv/bin/python bench/disk_image.py [--files 100000] [--jpegs 20000] [--fs ext4 ntfs]
                                       [--steps 25000 50000 100000]

For each file system (ext4 built by ``mke2fs -d``, NTFS by ntfs-3g through FUSE) and each
step of the file count, an image is built holding that many files: ``--jpegs``/``--files``
of them JPEGs of shapes (about 2 MP, each made unique by a comment) and the rest small text
files. Each image is triaged with ``cumberland triage`` into a fresh SQLite workspace, and
the peak RSS of the whole process tree (the writer, the fork server, every worker: their
RSS summed, sampled every 0.2 s) is recorded: it should stay flat as the count grows. At
the largest step, measured in the same run: ``--workers 1`` against ``--workers 2`` (the
raw image and its E01), ``hashdeep -c md5,sha1,sha256`` over the raw image (the floor of
reading and hashing it once), and the examiner's route (``tsk_recover`` of every allocated
file, then ``hashdeep -r`` over the extracted files). Then a run is SIGKILLed once half the
members are done and started again: the resumed run must fingerprint exactly the members
that were not committed.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cumberland.demo import synthetic_image

RSS_AIM_MIB = 1024


def _jpegs(count: int) -> list[bytes]:
    """A few distinct ~2 MP JPEGs, reused: each copy gets a unique comment."""
    distinct = []
    for seed in range(min(count, 24)):
        out = io.BytesIO()
        synthetic_image(seed, (1632, 1224)).save(out, "JPEG", quality=88)
        distinct.append(out.getvalue())
    return distinct


def build_tree(root: Path, files: int, jpegs: int) -> int:
    """``files`` files under root (``jpegs`` of them pictures); returns their total bytes."""
    pictures = _jpegs(jpegs) if jpegs else []
    total = 0
    every = max(1, files // max(1, jpegs)) if jpegs else 0
    made = 0
    for i in range(files):
        folder = root / f"d{i % 500:03d}"
        folder.mkdir(parents=True, exist_ok=True)
        if jpegs and i % every == 0 and made < jpegs:
            picture, note = pictures[made % len(pictures)], f"copy {i}".encode()
            # unique by a JPEG comment segment after SOI (data after EOI would be a member)
            data = picture[:2] + b"\xff\xfe" + (len(note) + 2).to_bytes(2, "big") + note + \
                picture[2:]
            name, made = f"IMG_{i:06d}.jpg", made + 1
        else:
            data, name = f"small file {i}\n".encode() * (1 + i % 5), f"f{i:06d}.txt"
        (folder / name).write_bytes(data)
        total += len(data)
    return total


def build_image(fs: str, tree: Path, out: Path, data_bytes: int, files: int) -> Path:
    size_mb = int(data_bytes * 1.3 / 1024**2 + files * 4096 / 1024**2 + 64)
    if fs == "ext4":
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-N", str(files + 1024), "-d",
                        str(tree), str(out), f"{size_mb}M"], check=True)
        return out
    with out.open("wb") as fh:
        fh.truncate(size_mb * 1024**2)
    subprocess.run(["mkntfs", "-F", "-Q", "-q", str(out)], check=True, capture_output=True)
    mount = out.with_suffix(".mnt")
    mount.mkdir(exist_ok=True)
    subprocess.run(["ntfs-3g", str(out), str(mount)], check=True)
    try:
        subprocess.run(["cp", "-r", "--", *[str(p) for p in tree.iterdir()], str(mount)],
                       check=True)
    finally:
        subprocess.run(["fusermount", "-u", str(mount)], check=False)
    return out


def e01(raw: Path) -> Path:
    target = raw.with_suffix("")
    subprocess.run(["ewfacquire", "-u", "-q", "-c", "none", "-S", "8G", "-t",
                    str(target) + "-ewf", str(raw)], check=True, capture_output=True)
    return Path(str(target) + "-ewf.E01")


class TreeRss:
    """Peak of the summed RSS of a process and all its descendants, sampled."""

    def __init__(self, pid: int) -> None:
        self.peak = 0
        self._root = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                procs = [self._root, *self._root.children(recursive=True)]
                total = 0
                for proc in procs:
                    with contextlib.suppress(psutil.Error):  # it ended meanwhile
                        total += proc.memory_info().rss
                self.peak = max(self.peak, total)
            except psutil.Error:
                return
            self._stop.wait(0.2)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def _command(image: Path, ws: Path, workers: int) -> list[str]:
    return [sys.executable, "-m", "cumberland", "triage", str(image), "--case", "bench",
            "--workspace", str(ws), "--report-dir", str(ws / "report"), "--workers",
            str(workers)]


def triage(image: Path, ws: Path, workers: int) -> tuple[float, int, dict[str, object]]:
    shutil.rmtree(ws, ignore_errors=True)
    start = time.perf_counter()
    proc = subprocess.Popen(_command(image, ws, workers), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    rss = TreeRss(proc.pid)
    _out, err = proc.communicate()
    peak = rss.stop()
    seconds = time.perf_counter() - start
    if proc.returncode:
        raise SystemExit(err[-2000:])
    return seconds, peak, json.loads((ws / "report" / "report.json").read_text())


def members(db: Path) -> tuple[int, int]:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            total, done = conn.execute(
                "SELECT count(*), coalesce(sum(status != 'pending'), 0) FROM items "
                "WHERE parent_id IS NOT NULL").fetchone()
    except sqlite3.Error:
        return 0, 0
    return int(total), int(done)


def kill_and_resume(image: Path, ws: Path, files: int) -> dict[str, float]:
    shutil.rmtree(ws, ignore_errors=True)
    proc = subprocess.Popen(_command(image, ws, 2), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    db = ws / "cumberland.db"
    while proc.poll() is None:
        listed, done = members(db)
        if listed >= files and done >= listed // 2:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            break
        time.sleep(0.05)
    listed, committed = members(db)
    start = time.perf_counter()
    subprocess.run(_command(image, ws, 2), check=True, capture_output=True)
    return {"listed": listed, "committed_at_kill": committed,
            "pending_at_restart": listed - committed, "resume_s": time.perf_counter() - start}


def timed(cmd: list[str], **kw: object) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, **kw)  # type: ignore[call-overload]
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--jpegs", type=int, default=20_000)
    parser.add_argument("--fs", nargs="+", default=["ext4", "ntfs"])
    parser.add_argument("--steps", type=int, nargs="+", default=None)
    parser.add_argument("--root", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    steps = sorted(args.steps or [args.files // 4, args.files // 2, args.files])
    print(f"{os.cpu_count()} CPUs; load average {os.getloadavg()[0]:.1f} at start\n")
    for fs in args.fs:
        work = Path(tempfile.mkdtemp(prefix=f"cumberland-disk-{fs}-", dir=args.root))
        try:
            rows = []
            for n in steps:
                tree = work / f"tree-{n}"
                data = build_tree(tree, n, args.jpegs * n // args.files)
                raw = build_image(fs, tree, work / f"{fs}-{n}.img", data, n)
                shutil.rmtree(tree)
                seconds, peak, report = triage(raw, work / "ws", 2)
                # the image and its files, plus NTFS's own metadata files ($MFT, $LogFile...)
                assert report["files_seen"] >= n + 1, (report["files_seen"], n)
                rows.append((n, seconds, peak))
                print(f"{fs} {n:,} files: {seconds:,.1f} s, tree RSS {peak / 1024**2:,.0f} MiB",
                      flush=True)
            n = steps[-1]
            raw = work / f"{fs}-{n}.img"
            image_mb = raw.stat().st_size / 1024**2
            one, peak1, _ = triage(raw, work / "ws", 1)
            two = rows[-1][1]
            ewf = e01(raw)
            ewf_two, ewf_peak, _ = triage(ewf, work / "ws", 2)
            hashdeep = timed(["hashdeep", "-c", "md5,sha1,sha256", "-j1", str(raw)])
            out = work / "recovered"
            recover = timed(["tsk_recover", "-a", str(raw), str(out)])
            recover += timed(["hashdeep", "-c", "md5,sha1,sha256", "-r", "-j2", str(out)])
            shutil.rmtree(out)
            killed = kill_and_resume(raw, work / "ws", n)
            print(f"\n### {fs}: {n:,} files ({args.jpegs * n // args.files:,} JPEGs of "
                  f"~2 MP), image {image_mb:,.0f} MiB\n")
            print("| run | seconds | files/s | peak RSS, process tree |")
            print("| --- | ---: | ---: | ---: |")
            for count, seconds, peak in rows:
                print(f"| raw, --workers 2, {count:,} files | {seconds:,.1f} | "
                      f"{count / seconds:,.0f} | {peak / 1024**2:,.0f} MiB |")
            print(f"| raw, --workers 1 | {one:,.1f} | {n / one:,.0f} | "
                  f"{peak1 / 1024**2:,.0f} MiB |")
            print(f"| E01, --workers 2 | {ewf_two:,.1f} | {n / ewf_two:,.0f} | "
                  f"{ewf_peak / 1024**2:,.0f} MiB |")
            print(f"| hashdeep over the raw image (one pass, no files) | {hashdeep:,.1f} | | |")
            print(f"| tsk_recover + hashdeep -r (the examiner's route) | {recover:,.1f} | "
                  f"{n / recover:,.0f} | |")
            peaks = [p for _n, _s, p in rows]
            print(f"\n- workers 2 vs 1: **{one / two:.2f}x** (aim >= 1.8x)")
            print(f"- peak tree RSS {min(peaks) / 1024**2:,.0f}-{max(peaks) / 1024**2:,.0f} "
                  f"MiB over {steps[0]:,}-{n:,} files (aim <= {RSS_AIM_MIB} MiB, flat)")
            print(f"- Cumberland (every file hashed, sniffed, pictures decoded) vs the "
                  f"examiner's route (hashes only): {recover / two:.2f}x its speed")
            print(f"- kill at 50 %: {killed['committed_at_kill']:,} of {killed['listed']:,} "
                  f"members committed; the resumed run fingerprinted the "
                  f"{killed['pending_at_restart']:,} still pending (never a committed one: "
                  f"tests/resume/test_resume_members.py counts it) in "
                  f"{killed['resume_s']:,.1f} s\n", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
