"""Bad device evidence: a truncated E01, a file system with a damaged inode table, members
whose locator no longer resolves (the evidence moved after enumeration). Every one is a
recorded status with a one-line reason, never a crash, never a lost item, and the rest of
the image is still processed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from cumberland.pipeline import ingest
from cumberland.pipeline.executors import LocalExecutor
from cumberland.pipeline.progress import Silent
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store import writer
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace
from sources.evidence_kit import e01, ext4_image, jpeg, mbr_disk

FILES = {f"DCIM/{i:03d}.jpg": jpeg(i) for i in range(12)}


def _items(ws: Workspace) -> dict[str, tuple[str, str | None]]:
    with ws.engine.connect() as conn:
        return {r.path: (r.status, r.reason) for r in conn.execute(
            select(Item.path, Item.status, Item.reason))}


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("raw")
    return mbr_disk(work / "disk.dd", ext4_image(work / "fs.img", FILES, work, size_mb=6))


def test_truncated_e01_is_an_error_item_and_nothing_is_lost(raw: Path, tmp_path: Path) -> None:
    image = e01(raw, tmp_path / "full")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    data = image.read_bytes()
    (evidence / "cut.E01").write_bytes(data[: len(data) * 2 // 3])
    (evidence / "ok.jpg").write_bytes(jpeg(99))
    ws = Workspace(tmp_path / "ws")
    outcome = triage(ws, TriageRequest(sources=[evidence], case="bad"))
    items = _items(ws)
    ws.close()
    cut = next(v for k, v in items.items() if k.endswith("cut.E01"))
    assert cut[0] == "error" and cut[1] and "\n" not in cut[1]
    assert next(v for k, v in items.items() if k.endswith("ok.jpg"))[0] == "done"
    assert all(status != "pending" for status, _ in items.values())
    assert outcome.summary["files_seen"] == sum(outcome.summary["items"].values())


def test_damaged_inode_table_keeps_the_rest_of_the_image(raw: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.dd"
    shutil.copyfile(raw, damaged)
    fs = tmp_path / "fs.img"
    with raw.open("rb") as fh:  # the volume starts at sector 2048 (evidence_kit.mbr_disk)
        fh.seek(2048 * 512)
        fs.write_bytes(fh.read(6 * 1024 * 1024))
    out = run_out("debugfs", "-R", "stat /DCIM/005.jpg", fs)
    inode = int(out.split("Inode:")[1].split()[0])
    block = int(run_out("debugfs", "-R", f"imap <{inode}>", fs).split("located at block ")[1]
                .split(",")[0])
    with damaged.open("r+b") as fh:  # overwrite the inode-table block holding that inode
        fh.seek(2048 * 512 + block * 1024)
        fh.write(b"\xff" * 1024)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    shutil.move(str(damaged), evidence / "laptop.dd")
    ws = Workspace(tmp_path / "ws")
    outcome = triage(ws, TriageRequest(sources=[evidence], case="bad"))
    items = _items(ws)
    ws.close()
    inside = {k.rsplit(" › ", 1)[-1]: v for k, v in items.items() if "p1 (ext4)" in k}
    done = [k for k, (status, _) in inside.items() if status == "done"]
    assert done and len(done) < len(FILES)  # the inodes in the damaged block are gone
    assert all(status != "pending" and (status == "done" or reason)
               for status, reason in items.values())
    assert outcome.summary["files_seen"] == sum(outcome.summary["items"].values())


def run_out(*args: str | Path) -> str:
    import subprocess

    return subprocess.run([str(a) for a in args], check=True, capture_output=True,
                          text=True, timeout=60).stdout


def test_members_whose_evidence_moved_are_errors_saying_so(raw: Path, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    image = evidence / "laptop.dd"
    shutil.copyfile(raw, image)
    ws = Workspace(tmp_path / "ws")
    settings = Settings(workers=1)
    case = writer.case_id(ws, "moved")
    ingest.add_source(ws, case, evidence)
    executor = LocalExecutor(settings, 1)
    try:
        # The first pass fingerprints the image, which lists its members as pending.
        assert ingest._fingerprint_pass(ws, case, settings, executor, Silent()) == len(FILES)
        os.rename(image, tmp_path / "elsewhere.dd")  # the evidence moved
        ingest.fingerprint_pending(ws, case, settings, executor, Silent())
    finally:
        executor.close()
    items = _items(ws)
    ws.close()
    members = [v for k, v in items.items() if "p1 (ext4)" in k]
    assert len(members) == len(FILES)
    for status, reason in members:
        assert status == "error"
        assert reason and reason.startswith("cannot reopen: ") and "not found" in reason
