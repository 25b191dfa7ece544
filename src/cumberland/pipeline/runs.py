"""A triage run's life in the workspace: its ``runs`` row, a lock held for as long as its
process lives, and its spool folder.

A run killed with SIGKILL (or by a power cut) cannot record its own end. Its lock file stays
behind, but the kernel released the lock with the process: the next run to start finds such
locks free, marks their runs ``interrupted`` and removes their spool folders (which may hold
decompressed evidence). A lock file is only ever seen locked by a live run: it is locked under
a temporary name and then renamed into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

from sqlalchemy import insert, select, update

from cumberland.pipeline.executors import Executor, make_executor
from cumberland.settings import Settings
from cumberland.store.models import Run
from cumberland.store.workspace import Workspace

LOCK_SUFFIX = ".lock"
SPOOL_PREFIX = "cumberland-spool-"


def _locks(ws: Workspace) -> Path:
    return ws.root / "runs"


def default_spool_root(ws: Workspace) -> Path:
    return ws.root / "spool"


@dataclass(slots=True)
class RunLease:
    """A live run: its row, its lock (held open) and its private spool folder."""

    id: int
    token: str
    lock: IO[str]
    spool: Path


def _take_lock(ws: Workspace, token: str, spool: Path) -> IO[str]:
    folder = _locks(ws)
    folder.mkdir(mode=0o700, exist_ok=True)
    pending = folder / f".{token}.new"
    lock = pending.open("w")
    fcntl.flock(lock, fcntl.LOCK_EX)
    lock.write(json.dumps({"spool": str(spool), "pid": os.getpid()}))
    lock.flush()
    os.replace(pending, folder / f"{token}{LOCK_SUFFIX}")
    return lock


def _stale(path: Path) -> dict[str, Any] | None:
    """What a lock file says, if no live process holds it (the lock stays taken by us until
    the caller removes the file)."""
    try:
        handle = path.open("r")
    except FileNotFoundError:
        return None
    with handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return None
        try:
            facts: dict[str, Any] = json.loads(handle.read() or "{}")
        except ValueError:
            facts = {}
        _remove_spool(facts.get("spool"))
        path.unlink(missing_ok=True)
        return facts


def _remove_spool(spool: str | None) -> None:
    if spool:
        shutil.rmtree(spool, ignore_errors=True)


def sweep_stale_runs(ws: Workspace, spool_root: Path) -> list[int]:
    """Mark the runs whose process is gone ``interrupted`` and remove what they left (lock,
    spool folder, spool folders no live run owns). Returns the runs marked."""
    folder = _locks(ws)
    stale: set[str] = set()
    if folder.is_dir():
        for path in sorted(folder.glob(f"*{LOCK_SUFFIX}")):
            if _stale(path) is not None:
                stale.add(path.name.removesuffix(LOCK_SUFFIX))
        for debris in folder.glob(".*.new"):  # killed before its lock was in place
            with contextlib.suppress(BlockingIOError, FileNotFoundError), debris.open() as h:
                fcntl.flock(h, fcntl.LOCK_EX | fcntl.LOCK_NB)
                debris.unlink()
    live = {p.name.removesuffix(LOCK_SUFFIX) for p in folder.glob(f"*{LOCK_SUFFIX}")} \
        if folder.is_dir() else set()
    for root in {spool_root, default_spool_root(ws)}:
        if root.is_dir():
            for spool in root.glob(f"{SPOOL_PREFIX}*"):
                if spool.name.removeprefix(SPOOL_PREFIX) not in live:
                    shutil.rmtree(spool, ignore_errors=True)
    marked = []
    with ws.engine.begin() as conn:
        for run_id, arguments in conn.execute(
                select(Run.id, Run.arguments).where(Run.status == "running")):
            token = (arguments or {}).get("lock")
            if token is None or token in stale:  # None: a run from before run locks
                marked.append(int(run_id))
        if marked:
            conn.execute(update(Run).where(Run.id.in_(marked), Run.status == "running").values(
                status="interrupted", finished_at=time.time()))
    return marked


def start_run(ws: Workspace, case: int, settings: Settings, arguments: dict[str, Any],
              spool_root: Path | None = None) -> tuple[RunLease, Settings]:
    """Sweep what dead runs left, then record this one as ``running`` under its lock; the
    settings returned name its spool folder (created, private to its owner)."""
    root = spool_root or default_spool_root(ws)
    sweep_stale_runs(ws, root)
    token = secrets.token_hex(8)
    spool = root / f"{SPOOL_PREFIX}{token}"
    lock = _take_lock(ws, token, spool)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    spool.mkdir(mode=0o700)
    with ws.engine.begin() as conn:
        run_id = int(conn.execute(insert(Run).values(
            case_id=case, started_at=time.time(), status="running",
            settings=settings.to_dict(), arguments={**arguments, "lock": token},
        ).returning(Run.id)).scalar_one())
    # The spool folder is this run's alone: the workers are told, the report is not.
    return RunLease(run_id, token, lock, spool), replace(settings, spool_dir=str(spool))


def finish_run(ws: Workspace, lease: RunLease, status: str) -> None:
    """Record how the run ended, then remove its spool folder and its lock. If the row
    cannot be written (a full disk), the lock file stays, released, for the next run to
    find and mark."""
    try:
        with ws.engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == lease.id).values(
                status=status, finished_at=time.time()))
    except BaseException:
        _remove_spool(str(lease.spool))
        lease.lock.close()
        raise
    _remove_spool(str(lease.spool))
    (_locks(ws) / f"{lease.token}{LOCK_SUFFIX}").unlink(missing_ok=True)
    lease.lock.close()


@contextlib.contextmanager
def running(ws: Workspace, lease: RunLease, settings: Settings, workers: int | None,
            cluster: str | None, executor: Executor | None = None) -> Iterator[Executor]:
    """The run's workers for the ``with`` body; the run is recorded ``done`` when the body
    ends, else ``interrupted`` (a stop, a crash) with its workers ended at once rather than
    after their chunks."""
    try:
        executor = executor or make_executor(settings, workers, cluster)
    except BaseException:
        finish_run(ws, lease, "interrupted")
        raise
    try:
        yield executor
    except BaseException:
        executor.close(abort=True)
        finish_run(ws, lease, "interrupted")
        raise
    executor.close()
    finish_run(ws, lease, "done")
