"""An item that never finishes (a native library stuck on hostile input): past its time
budget its worker is killed and replaced, the item is recorded and every other item is done,
on the process pool and on Dask. The stuck item blocks on an event nobody sets, and the
budget is a setting, so nothing here waits on a clock of its own."""

from __future__ import annotations

import threading
from pathlib import Path

import dask
import distributed  # noqa: F401  (its config must load before dask.config.set)
import pytest
from sqlalchemy import select

from cumberland.pipeline import executors, fingerprint
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Result, Task
from cumberland.settings import Settings
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace
from sources.evidence_kit import jpeg

CULPRIT = "stuck.jpg"


def _stuck(subject: fingerprint.Subject) -> None:
    threading.Event().wait()  # never set: as stuck as a decoder looping in C


def stuck_chunk(tasks: list[Task], settings: Settings) -> list[Result]:
    """Runs in the worker: images get a handler that never returns (only the culprit is one)."""
    fingerprint.HANDLERS["image"] = _stuck
    return fingerprint.fingerprint_chunk(tasks, settings)


@pytest.mark.slow
@pytest.mark.parametrize("cluster", [None, "local:2"])
def test_a_stuck_item_is_recorded_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cluster: str | None) -> None:
    monkeypatch.setattr(executors, "fingerprint_chunk", stuck_chunk)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    names = [f"note{i}.txt" for i in range(7)]
    for i, name in enumerate(names):
        (evidence / name).write_text(f"benign stand-in text {i}\n")
    (evidence / CULPRIT).write_bytes(jpeg(1))
    ws = Workspace(tmp_path / "ws")
    settings = Settings(workers=2, chunk_size=4, item_time_limit=2, item_time_per_gib=0)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        triage(ws, TriageRequest(sources=[evidence], case="c", cluster=cluster,
                                 settings=settings))
    with ws.engine.connect() as conn:
        found = {Path(r.path).name: (r.status, r.reason) for r in conn.execute(
            select(Item.path, Item.status, Item.reason))}
    ws.close()
    expected = executors.time_reason(settings) if cluster is None else executors.DIED_REASON
    assert found.pop(CULPRIT) == ("error", expected)
    assert found == {name: ("done", None) for name in names}
