"""Stopping a run from outside: SIGTERM stops it as cleanly as SIGINT (recorded as
``interrupted``, workers ended), SIGKILL of the writer takes its workers, fork server and
resource tracker with it, and a run killed that way is marked ``interrupted`` by the next."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

GUARD_S = 120  # a safety net for a broken build: nothing below waits on time to pass


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    root.mkdir()
    for i in range(4):
        (root / f"note{i}.txt").write_text(f"benign stand-in text {i}\n")
    return root


def _start(evidence: Path, ws: Path, fifo: Path) -> tuple[subprocess.Popen[bytes], int]:
    """A triage whose worker is stuck; returns it and the stuck worker's pid."""
    os.mkfifo(fifo)
    tests = Path(__file__).resolve().parents[1]
    env = {**os.environ, "STUCK_FIFO": str(fifo),
           "PYTHONPATH": os.pathsep.join([str(tests), *sys.path])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "e2e.stuck_worker", "triage", str(evidence), "--case", "c",
         "--workspace", str(ws), "--workers", "1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(fifo) as reader:  # blocks until the worker has started its chunk
        worker = int(reader.readline())
    return proc, worker


def _runs(ws: Path) -> list[str]:
    with sqlite3.connect(ws / "cumberland.db") as db:
        return [row[0] for row in db.execute("SELECT status FROM runs ORDER BY id")]


def _gone(procs: list[psutil.Process]) -> list[psutil.Process]:
    """The processes still alive once every one has ended or the guard ran out."""
    _, alive = psutil.wait_procs(procs, timeout=GUARD_S)
    for proc in alive:
        proc.kill()
    return alive


def test_sigkill_of_the_writer_takes_its_helpers_and_the_next_run_marks_it(
        evidence: Path, tmp_path: Path) -> None:
    proc, worker = _start(evidence, tmp_path / "ws", tmp_path / "fifo")
    helpers = psutil.Process(proc.pid).children(recursive=True)
    assert worker in {p.pid for p in helpers}
    assert len(helpers) >= 3  # fork server, resource tracker, the worker
    proc.kill()
    proc.wait(GUARD_S)
    assert _gone(helpers) == []
    assert _runs(tmp_path / "ws") == ["running"]

    from cumberland.pipeline.triage import TriageRequest, triage
    from cumberland.settings import Settings
    from cumberland.store.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[evidence], case="c", settings=Settings(workers=1)))
    ws.close()
    assert _runs(tmp_path / "ws") == ["interrupted", "done"]


def test_sigterm_stops_the_run_cleanly(evidence: Path, tmp_path: Path) -> None:
    proc, _ = _start(evidence, tmp_path / "ws", tmp_path / "fifo")
    helpers = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(GUARD_S) == 128 + signal.SIGTERM
    message = proc.stderr.read().decode() if proc.stderr else ""
    assert "Traceback" not in message
    assert "interrupted" in message and "again" in message
    assert _runs(tmp_path / "ws") == ["interrupted"]
    assert _gone(helpers) == []
