"""Digests of many records at once, column-wise: what index-only imports consume.

A known-good set of 74 M records is a filter, not a list anyone reads entry by entry, so it
goes straight into the digest index (index/sets.py) in blocks of arrays. Every reader can
give blocks by walking its records (:func:`blocks_from_records`); a reader whose source
allows it (RDS v3 SQLite) reads columns in bulk instead and raises :class:`Irregular` when a
row does not fit the bulk shape, so the caller re-reads the file record by record and the
record path names the fault (or skips the row) exactly as a normal import would.
"""

from __future__ import annotations

import binascii
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

import numpy as np
from numpy.typing import NDArray

if TYPE_CHECKING:
    from .base import HashRecord

KINDS = {"sha256": 32, "sha1": 20, "md5": 16}
BLOCK = 65_536  # records per block on the record path


class Irregular(Exception):
    """The source does not fit the bulk path; read it record by record instead."""


@dataclass(frozen=True, slots=True)
class DigestBlock:
    """Consecutive records' digests: per kind, an (n, width) array and the record numbers
    (1-based, in import order) of the rows that carry that digest, paired row by row (a
    kind's rows may be in any order). ``fingerprint``: the SHA-256 of the block's records
    (SHA-256, SHA-1, MD5 side by side, in record order), where the reader computed one."""

    count: int
    digests: dict[str, NDArray[np.uint8]]
    records: dict[str, NDArray[np.int64]]
    fingerprint: bytes = b""

    def renumbered(self, first: int) -> DigestBlock:
        """The same block with its records numbered from ``first`` (workers count from 1)."""
        shift = first - 1
        return DigestBlock(self.count, self.digests,
                           {k: v + shift for k, v in self.records.items()}, self.fingerprint)


def blocks_from_records(records: Iterable[HashRecord], size: int = BLOCK,
                        ) -> Iterator[DigestBlock]:
    """Blocks from any reader's records (those without MD5/SHA-1/SHA-256 are not counted)."""
    first = 1
    buffers: dict[str, list[bytes]] = {kind: [] for kind in KINDS}
    numbers: dict[str, list[int]] = {kind: [] for kind in KINDS}
    count = 0
    for record in records:
        present = [(k, d) for k in KINDS if (d := getattr(record, k)) is not None]
        if not present:
            continue
        count += 1
        for kind, digest in present:
            buffers[kind].append(digest)
            numbers[kind].append(first + count - 1)
        if count == size:
            yield _block(count, buffers, numbers)
            first += count
            count = 0
            buffers = {kind: [] for kind in KINDS}
            numbers = {kind: [] for kind in KINDS}
    if count:
        yield _block(count, buffers, numbers)


def _block(count: int, buffers: dict[str, list[bytes]], numbers: dict[str, list[int]],
           ) -> DigestBlock:
    return DigestBlock(
        count,
        {k: np.frombuffer(b"".join(v), np.uint8).reshape(-1, KINDS[k]) for k, v in buffers.items()},
        {k: np.asarray(v, np.int64) for k, v in numbers.items()})


def sorted_by_prefix(digests: NDArray[np.uint8], records: NDArray[np.int64],
                     ) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """Rows ordered by their first 8 bytes: sorted runs make the index's sort a merge."""
    order = np.argsort(digests[:, :8].copy().view(">u8").ravel(), kind="stable")
    return np.take(digests, order, axis=0), records[order]


def decode_hex_column(text: bytes, width: int) -> NDArray[np.uint8]:
    """Comma-terminated hex digests of ``width`` bytes each (any case) as an (n, width) array.

    Raises Irregular unless every value has exactly that length and only hex digits: a
    comma found at each expected place proves every single value's length.
    """
    row = 2 * width + 1
    if len(text) % row:
        raise Irregular("digest lengths differ")
    cells = np.frombuffer(text, np.uint8).reshape(-1, row)
    if not (cells[:, -1] == ord(",")).all():
        raise Irregular("digest lengths differ")
    try:
        raw = binascii.unhexlify(text.translate(None, b","))
    except binascii.Error as exc:
        raise Irregular(f"not hex: {exc}") from None
    return np.frombuffer(raw, np.uint8).reshape(len(cells), width)


T = TypeVar("T")


@runtime_checkable
class BulkDigests(Protocol):
    """A reader with a bulk path for index-only imports (see the module docstring)."""

    def column_blocks(self, workers: int) -> Iterator[DigestBlock]: ...


def ordered_map(fn: Callable[..., T], tasks: list[tuple[Any, ...]], workers: int) -> Iterator[T]:
    """``fn(*task)`` for every task, results in task order, over ``workers`` processes with at
    most two tasks per worker in flight, so memory stays bounded whatever the consumer's
    pace. Processes, not threads: SQLite threads in one process contend on its allocator
    mutex (measured: two threads slower than one)."""
    if workers <= 1 or len(tasks) <= 1:
        yield from (fn(*task) for task in tasks)
        return
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: deque[Future[T]] = deque()
        try:
            for task in tasks:
                pending.append(pool.submit(fn, *task))
                if len(pending) >= 2 * workers:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
