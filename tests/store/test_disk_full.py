"""A full disk under the workspace: a one-line error naming the workspace (no traceback, no
SQL, no bind values, nothing of the evidence), no half-written thumbnail left behind, and the
run after space is freed resumes to the full result. The disk is a real size-limited tmpfs."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sources.evidence_kit import jpeg

SIZE_KIB = 900  # room for a new workspace's schema, not for what a triage writes into it


@pytest.fixture()
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small-disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("needs root to mount a size-limited tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={SIZE_KIB}k", "tmpfs",
                           str(mount)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], capture_output=True)


def _grow(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=64m", str(mount)], check=True)


def _cumberland(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "cumberland", *args], capture_output=True,
                          text=True, timeout=600)


def _one_clean_line(done: subprocess.CompletedProcess[str], ws: Path) -> str:
    assert done.returncode == 1, done.stderr[-3000:]
    message = done.stderr.strip().splitlines()[-1]
    assert "Traceback" not in done.stderr
    assert message.startswith("error: workspace ") and str(ws) in message
    assert "disk is full" in message or "No space left" in message
    for leak in ("[SQL", "INSERT", "UPDATE", "parameters", "sqlalche.me"):
        assert leak not in done.stderr
    return message


@pytest.mark.slow
def test_triage_on_a_full_disk_is_one_line_and_resumes(small_disk: Path,
                                                        tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    photos = {f"photo{i:03d}.jpg": jpeg(i, (400, 300)) for i in range(60)}
    for name, data in photos.items():
        (evidence / name).write_bytes(data)
    ws = small_disk / "ws"
    args = ("triage", str(evidence), "--case", "c", "--workspace", str(ws), "--workers", "1",
            "--report-dir", str(tmp_path / "report"))
    message = _one_clean_line(_cumberland(*args), ws)
    for data in photos.values():  # nothing of the evidence: no digest of any photo
        assert hashlib.sha256(data).hexdigest()[:16] not in message
    assert list(ws.rglob("*.tmp")) == []  # no half-written thumbnail
    _grow(small_disk)
    done = _cumberland(*args)
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(ws / "cumberland.db") as db:
        statuses = dict(db.execute("SELECT status, count(*) FROM items GROUP BY status"))
        runs = [r[0] for r in db.execute("SELECT status FROM runs ORDER BY id")]
    assert statuses == {"done": len(photos)}
    assert runs[-1] == "done" and "running" not in runs


def test_hashset_import_on_a_full_disk_is_one_line(small_disk: Path, tmp_path: Path) -> None:
    listing = tmp_path / "known.sha256"
    listing.write_text("".join(f"{i:064x}  file{i}.jpg\n" for i in range(40_000)))
    ws = small_disk / "ws"
    _one_clean_line(_cumberland("hashset", "import", str(listing), "--name", "known",
                                "--workspace", str(ws)), ws)
    _grow(small_disk)
    done = _cumberland("hashset", "import", str(listing), "--name", "known",
                       "--workspace", str(ws))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "40,000 entries" in done.stdout
