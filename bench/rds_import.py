"""NSRL RDS v3 import into the exact index, end to end through the CLI.

The file is generated in NIST's layout: ``FILE`` with its 7-column primary key, the
``DISTINCT_HASH`` view, ``VERSION``; each distinct hash sits in several FILE rows (Modern
Minimal: 441.6 M FILE rows, 73.8 M distinct SHA-256, about 6 per hash). Figures, each a
fresh workspace, timed around the ``cumberland hashset import`` process:

* Cumberland, index storage (the default for ``--purpose ignore``), ``--workers`` 1 and N;
* the floor of any SQLite-based reader: SQLite alone counting ``DISTINCT_HASH`` rows;
* baseline, the naive approach: a Python cursor over ``DISTINCT_HASH`` with
  ``bytes.fromhex`` per digest (no storing at all);
* baseline, a row per record: the same CLI with ``--storage entries``.

Peak memory is the process tree's resident set, sampled every 50 ms. Run:
    .venv/bin/python bench/rds_import.py [--distinct 1000000] [--copies 6] [--entries]
The generated file is cached in the temp folder and reused.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import closing
from pathlib import Path

SCHEMA = """
CREATE TABLE FILE (sha256 VARCHAR NOT NULL, sha1 VARCHAR NOT NULL, md5 VARCHAR NOT NULL,
 crc32 VARCHAR NOT NULL, file_name VARCHAR NOT NULL, file_size INTEGER NOT NULL,
 package_id INTEGER NOT NULL, CONSTRAINT PK_FILE__FILE PRIMARY KEY
 (sha256, sha1, md5, crc32, file_name, file_size, package_id));
CREATE TABLE VERSION (version VARCHAR UNIQUE NOT NULL, build_set VARCHAR NOT NULL,
 build_date TIMESTAMP NOT NULL, release_date TIMESTAMP NOT NULL, description VARCHAR NOT NULL);
INSERT INTO VERSION VALUES ('2099.01.1', 'Synthetic', '2099-01-01', '2099-01-01', 'bench');
CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE;
"""
CLI = [str(Path(sys.executable).with_name("cumberland"))]


def make_rds(path: Path, distinct: int, copies: int) -> None:
    """Hash i sits in 1 + i % (2 * copies - 1) FILE rows: ``copies`` on average."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    spread = 2 * copies - 1

    def rows():  # type: ignore[no-untyped-def]
        for i in range(distinct):
            data = i.to_bytes(8, "little")
            hexes = [hashlib.new(k, data).hexdigest().upper() for k in ("sha256", "sha1", "md5")]
            for k in range(1 + i % spread):
                yield (*hexes, "0000ABCD", f"file{i}_{k}.dll", 1000 + i, k)

    with closing(sqlite3.connect(tmp)) as db:
        db.executescript(SCHEMA + "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;")
        db.executemany("INSERT INTO FILE VALUES (?, ?, ?, ?, ?, ?, ?)", rows())
        db.commit()
    os.replace(tmp, path)


def _tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its descendants (from /proc)."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * os.sysconf(
                "SC_PAGE_SIZE")
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text().split()
                todo += [int(c) for c in children]
        except (OSError, ValueError):
            continue
    return total


def timed(command: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak tree RSS (bytes) and stdout of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]

    def watch() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.05)

    watcher = threading.Thread(target=watch)
    watcher.start()
    out, _ = proc.communicate()
    wall = time.perf_counter() - start
    watcher.join()
    if proc.returncode:
        raise SystemExit(f"{command} failed:\n{out}")
    return wall, peak[0], out.strip()


def import_cli(rds: Path, tmp: Path, *extra: str) -> tuple[float, int, str]:
    ws = tmp / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    subprocess.run([*CLI, "hashset", "list", "-w", str(ws)], check=True,
                   stdout=subprocess.DEVNULL)  # the workspace exists before the clock starts
    return timed([*CLI, "hashset", "import", str(rds), "--name", "rds", "--purpose", "ignore",
                  "-w", str(ws), *extra])


def naive_cursor(rds: Path) -> tuple[float, int]:
    start = time.perf_counter()
    with closing(sqlite3.connect(rds.resolve().as_uri() + "?mode=ro", uri=True)) as db:
        count = 0
        for sha256, sha1, md5 in db.execute("SELECT sha256, sha1, md5 FROM DISTINCT_HASH"):
            bytes.fromhex(sha256), bytes.fromhex(sha1), bytes.fromhex(md5)
            count += 1
    return time.perf_counter() - start, count


def sqlite_floor(rds: Path) -> float:
    start = time.perf_counter()
    with closing(sqlite3.connect(rds.resolve().as_uri() + "?mode=ro", uri=True)) as db:
        db.execute("SELECT count(*) FROM DISTINCT_HASH").fetchone()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--distinct", type=int, default=1_000_000)
    parser.add_argument("--copies", type=int, default=6)
    parser.add_argument("--entries", action="store_true", help="also time --storage entries")
    args = parser.parse_args()
    tmp = Path(tempfile.gettempdir()) / "cumberland-bench-rds"
    tmp.mkdir(exist_ok=True)
    rds = tmp / f"rds-{args.distinct}x{args.copies}.db"
    if not rds.exists():
        print(f"generating {rds} ...", flush=True)
        make_rds(rds, args.distinct, args.copies)
    with closing(sqlite3.connect(rds)) as db:
        file_rows = int(db.execute("SELECT count(*) FROM FILE").fetchone()[0])
    size = rds.stat().st_size
    cores = len(os.sched_getaffinity(0))
    n = args.distinct
    print(f"RDS v3: {n:,} distinct hashes, {file_rows:,} FILE rows, {size / 2**30:.2f} GiB; "
          f"{cores} cores\n")
    print("| reader | wall | distinct rows/s | FILE rows/s | peak RSS | vs naive cursor |")
    print("| --- | --- | --- | --- | --- | --- |")
    sqlite_floor(rds)  # warm the page cache for everyone alike
    naive, count = naive_cursor(rds)
    assert count == n, (count, n)

    def row(name: str, wall: float, rss: int | None) -> None:
        memory = f"{rss / 2**20:,.0f} MiB" if rss else "-"
        print(f"| {name} | {wall:.2f} s | {n / wall:,.0f} | {file_rows / wall:,.0f} | "
              f"{memory} | {naive / wall:.2f}x |", flush=True)

    row("naive: Python cursor + bytes.fromhex (reads only)", naive, None)
    row("SQLite alone: count(*) FROM DISTINCT_HASH", sqlite_floor(rds), None)
    for workers in sorted({1, cores}):
        wall, rss, out = import_cli(rds, tmp, "--workers", str(workers))
        assert f"{n:,} entries (index)" in out, out
        row(f"`cumberland hashset import`, index, --workers {workers}", wall, rss)
    if args.entries:
        wall, rss, out = import_cli(rds, tmp, "--storage", "entries")
        assert f"{n:,} entries (entries)" in out, out
        row("`cumberland hashset import --storage entries` (a row per record)", wall, rss)


if __name__ == "__main__":
    main()
