"""Stream-only archives (tar.gz, tar.xz, tar.bz2, a solid 7z) fan out like a zip: their
members are listed as pending items and fingerprinted in chunks, each worker reading the
stream forward through its Opener's cursor. Every chunk's transaction is a checkpoint, the
first pending member the resume position: a run interrupted after member k is committed,
started again, fingerprints only the members after it and ends like an uninterrupted run.
(No rar fixture: nothing on Debian writes rar; libarchive reads it through the same path.)
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Result, Task
from cumberland.settings import Settings
from cumberland.sources.listing import read_listing
from cumberland.sources.locator import from_json
from cumberland.store import writer
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace
from sources.evidence_kit import fingerprint_tree, jpeg, seven_zip, zip_bytes

MEMBERS = {
    **{f"DCIM/100/IMG_{i:03d}.jpg": jpeg(i, (96, 72)) for i in range(56)},
    **{f"notes/{i}.txt": f"note {i}\n".encode() for i in range(6)},
    "DCIM/album.zip": zip_bytes({"inner.jpg": jpeg(99, (96, 72))}),
}
SETTINGS = Settings(fanout_members=16, chunk_size=8, write_batch=8)
KILL_AFTER = 20  # members committed before the simulated kill


def _tar(out: Path, mode: str) -> Path:
    with tarfile.open(out, mode) as tar:
        for name, data in MEMBERS.items():
            info = tarfile.TarInfo(name)
            info.size, info.mtime = len(data), 1_600_000_000
            tar.addfile(info, io.BytesIO(data))
    return out


def _archive(kind: str, where: Path) -> Path:
    where.mkdir()
    if kind == "7z":  # 7z's default is one solid block: every member behind the ones before
        return seven_zip(where / "phone.7z", MEMBERS, where.parent)
    return _tar(where / f"phone.tar.{kind}", f"w:{kind}")


@pytest.mark.parametrize("kind", ["gz", "xz", "bz2", "7z"])
def test_stream_archive_lists_its_members_without_reading_them(kind: str,
                                                               tmp_path: Path) -> None:
    archive = _archive(kind, tmp_path / "evidence")
    total = sum(len(v) for v in MEMBERS.values())
    # Listing walks past every member's data: counted once (the declared size), not twice
    # (2x would be over: tar headers count too; 7z's reader counts its compressed bytes).
    settings = Settings(fanout_members=16, archive_max_bytes=total * 2)
    tree = fingerprint_tree(archive, settings)
    assert tree.status == "done", tree.reason
    assert tree.listed == len(MEMBERS)
    listed = list(read_listing(tree.listing or b""))
    assert sorted(m.chain[0] for m in listed) == sorted(MEMBERS)
    indexes = [from_json(m.locator)[-1].index for m in listed]  # type: ignore[union-attr]
    assert indexes == sorted(indexes)  # archive order: a worker's chunk is read forward
    found = {tuple(c.chain): c.result for c in tree.children}
    assert all(found[(name,)].status == "done" for name in MEMBERS)
    assert found[("DCIM/album.zip", "inner.jpg")].status == "done"  # nested, read in place


def _rows(ws: Workspace) -> list[tuple[Any, ...]]:
    with ws.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(
            select(Item.path, Item.status, Item.reason, Item.mime, Item.media_sha256,
                   Item.size, Item.locator).order_by(Item.path))]


def _triage(ws: Workspace, evidence: Path) -> None:
    triage(ws, TriageRequest(sources=[evidence], case="seized", settings=SETTINGS, workers=2))


def _members(ws: Workspace) -> tuple[int, int]:
    """(the archive's members listed, those no longer pending)."""
    with ws.engine.connect() as conn:
        top = select(Item.id).where(Item.parent_id.is_(None)).scalar_subquery()
        rows = conn.execute(select(Item.status).where(Item.parent_id == top)).all()
    return len(rows), sum(status != "pending" for (status,) in rows)


class _Killed(Exception):
    """Stands for the SIGKILL: nothing after the checkpoint that raised it is written."""


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["gz", "7z"])
def test_interrupted_stream_archive_resumes_with_only_the_rest(
        kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evidence = _archive(kind, tmp_path / "evidence")
    clean = Workspace(tmp_path / "clean")
    resumed = Workspace(tmp_path / "resumed")
    try:
        _triage(clean, evidence)
        apply = writer.apply_results

        def dying(ws: Workspace, results: list[Result]) -> None:
            apply(ws, results)
            if _members(ws)[1] >= KILL_AFTER:
                raise _Killed

        monkeypatch.setattr(writer, "apply_results", dying)
        with pytest.raises(_Killed):
            _triage(resumed, evidence)
        listed, finished = _members(resumed)
        assert listed == len(MEMBERS)
        assert KILL_AFTER <= finished < listed

        monkeypatch.setattr(writer, "apply_results", apply)
        redone: list[int] = []
        pending_tasks = writer.pending_tasks

        def counted(*args: Any, **kwargs: Any) -> Iterator[list[Task]]:
            for chunk in pending_tasks(*args, **kwargs):
                redone.extend(t.item_id for t in chunk)
                yield chunk

        monkeypatch.setattr(writer, "pending_tasks", counted)
        _triage(resumed, evidence)
        assert len(redone) == len(set(redone)) == listed - finished  # nothing committed
        assert _rows(resumed) == _rows(clean)
    finally:
        clean.close()
        resumed.close()
