"""Two guards in every worker process: it dies with its writer, and an item that runs past
its time budget dies with it.

*Lifeline.* The writer keeps the write end of a pipe no worker holds; each worker reads the
other end on a thread, which sees end-of-file the moment the writer is gone (exit, SIGTERM,
SIGKILL) or gives up on the workers, and kills its own process. Left alone, a pool worker
outlives a killed writer for as long as its chunk takes (and then waits for work for ever),
keeping the fork server and the resource tracker alive too.

*Item budget.* Before each item (a file, an archive member, a file in a disk image) the
worker arms a kernel interval timer (``setitimer``) whose SIGALRM keeps its default action:
the process is terminated even when a native library holds the interpreter, which no
Python-level timeout could interrupt. The writer sees the worker die with SIGALRM and records
the item as ``error (time limit: ...)``; see ``executors``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import TypeVar

from cumberland.settings import Settings

GIB = 1024**3
T = TypeVar("T")
R = TypeVar("R")

_budget: Settings | None = None  # set while a chunk runs under run_timed


def _await_writer(lifeline: Connection) -> None:
    with contextlib.suppress(EOFError, OSError):
        lifeline.recv_bytes()
    os.kill(os.getpid(), signal.SIGKILL)


def hold_lifeline(lifeline: Connection | None) -> None:
    """In a new worker: die as soon as the writer holding the pipe's other end is gone."""
    if lifeline is not None:
        threading.Thread(target=_await_writer, args=(lifeline,), daemon=True,
                         name="cumberland-lifeline").start()


def item_seconds(settings: Settings, size: int | None) -> float:
    """The time one item may take: the base budget plus a share per GiB of it."""
    return settings.item_time_limit + (size or 0) / GIB * settings.item_time_per_gib


def item_started(size: int | None) -> None:
    """(Re)arm the budget for the item about to be read; a no-op outside run_timed."""
    if _budget is not None and _budget.item_time_limit > 0:
        signal.setitimer(signal.ITIMER_REAL, item_seconds(_budget, size))


def run_timed(work: Callable[[list[T], Settings], R], tasks: list[T], settings: Settings) -> R:
    """Run a chunk in a worker with every item under its time budget (``item_started``)."""
    global _budget
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGALRM, signal.SIG_DFL)  # terminate, whatever the process runs
    _budget = settings
    try:
        return work(tasks, settings)
    finally:
        _budget = None
        signal.setitimer(signal.ITIMER_REAL, 0)
