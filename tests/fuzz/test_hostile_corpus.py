"""Triage of a generated hostile corpus: it completes, every file has a status (with a reason
where not done), the counts add up, memory stays bounded and the source is left untouched.

Container handling (archives, video) evolves; for those inputs only the invariants are
asserted. Inputs whose handling is settled (special nodes, links, limits, permissions) are
checked by their recorded status too.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.store.models import Case, HashSet, Item
from cumberland.store.workspace import Workspace

STATUSES = {"done", "skipped", "error", "encrypted"}
RSS_LIMIT_KIB = 1024 * 1024  # 1 GiB, against a 3 GiB file and a 7.5 GB-pixel PNG
runner = CliRunner()


def _load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hostile", Path(__file__).with_name(
        "hostile.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["hostile"] = module  # dataclasses resolve their module by name
    spec.loader.exec_module(module)
    return module


hostile = _load_generator()
Snapshot = dict[bytes, tuple[int, int, int, int, str | None]]


def _snapshot(root: Path, big: list[Path]) -> Snapshot:
    """Mode, size, mtime, ctime and content digest of every entry (links not followed)."""
    stat_only = {os.fsencode(p) for p in big}
    out: Snapshot = {}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            st = os.lstat(path)
            digest = None
            if stat.S_ISREG(st.st_mode) and path not in stat_only:
                try:
                    with open(path, "rb") as fh:
                        digest = hashlib.sha256(fh.read()).hexdigest()
                except PermissionError:
                    digest = "unreadable"
            out[path] = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, digest)
    return out


def _unprivileged(cmd: list[str]) -> tuple[list[str], bool]:
    """As root, drop the DAC override capabilities so mode-000 files really are unreadable."""
    if os.geteuid() == 0:
        if shutil.which("setpriv") is None:
            return cmd, False
        return ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *cmd], True
    return cmd, True


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    base = tmp_path_factory.mktemp("hostile")
    corpus = hostile.build(base / "evidence", base / "hashsets")
    before = _snapshot(corpus.root, corpus.big_files)
    cmd, unprivileged = _unprivileged(
        [sys.executable, "-m", "cumberland", "triage", str(corpus.root), "--case", "hostile",
         "--workspace", str(base / "ws"), "--report-dir", str(base / "report"),
         "--workers", "2"])
    done, peak_kib = hostile.run_measured(cmd, base / "rss", timeout=480)
    ws = Workspace(base / "ws")
    with ws.engine.connect() as conn:
        items = conn.execute(select(Item.path, Item.status, Item.reason, Item.parent_id,
                                    Item.size, Item.media_sha256)).all()
    ws.close()
    yield {"corpus": corpus, "done": done, "peak_kib": peak_kib, "items": items,
           "before": before, "base": base, "unprivileged": unprivileged}
    for path in (*corpus.opaque_dirs, corpus.root / "locked" / "locked.jpg"):
        path.chmod(0o700)  # let the temp dir be cleaned up


@pytest.mark.slow
def test_triage_completes_with_bounded_memory(hostile_run: dict[str, Any]) -> None:
    done = hostile_run["done"]
    assert done.returncode == 0, done.stderr[-4000:]
    assert "Traceback" not in done.stderr
    assert 0 < hostile_run["peak_kib"] < RSS_LIMIT_KIB


def test_every_item_has_a_status_and_a_reason(hostile_run: dict[str, Any]) -> None:
    items = hostile_run["items"]
    assert items
    for item in items:
        assert item.status in STATUSES, item
        if item.status != "done":
            assert item.reason and "\n" not in item.reason, item


def test_counts_add_up(hostile_run: dict[str, Any]) -> None:
    corpus = hostile_run["corpus"]
    items = hostile_run["items"]
    on_disk = hostile.count_entries(corpus.root, corpus.opaque_dirs)
    assert sum(1 for i in items if i.parent_id is None) == on_disk
    report = json.loads((hostile_run["base"] / "report" / "report.json").read_text())
    assert report["files_seen"] == len(items) == sum(report["items"].values())


def _by_name(hostile_run: dict[str, Any]) -> dict[str, Any]:
    root = str(hostile_run["corpus"].root) + "/"
    return {i.path.removeprefix(root): i for i in hostile_run["items"] if i.parent_id is None}


def test_settled_inputs_have_their_status(hostile_run: dict[str, Any]) -> None:
    items = _by_name(hostile_run)
    assert items["bombs/huge-50000x50000.png"].status == "skipped"
    assert items["bombs/huge-50000x50000.png"].reason.startswith("limit:")
    for link in ("loop-a", "loop-b", "self", "parent", "outside"):
        assert items[f"links/{link}"].status == "skipped"
        assert items[f"links/{link}"].reason.startswith("symlink -> ")
    specials = ["fifo", "chardev-zero", "blockdev"] if hostile_run["corpus"].devices else ["fifo"]
    for node in specials:
        assert items[f"special/{node}"].status == "skipped"
        assert items[f"special/{node}"].reason.startswith("not a regular file")
    assert (items["sizes/zero-bytes.jpg"].status, items["sizes/zero-bytes.jpg"].reason) == (
        "skipped", "empty file")
    sparse = items["sizes/sparse-3g.img"]
    assert (sparse.status, sparse.size) == ("done", hostile.SPARSE_SIZE)
    for ext in ("jpg", "png", "gif", "webp"):
        assert items[f"images/good.{ext}"].status == "done"
        assert items[f"images/header-only.{ext}"].status == "error"
    for ext in ("jpg", "png", "webp"):  # a GIF cut in half still has its first frame
        assert items[f"images/truncated.{ext}"].status == "error"
    assert items["locked/readable.txt"].status == "done"
    if hostile_run["unprivileged"]:
        assert items["locked/closed-dir"].status == "error"
        assert items["locked/closed-dir"].reason.startswith("unreadable directory")
        assert (items["locked/locked.jpg"].status, items["locked/locked.jpg"].reason) == (
            "error", "Permission denied")
    odd = [name for name in items if name.startswith("names/")]
    assert len(odd) == 6 and all(items[name].status == "done" for name in odd)


def _everything(hostile_run: dict[str, Any]) -> dict[str, Any]:
    root = str(hostile_run["corpus"].root) + "/"
    return {i.path.removeprefix(root): i for i in hostile_run["items"]}


def test_issue_13_inputs_have_their_status(hostile_run: dict[str, Any]) -> None:
    """Round 2 of hostile input: each of these once crashed, hid material, cost the pixels
    or gave a nondeterministic or misleading reason."""
    items = _everything(hostile_run)
    exif = items["images/garbage-exif.jpg"]  # garbage EXIF: metadata lost, pixels matched
    assert exif.status == "done" and exif.reason.startswith("EXIF unreadable: ")
    huge = items["bombs/huge-13000x13000.png"]  # bounded decode, digests kept
    assert (huge.status, huge.reason) == ("skipped", "limit: 13000x13000 pixels > "
                                          "max_decode_pixels 50000000 (PNG decodes at full size)")
    assert huge.media_sha256 is not None
    bomb = items["bombs/bomb-first.tar.xz"]  # the bomb member stops only itself
    assert (bomb.status, bomb.reason) == (
        "done", "1 member skipped at a limit (expansion ratio > 1000)")
    assert items["bombs/bomb-first.tar.xz › zeros.bin"].status == "skipped"
    for k in range(3):
        assert items[f"bombs/bomb-first.tar.xz › photo{k}.jpg"].status == "done"
    cut = items["bombs/cut.tar.gz › photo1.jpg"]
    assert (cut.status, cut.reason) == ("error", "read failed: truncated gzip input")
    hidden = items["images/photo-with-zip.jpg"]  # data after the image's end: flagged, opened
    assert hidden.status == "done" and "bytes after the image's end" in hidden.reason
    inner = [path for path in items if path.startswith("images/photo-with-zip.jpg › (appended")
             and path.endswith("hidden/inner.jpg")]
    assert len(inner) == 1 and items[inner[0]].status == "done"
    if hostile_run["corpus"].disks:
        scanned = "disks/random-table.dd › offset 1048576 (ext4) › /pics/photo1.jpg"
        assert items[scanned].status == "done"
        assert "found by scanning" in items["disks/random-table.dd"].reason
        damaged = items["disks/damaged-inode.img › fs (ext4) › /pics/photo0.jpg"]
        assert damaged.status == "error" and damaged.reason.startswith("unreadable inode ")


def test_reasons_are_deterministic(hostile_run: dict[str, Any]) -> None:
    """No reason carries a memory address (a HEIC's BytesIO repr, libarchive's pointer)."""
    reasons = [i.reason for i in hostile_run["items"] if i.reason]
    assert reasons
    for reason in reasons:
        assert not re.search(r"0x[0-9a-f]{6,}|archive_p=", reason), reason
    cut = _everything(hostile_run)["images/cut.heic"]
    assert cut.status == "error" and cut.reason.startswith("corrupt image: ")


def test_nothing_written_into_the_source(hostile_run: dict[str, Any]) -> None:
    corpus = hostile_run["corpus"]
    assert _snapshot(corpus.root, corpus.big_files) == hostile_run["before"]
    for path in corpus.escape_paths:
        assert not path.exists(), path


@pytest.mark.parametrize("kind", ["vics", "nsrl", "hashdeep", "vics-value-object",
                                  "vics-media-object"])
def test_malformed_hashset_is_one_line_exit_2_nothing_imported(
    hostile_run: dict[str, Any], kind: str, tmp_path: Path
) -> None:
    corpus = hostile_run["corpus"]
    bad = corpus.hashsets[kind]
    ws = tmp_path / "ws"
    result = runner.invoke(app, ["triage", str(corpus.root / "images"), "--hashset", str(bad),
                                 "--workspace", str(ws), "--case", "bad-set"])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and bad.name in message
    workspace = Workspace(ws)
    with workspace.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(HashSet)) == 0
        assert conn.scalar(select(func.count()).select_from(Item)) == 0
        assert conn.scalar(select(func.count()).select_from(Case)) == 0
    workspace.close()
