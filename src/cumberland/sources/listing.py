"""A container's members as a compact listing: how a worker hands 100 k members of a disk
image to the writer without holding 100 k objects (~60 bytes a member, zlib-compressed JSON
lines), and how the writer reads them back a batch at a time.

Each line is one member: chain (relative to the container), stored locator (the whole
chain from the evidence file), size, status, reason, deleted, artefact categories, and the
four times.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from cumberland.records import FileTimes

_LEVEL = 1  # compression is for memory and transfer, not storage: the fastest level will do


@dataclass(slots=True)
class Listed:
    chain: list[str]
    locator: list[dict[str, Any]]
    size: int | None
    status: str
    reason: str | None
    deleted: bool
    times: FileTimes = field(default_factory=FileTimes)
    artefacts: str | None = None


class ListingWriter:
    """Members appended one at a time; ``finish`` gives the listing's bytes."""

    def __init__(self) -> None:
        self._zip = zlib.compressobj(_LEVEL)
        self._parts: list[bytes] = []
        self.count = 0

    def add(self, member: Listed) -> None:
        t = member.times
        line = json.dumps([member.chain, member.locator, member.size, member.status,
                           member.reason, member.deleted, member.artefacts, t.created,
                           t.modified, t.accessed, t.changed],
                          ensure_ascii=False, separators=(",", ":"))
        self._parts.append(self._zip.compress(line.encode("utf-8", "surrogatepass") + b"\n"))
        self.count += 1

    def finish(self) -> bytes:
        self._parts.append(self._zip.flush())
        data = b"".join(self._parts)
        self._parts = []
        return data


def read_listing(data: bytes) -> Iterator[Listed]:
    """The members of a listing, decompressed a piece at a time."""
    unzip = zlib.decompressobj()
    rest = b""
    view = memoryview(data)
    for start in range(0, len(data) or 1, 1 << 16):
        rest += unzip.decompress(view[start : start + (1 << 16)])
        *lines, rest = rest.split(b"\n")
        for line in lines:
            yield _member(line)
    rest += unzip.flush()
    for line in rest.split(b"\n"):
        if line:
            yield _member(line)


def _member(line: bytes) -> Listed:
    chain, locator, size, status, reason, deleted, artefacts, *times = json.loads(
        line.decode("utf-8", "surrogatepass"))
    return Listed(chain, locator, size, status, reason, deleted, FileTimes(*times), artefacts)
