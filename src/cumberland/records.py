"""The records every layer shares: what a worker is asked, what it answers, and the fixed
vocabularies (statuses, kinds, purposes, match methods, roles).

They sit below everything else (sources, signals, store and pipeline all import them, they
import nothing of Cumberland) so data can flow one way. Tasks and results are pickled between
the writer and its workers, locally and on a cluster: keep them plain dataclasses.

The vocabularies are ``StrEnum``: a member *is* its string, so stored values, JSON and
comparisons with plain strings are unchanged, and Typer shows the choices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class ItemStatus(StrEnum):
    """Where an item stands. Every item ends in one of the last four."""

    PENDING = "pending"
    DONE = "done"
    SKIPPED = "skipped"
    ENCRYPTED = "encrypted"
    ERROR = "error"


class MediaKind(StrEnum):
    """What the bytes are, from their signature (``signals/sniff.py``)."""

    IMAGE = "image"
    VIDEO = "video"
    ARCHIVE = "archive"
    DISK_IMAGE = "disk-image"
    DOCUMENT = "document"
    OTHER = "other"
    EMPTY = "empty"


class Purpose(StrEnum):
    """What a hash set is for: alert on a match, or set known-good files aside."""

    ALERT = "alert"
    IGNORE = "ignore"


class Storage(StrEnum):
    """How a hash set keeps its records: a row each (``entries``), or only its digests in an
    index of its own (``index``); ``auto`` picks index for known-good sets of digest-only
    formats."""

    AUTO = "auto"
    ENTRIES = "entries"
    INDEX = "index"


class MatchMethod(StrEnum):
    """How a media matched a hash-set entry or reference, strongest family first."""

    SHA256 = "sha256"
    SHA1 = "sha1"
    MD5 = "md5"
    PDQ = "pdq"
    PDQ_DIHEDRAL = "pdq-dihedral"
    PDQ_UNPADDED = "pdq-unpadded"
    PDQ_REGION = "pdq-region"
    LOCAL_FEATURES = "local-features"
    VPDQ = "vpdq"


class Role(StrEnum):
    """A workbench user's role (what each may do: ``store/accounts.POWERS``)."""

    ADMIN = "admin"
    INVESTIGATOR = "investigator"
    REVIEWER = "reviewer"
    AUDITOR = "auditor"
    APPROVER = "approver"  # second person who lets a traced object out (Trace An Object)


@dataclass(slots=True)
class FileTimes:
    created: float | None = None
    modified: float | None = None
    accessed: float | None = None
    changed: float | None = None


@dataclass(slots=True)
class Task:
    """One item to fingerprint: workers reopen it by path (shared storage for clusters), or
    by ``locator`` (stored form, ``sources/locator.py``) when it is inside a container."""

    item_id: int
    raw_path: bytes
    display: str
    size: int | None
    locator: list[dict[str, Any]] | None = None
    # The item's artefact categories (sources/artefacts/catalogue.py): a container passes
    # some on to its members.
    artefacts: str | None = None


@dataclass(slots=True)
class VideoFrame:
    """One sampled video frame's PDQ (vPDQ): decoded frame number, seconds, hash, quality."""

    idx: int
    ts: float
    pdq: bytes
    quality: int


@dataclass(slots=True)
class Output:
    """The typed record one signal computed for one media, and where each part is kept.

    ``data`` becomes the signal's row in the ``signals`` table (None: no row); ``reasons``
    say why, in words (kept in the row). The other fields land on the media itself: its PDQ
    hash and quality, its AI-assessment level, keys merged into its ``meta``, its vPDQ frames
    and its thumbnail. ``value`` is the Python object behind the output, for signals computed
    after it in the same run; it never leaves the worker.
    """

    data: dict[str, Any] | None = None
    reasons: list[str] = field(default_factory=list)
    pdq: tuple[bytes, int] | None = None
    ai_level: str | None = None
    meta: dict[str, Any] | None = None
    frames: list[VideoFrame] | None = None
    thumbnail: bytes | None = None
    value: Any = None

    def row(self) -> dict[str, Any] | None:
        """What the ``signals`` table keeps: the data, with the reasons when it has none."""
        if self.data is None or not self.reasons or "reasons" in self.data:
            return self.data
        return {**self.data, "reasons": self.reasons}


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
    #: name -> version of every signal computed for this media (the staleness ledger)
    versions: dict[str, int | str] = field(default_factory=dict)


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
    # Members of a container fanned out as pending items of their own (``sources/listing``):
    # compressed, so a 100 k-file image travels to the writer in a few megabytes.
    listing: bytes | None = None
    listed: int = 0


@dataclass(slots=True)
class Child:
    """An item found inside a container item (archive entry, file in a disk image).

    ``chain`` is relative to the container item the task named; ``parent`` indexes the
    enclosing child in the same ``children`` list (-1: the container item itself), and
    parents always come before their children. ``result.item_id`` is unused (0).
    ``locator`` is the whole chain from the evidence file (``sources/locator.py``, stored
    form), so the child can be opened again by any process.
    """

    chain: list[str]
    parent: int
    result: Result
    deleted: bool = False
    times: FileTimes = field(default_factory=FileTimes)
    locator: list[dict[str, Any]] | None = None
    artefacts: str | None = None


@dataclass(slots=True)
class EnrichTask:
    """One media whose signals are missing or stale, and how a worker reads it again.

    ``locators`` lead to items of the case holding it (JSON, ``sources/locator.py``); the
    first that still reads as ingested (checked against ``sha256``) is used. When none
    does (evidence moved or changed, items from before locators) the worker falls back to
    ``thumb_path`` and computes only signals that allow it. ``stored`` holds what the
    signals being recomputed read from signals that are not: earlier rows by name under
    ``rows``, and the media's ``meta``, ``pdq`` and ``pdq_quality``.
    """

    sha256: bytes
    kind: str
    mime: str
    names: list[str]
    locators: list[list[dict[str, Any]]] = field(default_factory=list)
    thumb_path: str | None = None
    size: int | None = None
    stored: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class EnrichResult:
    """What a worker recomputed for one media: outputs by signal and the versions they were
    computed at, how many decodes that took and what the inputs came from (``file``,
    ``thumbnail``, or ``store`` when only stored outputs were read). ``left`` names signals
    that could not be computed without the original, ``note`` says why; ``error`` is set
    when nothing could be computed."""

    sha256: bytes
    outputs: dict[str, Output | None] = field(default_factory=dict)
    versions: dict[str, int | str] = field(default_factory=dict)
    decodes: int = 0
    source: str = "file"
    left: list[str] = field(default_factory=list)
    note: str | None = None
    error: str | None = None
