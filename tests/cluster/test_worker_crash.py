"""A worker dying on one item (a native library crashing on hostile input): the chunk is
redone one item at a time and only that item is marked, on the process pool and on Dask."""

from __future__ import annotations

import os
from pathlib import Path

import dask
import distributed  # noqa: F401  (its config must load before dask.config.set)
import pytest
from sqlalchemy import select

from cumberland.pipeline import executors
from cumberland.pipeline.fingerprint import fingerprint_chunk
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Result, Task
from cumberland.settings import Settings
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace

CULPRIT = "crash-me.bin"


def crashing_chunk(tasks: list[Task], settings: Settings) -> list[Result]:
    """Runs in the worker: dies the way a segfault would when the chunk holds the culprit."""
    if any(task.display.endswith(CULPRIT) for task in tasks):
        os._exit(3)
    return fingerprint_chunk(tasks, settings)


@pytest.mark.slow
@pytest.mark.parametrize("cluster", [None, "local:2"])
def test_only_the_culprit_is_marked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    cluster: str | None) -> None:
    monkeypatch.setattr(executors, "fingerprint_chunk", crashing_chunk)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    names = [f"note{i}.txt" for i in range(7)] + [CULPRIT]
    for i, name in enumerate(names):
        (evidence / name).write_text(f"benign stand-in text {i}\n")
    ws = Workspace(tmp_path / "ws")
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        triage(ws, TriageRequest(sources=[evidence], case="c", cluster=cluster,
                                 settings=Settings(workers=2, chunk_size=4)))
    with ws.engine.connect() as conn:
        found = {Path(r.path).name: (r.status, r.reason) for r in conn.execute(
            select(Item.path, Item.status, Item.reason))}
    ws.close()
    expected = executors.CRASH_REASON if cluster is None else executors.DIED_REASON
    assert found.pop(CULPRIT) == ("error", expected)
    assert found == {name: ("done", None) for name in names if name != CULPRIT}
