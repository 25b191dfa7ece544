"""Where fingerprinting runs: a local process pool by default, or a Dask cluster.

Chunks are submitted with a bounded number in flight so memory stays flat however many items
a case has. If a worker dies (a native library crashing on hostile input, or an item past its
time budget, see ``watchdog``), the chunks it took down are redone, each in a process of its
own, and a chunk that dies again one item per process, so only the culprit is marked, never
the run lost. Either way the same ``fingerprint_chunk`` runs remotely and results come back
to the single writer here. Enrichment runs its own chunk function the same way (``run_job``
with a ``Job``).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.connection import wait as wait_ready
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from cumberland.pipeline.fingerprint import fingerprint_chunk
from cumberland.pipeline.watchdog import hold_lifeline, run_timed
from cumberland.records import Result, Task
from cumberland.settings import Settings

if TYPE_CHECKING:
    from multiprocessing.context import ForkServerContext, ForkServerProcess

    from distributed import Client, LocalCluster

CRASH_REASON = "worker crashed while reading this item"
DIED_REASON = "worker died while reading this item (a crash, or past item_time_limit)"
CLUSTER_FORMS = "local, local:N or a scheduler address such as tcp://HOST:8786"
WORKER_WAIT_S = 300


def time_reason(settings: Settings) -> str:
    """Why an item whose worker the item budget killed has no result."""
    return (f"time limit: still reading after item_time_limit {settings.item_time_limit:g} s "
            f"(+ {settings.item_time_per_gib:g} s per GiB)")


class ClusterError(ValueError):
    """A --cluster value that is malformed or names a scheduler that cannot be reached."""


T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Job(Generic[T, R]):
    """What workers run on a chunk (a module-level function, so it pickles by name), and
    what stands for a task whose worker died on it, given why."""

    work: Callable[[list[T], Settings], list[R]]
    died: Callable[[T, str], R]


def _item_died(task: Task, reason: str) -> Result:
    return Result(item_id=task.item_id, status="error", reason=reason)


def _fingerprinting() -> Job[Task, Result]:
    """Looked up when a run starts (tests swap ``fingerprint_chunk`` for a crashing one)."""
    return Job(fingerprint_chunk, _item_died)


class Executor(Protocol):
    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Result]]: ...

    def run_job(self, chunks: Iterable[list[T]], job: Job[T, R]) -> Iterator[list[R]]: ...

    def close(self, abort: bool = False) -> None: ...

def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
               else os.cpu_count() or 1)


def _pool_worker(lifeline: Connection) -> None:
    hold_lifeline(lifeline)


def _solo_worker(tasks: list[Task], settings: Settings, work: Any, out: Connection,
                 lifeline: Connection) -> None:
    hold_lifeline(lifeline)
    out.send(run_timed(work, tasks, settings))
    out.close()


@dataclass(slots=True)
class _Solo(Generic[T, R]):
    """One chunk redone in a process of its own, so its death names it."""

    tasks: list[T]
    process: ForkServerProcess
    results: Connection

    def finish(self) -> list[R] | None:
        """Its results, or None when the process died first (then ``exitcode`` says how)."""
        try:
            results: list[R] | None = self.results.recv()
        except (EOFError, OSError):
            results = None
        self.results.close()
        self.process.join()
        return results


class LocalExecutor:
    """A process pool; results come back in completion order, a chunk at a time."""

    def __init__(self, settings: Settings, workers: int | None = None) -> None:
        self.settings = settings
        self.workers = workers or settings.workers or default_workers()
        self._ctx: ForkServerContext = multiprocessing.get_context("forkserver")
        self._pool: ProcessPoolExecutor | None = None
        # Workers get the read end; only this process holds the write end (watchdog).
        self._lifeline, self._alive = self._ctx.Pipe(duplex=False)

    def _new_pool(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        self._pool = ProcessPoolExecutor(self.workers, mp_context=self._ctx,
                                         initializer=_pool_worker, initargs=(self._lifeline,))
        return self._pool

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Result]]:
        return self.run_job(chunks, _fingerprinting())

    def run_job(self, chunks: Iterable[list[T]], job: Job[T, R]) -> Iterator[list[R]]:
        pool = self._pool or self._new_pool()
        in_flight: dict[Future[list[R]], list[T]] = {}
        source = iter(chunks)
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < 2 * self.workers:
                chunk = next(source, None)
                if chunk is None:
                    exhausted = True
                    break
                in_flight[pool.submit(run_timed, job.work, chunk, self.settings)] = chunk
            if not in_flight:
                return
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            broken: list[list[T]] = []
            for future in done:
                chunk = in_flight.pop(future)
                try:
                    yield future.result()
                except BrokenProcessPool:
                    broken.append(chunk)
            if broken:
                # Every other chunk in flight died with the pool too: redo them all, apart.
                broken.extend(in_flight.values())
                in_flight.clear()
                yield from self._redo(broken, job)
                pool = self._new_pool()

    def _start(self, tasks: list[T], job: Job[T, R]) -> _Solo[T, R]:
        results, out = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(target=_solo_worker, daemon=True, args=(
            tasks, self.settings, job.work, out, self._lifeline))
        process.start()
        out.close()
        return _Solo(tasks, process, results)

    def _redo(self, chunks: list[list[T]], job: Job[T, R]) -> Iterator[list[R]]:
        """Each chunk in a process of its own, ``workers`` at a time: a chunk whose process
        dies again is split into single items; a single item whose process dies is the
        culprit, recorded by how its process ended."""
        waiting = deque(chunks)
        running: dict[Connection, _Solo[T, R]] = {}
        while waiting or running:
            while waiting and len(running) < self.workers:
                solo = self._start(waiting.popleft(), job)
                running[solo.results] = solo
            for ready in wait_ready(list(running)):
                solo = running.pop(ready)  # type: ignore[call-overload]
                results = solo.finish()
                if results is not None:
                    yield results
                elif len(solo.tasks) > 1:
                    waiting.extend([task] for task in solo.tasks)
                else:
                    reason = (time_reason(self.settings)
                              if solo.process.exitcode == -signal.SIGALRM else CRASH_REASON)
                    yield [job.died(solo.tasks[0], reason)]

    def close(self, abort: bool = False) -> None:
        """Wait for the workers to finish, or (``abort``: the run was stopped) end them now:
        closing the lifeline makes each one kill itself. Either way the pool's manager thread
        is joined: left running, it raced Python 3.11's exit hook, which then printed a
        traceback (a closed wakeup pipe: "Bad file descriptor") after a clean SIGTERM stop."""
        if abort:
            self._alive.close()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        self._alive.close()
        self._lifeline.close()

class DaskExecutor:
    """Chunks as tasks on a Dask distributed cluster; workers reopen evidence by path, so
    every worker must see the sources at the same path (shared storage)."""

    def __init__(self, settings: Settings, cluster: str, workers: int | None = None) -> None:
        import logging

        from distributed import Client, LocalCluster

        self.settings = settings
        self._cluster: LocalCluster | None = None
        kind, _, count = cluster.partition(":")
        if kind == "local":
            if count and not count.isdigit():
                raise ClusterError(f"--cluster {cluster!r}: use {CLUSTER_FORMS}")
            n = int(count or 0) or workers or settings.workers or default_workers()
            self._cluster = LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None,
                silence_logs=logging.ERROR)
            self._client: Client = Client(self._cluster)  # type: ignore[no-untyped-call]
        elif "://" in cluster:
            try:
                self._client = Client(cluster, timeout="30s")  # type: ignore[no-untyped-call]
            except OSError as exc:
                raise ClusterError(f"cannot reach Dask scheduler {cluster}: {exc}") from exc
        else:
            raise ClusterError(f"--cluster {cluster!r}: use {CLUSTER_FORMS}")

    def _submit(self, chunk: list[T], job: Job[T, R]) -> Any:
        return self._client.submit(run_timed, job.work, chunk, self.settings, pure=False)

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Result]]:
        return self.run_job(chunks, _fingerprinting())

    def run_job(self, chunks: Iterable[list[T]], job: Job[T, R]) -> Iterator[list[R]]:
        from distributed import as_completed

        try:
            self._client.wait_for_workers(1, timeout=WORKER_WAIT_S)
        except TimeoutError as exc:
            raise ClusterError(f"no Dask worker joined within {WORKER_WAIT_S} s") from exc
        limit = 2 * max(1, sum(self._client.nthreads().values()))  # type: ignore[no-untyped-call]
        source = iter(chunks)
        in_flight: dict[Any, list[T]] = {}
        stream: Any = as_completed()  # type: ignore[no-untyped-call]

        def submit_next() -> bool:
            chunk = next(source, None)
            if chunk is None:
                return False
            future = self._submit(chunk, job)
            in_flight[future] = chunk
            stream.add(future)
            return True

        while len(in_flight) < limit and submit_next():
            pass
        for future in stream:
            yield from self._collect(future, in_flight.pop(future), job)
            submit_next()

    def _collect(self, future: Any, chunk: list[T], job: Job[T, R]) -> Iterator[list[R]]:
        """A chunk's results; if its workers kept dying (Dask gives up after a few tries),
        redo it one item per task so only the culprit is marked."""
        from distributed.scheduler import KilledWorker

        try:
            results: list[R] = future.result()
        except KilledWorker:
            if len(chunk) == 1:
                results = [job.died(chunk[0], DIED_REASON)]
            else:
                for task in chunk:
                    yield from self._collect(self._submit([task], job), [task], job)
                return
        finally:
            future.release()
        yield results

    def close(self, abort: bool = False) -> None:
        self._client.close()  # type: ignore[no-untyped-call]
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_executor(
    settings: Settings, workers: int | None = None, cluster: str | None = None
) -> Executor:
    """The local pool, or a Dask cluster when ``cluster`` is given (see CLUSTER_FORMS)."""
    if cluster:
        return DaskExecutor(settings, cluster, workers)
    return LocalExecutor(settings, workers)
