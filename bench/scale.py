"""Ingest of a million small files: throughput per core and peak memory, beside baselines.

  .venv/bin/python bench/scale.py [--files 1000000] [--dirs 1000] [--workers N] [--db URL]

The corpus (64-byte text files spread over ``--dirs`` folders under ``--root``) is generated
once and reused. Baselines, measured in the same run on the same warm page cache:
``find | xargs sha256sum`` (one process stream, one digest) and a naive Python loop
(os.walk + MD5/SHA-1/SHA-256 per file). Cumberland runs the full ``cumberland triage`` CLI
(enumerate, fingerprint, match, report) into a fresh SQLite workspace; its peak RSS is the
largest of any of its processes (parent, fork server, workers), taken from
``getrusage(RUSAGE_CHILDREN)`` in a subreaper wrapper.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cumberland.pipeline.executors import default_workers

HERE = Path(__file__).resolve().parent
RSS_AIM_MIB = 1024


def _run_measured():  # type: ignore[no-untyped-def]
    """The subreaper peak-RSS runner shared with the hostile-corpus test."""
    path = HERE.parent / "tests" / "fuzz" / "hostile.py"
    spec = importlib.util.spec_from_file_location("hostile", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = module
    spec.loader.exec_module(module)
    return module.run_measured


def generate(root: Path, files: int, dirs: int) -> Path:
    """Write the corpus under root/evidence unless a complete one is there (a marker says)."""
    evidence, marker = root / "evidence", root / f"complete-{files}-{dirs}"
    if marker.exists():
        return evidence
    shutil.rmtree(root, ignore_errors=True)
    for d in range(dirs):
        (evidence / f"d{d:04d}").mkdir(parents=True)
    start = time.perf_counter()
    for i in range(files):
        with open(evidence / f"d{i % dirs:04d}" / f"f{i:07d}.txt", "wb") as fh:
            fh.write(f"small file {i:052d}\n".encode())
    marker.write_text(f"{time.perf_counter() - start:.1f}s\n")
    return evidence


def baseline_sha256sum(root: Path) -> float:
    start = time.perf_counter()
    subprocess.run(f"find {root} -type f -print0 | xargs -0 sha256sum "
                   "> /dev/null", shell=True, check=True)
    return time.perf_counter() - start


def baseline_python(root: Path) -> float:
    start = time.perf_counter()
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            with open(os.path.join(dirpath, name), "rb") as fh:
                data = fh.read()
            for algo in (hashlib.md5, hashlib.sha1, hashlib.sha256):
                algo(data).digest()
    return time.perf_counter() - start


def cumberland(root: Path, workers: int, scratch: Path,
               db: str | None = None) -> tuple[float, int, dict[str, object]]:
    run_measured = _run_measured()
    cmd = [sys.executable, "-m", "cumberland", "triage", str(root), "--case", "scale",
           "--workspace", str(scratch / "ws"), "--report-dir", str(scratch / "report"),
           "--workers", str(workers), *(["--db", db] if db else [])]
    start = time.perf_counter()
    done, peak_kib = run_measured(cmd, scratch / "rss", timeout=6 * 3600)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(done.stderr[-2000:])
    report = json.loads((scratch / "report" / "report.json").read_text())
    return seconds, peak_kib, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000_000)
    parser.add_argument("--dirs", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--root", type=Path, default=Path("/tmp/cumberland-scale"))
    parser.add_argument("--db", help="an empty PostgreSQL database URL (default: SQLite)")
    args = parser.parse_args()

    evidence = generate(args.root, args.files, args.dirs)
    count = sum(len(names) for _, _, names in os.walk(evidence))
    baseline_python(evidence)  # warm the page cache and dentry cache for everyone
    sha_s = baseline_sha256sum(evidence)
    py_s = baseline_python(evidence)
    with tempfile.TemporaryDirectory(prefix="cumberland-scale-ws-") as scratch:
        cb_s, peak_kib, report = cumberland(evidence, args.workers, Path(scratch), args.db)
    assert report["files_seen"] == count, (report["files_seen"], count)

    def row(name: str, seconds: float, cores: int) -> str:
        return (f"| {name} | {cores} | {seconds:,.1f} | {count / seconds:,.0f} | "
                f"{count / seconds / cores:,.0f} |")

    peak_mib = peak_kib / 1024
    print(f"\n{count:,} files of 64 bytes in {args.dirs:,} folders, {os.cpu_count()} CPUs\n")
    print("| contender | cores | seconds | files/s | files/s per core |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(row("find + xargs sha256sum (one digest)", sha_s, 1))
    print(row("naive Python os.walk + MD5/SHA-1/SHA-256", py_s, 1))
    print(row("`cumberland triage` (enumerate, fingerprint, match, report)", cb_s,
              args.workers))
    print(f"\n- peak RSS of any Cumberland process: **{peak_mib:,.0f} MiB** "
          f"(aim <= {RSS_AIM_MIB} MiB: {'met' if peak_mib <= RSS_AIM_MIB else 'MISSED'})")
    per_core = count / cb_s / args.workers
    print(f"- per core, Cumberland vs sha256sum: {per_core / (count / sha_s):.2f}x; "
          f"vs naive Python: {per_core / (count / py_s):.2f}x")
    print(f"- items: {report['items']}")


if __name__ == "__main__":
    main()
