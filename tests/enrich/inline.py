"""An executor that runs chunks in the test's own process, so signals a test swapped in or
registered there are the ones computed (worker processes import the built-in list)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from cumberland.pipeline.executors import Job
from cumberland.pipeline.fingerprint import fingerprint_chunk
from cumberland.records import Result, Task
from cumberland.settings import Settings


class Inline:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def run_job(self, chunks: Iterable[list[Any]], job: Job[Any, Any]) -> Iterator[list[Any]]:
        for chunk in chunks:
            yield job.work(chunk, self.settings)

    def run(self, chunks: Iterable[list[Task]]) -> Iterator[list[Result]]:
        for chunk in chunks:
            yield fingerprint_chunk(chunk, self.settings)

    def close(self, abort: bool = False) -> None:
        pass
