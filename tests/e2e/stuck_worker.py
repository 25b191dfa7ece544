"""Runs ``cumberland triage`` (argv) with a chunk function whose worker tells the test its pid
through the FIFO named by $STUCK_FIFO and then blocks for ever, so a test can stop the writer
while a worker is certainly busy, without waiting on a clock."""

from __future__ import annotations

import os
import sys
import threading

from cumberland.pipeline import executors
from cumberland.records import Result, Task
from cumberland.settings import Settings


def stuck_chunk(tasks: list[Task], settings: Settings) -> list[Result]:
    with open(os.environ["STUCK_FIFO"], "w") as fifo:
        fifo.write(f"{os.getpid()}\n")
    threading.Event().wait()
    raise AssertionError("unreachable")


if __name__ == "__main__":
    executors.fingerprint_chunk = stuck_chunk  # type: ignore[assignment]
    from cumberland.cli import app

    app(sys.argv[1:])
