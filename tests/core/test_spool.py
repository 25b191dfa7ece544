"""Spooling: decompressed evidence too large for memory goes only into the run's own folder
(inside the workspace unless the examiner names one), is bounded, is removed on every exit
path, and what a killed run left is swept by the next."""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import pytest

from cumberland.pipeline.content import absorb
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.pipeline.progress import Silent
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Task
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace
from sources.evidence_kit import jpeg, zip_bytes

BIG = jpeg(30, (1200, 900))


def _blocks(data: bytes, size: int = 16 * 1024) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _system_spools() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("cumberland-spool-*"))


def test_spool_is_written_in_the_spool_folder_only(tmp_path: Path) -> None:
    before = _system_spools()
    settings = Settings(in_memory_limit=64 * 1024, spool_dir=str(tmp_path))
    absorbed = absorb(_blocks(BIG), settings)
    assert absorbed.content.spool is not None
    assert Path(absorbed.content.spool).parent == tmp_path
    with absorbed.content.open() as fh:
        assert fh.read() == BIG
    absorbed.content.close()
    assert list(tmp_path.iterdir()) == []
    assert _system_spools() == before


def test_without_a_spool_folder_nothing_is_written_and_the_reason_says_so() -> None:
    before = _system_spools()
    absorbed = absorb(_blocks(BIG), Settings(in_memory_limit=64 * 1024))
    assert absorbed.content.spool is None and absorbed.content.data is None
    assert absorbed.content.dropped == "no spool folder for a member over in_memory_limit"
    assert absorbed.digests.size == len(BIG)
    assert _system_spools() == before


def test_spool_is_bounded(tmp_path: Path) -> None:
    settings = Settings(in_memory_limit=64 * 1024, spool_dir=str(tmp_path),
                        spool_max_bytes=128 * 1024)
    absorbed = absorb(_blocks(BIG), settings)
    assert absorbed.content.spool is None
    assert absorbed.content.dropped == "spool_max_bytes 131072 bytes"
    assert list(tmp_path.iterdir()) == []


def _archive(tmp_path: Path) -> Path:
    path = tmp_path / "big.zip"
    path.write_bytes(zip_bytes({"big.jpg": BIG, "small.txt": b"hello\n"}, zipfile.ZIP_STORED))
    return path


def test_member_over_the_spool_bound_keeps_its_digests(tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    spool.mkdir()
    settings = Settings(in_memory_limit=64 * 1024, spool_dir=str(spool),
                        spool_max_bytes=128 * 1024)
    path = _archive(tmp_path)
    result = fingerprint(Task(1, os.fsencode(path), str(path), None), settings)
    found = {c.chain[-1]: c.result for c in result.children}
    big = found["big.jpg"]
    assert (big.status, big.reason) == ("skipped", "limit: spool_max_bytes 131072 bytes")
    assert big.media is not None and big.media.size == len(BIG)
    assert found["small.txt"].status == "done"
    assert list(spool.iterdir()) == []


class _StopWhileMatching(Silent):
    def phase(self, name: str, total: int | None) -> None:
        if name == "matching":
            raise KeyboardInterrupt


def _leftovers(ws: Path) -> list[Path]:
    return sorted(p for folder in ("spool", "runs") if (ws / folder).is_dir()
                  for p in (ws / folder).iterdir())


def test_runs_leave_no_spool_behind_on_any_exit_path(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    _archive(evidence)
    settings = Settings(workers=1, in_memory_limit=64 * 1024)
    ws = Workspace(tmp_path / "ws")
    before = _system_spools()
    triage(ws, TriageRequest(sources=[evidence], case="c", settings=settings))
    assert _leftovers(tmp_path / "ws") == []
    with pytest.raises(KeyboardInterrupt):
        triage(ws, TriageRequest(sources=[evidence], case="d", settings=settings),
               _StopWhileMatching())
    assert _leftovers(tmp_path / "ws") == []
    assert _system_spools() == before
    ws.close()


def test_what_a_killed_run_spooled_is_swept_at_the_next_start(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    dead = tmp_path / "ws" / "spool" / "cumberland-spool-0123456789abcdef"
    dead.mkdir(parents=True)
    (dead / "member").write_bytes(b"decompressed evidence")
    runs = tmp_path / "ws" / "runs"
    runs.mkdir()
    (runs / "0123456789abcdef.lock").write_text(json.dumps({"spool": str(dead)}))
    named = tmp_path / "examiner-spool"
    orphan = named / "cumberland-spool-fedcba9876543210"
    orphan.mkdir(parents=True)
    (orphan / "member").write_bytes(b"decompressed evidence")
    unrelated = named / "keep-me"
    unrelated.mkdir()
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.txt").write_text("benign\n")
    triage(ws, TriageRequest(sources=[evidence], case="c", spool_root=named,
                             settings=Settings(workers=1)))
    ws.close()
    assert not dead.exists() and not orphan.exists()
    assert unrelated.is_dir()
    assert _leftovers(tmp_path / "ws") == []


def test_inspect_spools_into_a_private_folder_in_the_named_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``inspect`` has no workspace: with --spool-dir it describes the file with a private
    folder there as its spool (so large members are decoded), removed afterwards."""
    from typer.testing import CliRunner

    import cumberland.pipeline.fingerprint as fingerprinting
    from cumberland.cli import app

    seen: list[tuple[str | None, bool, int]] = []

    def spy(task: Task, settings: Settings) -> object:
        folder = settings.spool_dir
        mode = os.stat(folder).st_mode & 0o777 if folder else 0
        seen.append((folder, bool(folder) and Path(folder).is_dir(), mode))
        return real(task, settings)

    real = fingerprinting.fingerprint
    monkeypatch.setattr(fingerprinting, "fingerprint", spy)
    spool = tmp_path / "spool"
    spool.mkdir()
    path = _archive(tmp_path)
    done = CliRunner().invoke(app, ["inspect", str(path), "--json", "--spool-dir", str(spool)])
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["contents"] == 2
    [(folder, existed, mode)] = seen
    assert folder is not None and Path(folder).parent == spool and existed and mode == 0o700
    assert list(spool.iterdir()) == []
