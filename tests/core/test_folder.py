"""Every directory entry becomes one Entry; links are recorded, never followed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cumberland.sources.folder import walk_folder


def _by_name(root: Path) -> dict[str, tuple[str, str | None]]:
    out = {}
    for entry in walk_folder(root):
        assert entry.raw_path is not None
        rel = os.path.relpath(entry.raw_path, os.fsencode(root)).decode("utf-8", "backslashreplace")
        out[rel] = (entry.status, entry.reason)
    return out


def test_symlink_loop_and_link_out_of_source_are_recorded_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("outside the source")
    src = tmp_path / "src"
    (src / "a").mkdir(parents=True)
    (src / "a" / "file.txt").write_text("x")
    os.symlink(src / "a", src / "a" / "loop")
    os.symlink(outside, src / "escape")
    os.symlink(outside / "secret.txt", src / "a" / "secret-link")
    seen = _by_name(src)
    assert seen["a/file.txt"] == ("pending", None)
    assert seen["a/loop"][0] == "skipped" and seen["a/loop"][1].startswith("symlink -> ")
    assert seen["escape"][0] == "skipped"
    assert seen["a/secret-link"][0] == "skipped"
    assert not any(Path(k).name == "secret.txt" for k in seen)
    assert len(seen) == 4


def test_fifo_is_skipped_without_opening(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    seen = _by_name(tmp_path)
    assert seen["pipe"] == ("skipped", "not a regular file: fifo")


def test_invalid_utf8_and_newline_names_survive(tmp_path: Path) -> None:
    raw = os.fsencode(tmp_path) + b"/bad-\xff\xfe.jpg"
    with open(raw, "wb") as fh:
        fh.write(b"x")
    (tmp_path / "new\nline.txt").write_text("y")
    entries = list(walk_folder(tmp_path))
    assert {e.raw_path for e in entries} == {raw, os.fsencode(tmp_path / "new\nline.txt")}
    texts = sorted(e.path for e in entries)
    assert any("bad-\\xff\\xfe.jpg" in t for t in texts)
    assert any("new\\nline.txt" in t for t in texts)
    assert all("\n" not in t for t in texts)


_WALK = (
    "import json, sys\n"
    "from cumberland.sources.folder import walk_folder\n"
    "print(json.dumps([[e.path, e.status, e.reason] for e in walk_folder(sys.argv[1])]))\n"
)


def test_unreadable_directory_is_an_error_entry(tmp_path: Path) -> None:
    """Walk without root's DAC override (setpriv) so a mode-000 directory really is closed."""
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("z")
    (tmp_path / "open.txt").write_text("o")
    locked.chmod(0)
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    if os.geteuid() != 0:
        prefix = []
    elif shutil.which("setpriv") is None:
        pytest.skip("needs setpriv to drop root's DAC override")
    try:
        done = subprocess.run([*prefix, sys.executable, "-c", _WALK, str(tmp_path)],
                              capture_output=True, text=True, timeout=120, check=True)
    finally:
        locked.chmod(0o755)
    seen = {Path(p).name: (status, reason) for p, status, reason in json.loads(done.stdout)}
    assert seen["open.txt"] == ("pending", None)
    assert seen["locked"] == ("error", "unreadable directory: Permission denied")
    assert "inside.txt" not in seen


def test_listing_leaves_directory_access_times_alone(tmp_path: Path) -> None:
    """Directories are opened with O_NOATIME (as files are): a listing must not touch their
    atime. (Reading a symlink's target always updates the link's atime on Linux: readlink
    has no O_NOATIME; docs/architecture.md says so.)"""
    src = tmp_path / "src"
    (src / "a" / "b").mkdir(parents=True)
    (src / "a" / "b" / "file.txt").write_text("x")
    (src / "top.txt").write_text("y")
    old = 1_600_000_000  # older than a day: relatime would update it on any listing
    folders = [src, src / "a", src / "a" / "b"]
    for folder in reversed(folders):
        os.utime(folder, (old, old))
    seen = _by_name(src)
    assert set(seen) == {"a/b/file.txt", "top.txt"}
    assert [os.stat(folder).st_atime for folder in folders] == [old, old, old]
