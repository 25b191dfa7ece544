"""Where fingerprinting runs: a local process pool by default.

Chunks are submitted with a bounded number in flight so memory stays flat however many items
a case has. If a worker dies (a native library crashing on hostile input), the chunk is
retried one item per task in a fresh pool so only the culprit is marked, never the run lost.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from cumberland.pipeline.fingerprint import fingerprint_chunk
from cumberland.pipeline.tasks import Result, Task
from cumberland.settings import Settings

CRASH_REASON = "worker crashed while reading this item"

class Executor(Protocol):
    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Result]]: ...

    def close(self) -> None: ...

def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)

class LocalExecutor:
    """A process pool; results come back in completion order, a chunk at a time."""

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        self.settings = settings
        self.workers = workers or settings.workers or default_workers()
        self._ctx = multiprocessing.get_context("forkserver")
        self._pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._ctx)
        return self._pool

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Result]]:
        pool = self._pool or self._new_pool()
        in_flight: dict[Future[list[Result]], list[Task]] = {}
        source = iter(chunks)
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < 2 * self.workers:
                chunk = next(source, None)
                if chunk is None:
                    exhausted = True
                    break
                in_flight[pool.submit(fingerprint_chunk, chunk, self.settings)] = chunk
            if not in_flight:
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken: list[list[Task]] = []
            for future in done:
                chunk = in_flight.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken.append(chunk)
            if broken:
                # Every other chunk in flight died with the pool too: redo them all, isolated.
                broken.extend(in_flight.values())
                in_flight.clear()
                for chunk in broken:
                    yield from self._isolate(chunk)
                pool = self._new_pool()

    def _isolate(self, chunk: list[Task]) -> Iterator[list[Result]]:
        for task in chunk:
            pool = self._new_pool()
            try:
                yield pool.submit(fingerprint_chunk, [task], self.settings).result()
            except BrokenProcessPool:
                yield [Result(item_id=task.item_id, status="error", reason=CRASH_REASON)]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

def make_executor(settings: Settings, workers: int | None = None) -> LocalExecutor:
    return LocalExecutor(settings, workers)

