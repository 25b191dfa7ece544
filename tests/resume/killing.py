"""Kill a real `cumberland` process with SIGKILL at a chosen moment of its work, seen through
its SQLite database (read through the WAL, like any other reader)."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

DEADLINE_S = 240.0
POLL_S = 0.005

T = TypeVar("T")


def counts(db: Path, sql: str, width: int) -> tuple[int, ...]:
    """The one row of ``width`` integers ``sql`` gives; zeros while the schema does not exist
    yet."""
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            row = conn.execute(sql).fetchone()
    except sqlite3.Error:
        return (0,) * width
    return tuple(int(v) for v in row)


def sigkill_when(command: Sequence[str], ready: Callable[[], T | None],
                 deadline_s: float = DEADLINE_S) -> T:
    """Run ``command`` in a process group of its own and SIGKILL the whole group as soon as
    ``ready()`` gives something (returned). The loop waits on that condition, polling; it
    fails when the command ends, or the deadline passes, before the condition ever held."""
    proc = subprocess.Popen(list(command), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + deadline_s
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            seen = ready()
            if seen is not None:
                os.killpg(proc.pid, signal.SIGKILL)
                return seen
            time.sleep(POLL_S)  # poll interval only: the loop waits on the DB condition
        raise AssertionError(f"the moment to kill never came (exit {proc.poll()})")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
