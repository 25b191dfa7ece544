"""Evidence that changes between enumeration and reading (a live or network file system): a
file replaced by a directory or a FIFO becomes an ``error`` item and the run goes on."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from cumberland.pipeline.executors import LocalExecutor
from cumberland.pipeline.ingest import add_source, fingerprint_pending
from cumberland.pipeline.progress import Silent
from cumberland.settings import Settings
from cumberland.store import writer
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace


def _statuses(ws: Workspace) -> dict[str, tuple[str, str | None]]:
    with ws.engine.connect() as conn:
        return {Path(r.path).name: (r.status, r.reason)
                for r in conn.execute(select(Item.path, Item.status, Item.reason))}


def test_file_replaced_by_a_directory_after_enumeration(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for i in range(5):
        (evidence / f"note{i}.txt").write_text(f"benign text {i}\n")
    ws = Workspace(tmp_path / "ws")
    case = writer.case_id(ws, "c")
    add_source(ws, case, evidence)
    (evidence / "note2.txt").unlink()
    (evidence / "note2.txt").mkdir()
    settings = Settings(workers=1, chunk_size=2)
    executor = LocalExecutor(settings)
    try:
        fingerprint_pending(ws, case, settings, executor, Silent())
        assert writer.count_pending(ws, case) == 0
    finally:
        executor.close()
    found = _statuses(ws)
    ws.close()
    assert found.pop("note2.txt") == (
        "error", "not a regular file: directory (changed since it was listed)")
    assert found == {f"note{i}.txt": ("done", None) for i in (0, 1, 3, 4)}


FIFO_PROBE = """
import os, sys
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.records import Task
from cumberland.settings import Settings
path = os.fsencode(sys.argv[1])
result = fingerprint(Task(1, path, sys.argv[1], None), Settings())
print(result.status, result.reason, sep="|")
"""


def test_file_replaced_by_a_fifo_is_not_waited_on(tmp_path: Path) -> None:
    """Opening a FIFO without a writer blocks for ever unless opened non-blocking; the probe
    runs in a child process so the test fails (at the guard's timeout) rather than hangs."""
    fifo = tmp_path / "was-a-photo.jpg"
    os.mkfifo(fifo)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", FIFO_PROBE, str(fifo)], capture_output=True,
                          text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "error|not a regular file: fifo (changed since it was listed)"
    shutil.rmtree(tmp_path, ignore_errors=True)
