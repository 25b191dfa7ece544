"""Picklable task and result records exchanged between the writer and the workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cumberland.sources.base import FileTimes


@dataclass(slots=True)
class Task:
    """One item to fingerprint: workers reopen it by path (shared storage for clusters)."""

    item_id: int
    raw_path: bytes
    display: str
    size: int | None


@dataclass(slots=True)
class VideoFrame:
    """One sampled video frame's PDQ (vPDQ): decoded frame number, seconds, hash, quality."""

    idx: int
    ts: float
    pdq: bytes
    quality: int


@dataclass(slots=True)
class MediaRecord:
    sha256: bytes
    md5: bytes
    sha1: bytes
    size: int
    kind: str
    mime: str
    width: int | None = None
    height: int | None = None
    pdq: bytes | None = None
    pdq_quality: int | None = None
    ai_level: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    frames: list[VideoFrame] = field(default_factory=list)


@dataclass(slots=True)
class SignalOutput:
    name: str
    version: int
    data: dict[str, Any]


@dataclass(slots=True)
class Result:
    """What a worker learned about one item. ``media`` is None only when nothing was read."""

    item_id: int
    status: str
    reason: str | None = None
    mime: str | None = None
    ext_mismatch: bool = False
    size: int | None = None
    media: MediaRecord | None = None
    signals: list[SignalOutput] = field(default_factory=list)
    thumbnail: bytes | None = None
    children: list[Child] = field(default_factory=list)


@dataclass(slots=True)
class Child:
    """An item found inside a container item (archive entry, file in a disk image).

    ``chain`` is relative to the container item the task named; ``parent`` indexes the
    enclosing child in the same ``children`` list (-1: the container item itself), and
    parents always come before their children. ``result.item_id`` is unused (0).
    """

    chain: list[str]
    parent: int
    result: Result
    deleted: bool = False
    times: FileTimes = field(default_factory=FileTimes)
