"""Picklable task and result records exchanged between the writer and the workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Task:
    """One item to fingerprint: workers reopen it by path (shared storage for clusters)."""

    item_id: int
    raw_path: bytes
    display: str
    size: int | None


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
