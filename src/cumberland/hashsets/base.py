"""The one record shape every hash-set reader yields, and the error they raise."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cumberland.errors import one_line

_HEX = re.compile(r"^[0-9a-fA-F]+$")


class HashSetError(ValueError):
    """A malformed hash-set file. The message is one line: file, location, what is wrong."""

    def __init__(self, path: Path | str, location: str, message: str) -> None:
        self.path = str(path)
        self.location = location
        self.detail = message
        super().__init__(f"{path}: {location}: {message}")


@dataclass(slots=True)
class HashRecord:
    """One known item. Hashes are raw bytes; anything absent is None.

    ``photodna`` is kept as the opaque text it arrived as (it is licensed; only an optional
    plug-in may compare it). ``category`` is the integer as found; its meaning lives in the
    set's category scheme.
    """

    md5: bytes | None = None
    sha1: bytes | None = None
    sha256: bytes | None = None
    pdq: bytes | None = None
    pdq_quality: int | None = None
    photodna: str | None = None
    category: int | None = None
    name: str | None = None
    size: int | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def has_hash(self) -> bool:
        return any(h is not None for h in (self.md5, self.sha1, self.sha256, self.pdq))


@dataclass(slots=True)
class HashSetInfo:
    """What a reader learns about the set as a whole (format version, category scheme)."""

    format: str
    version: str | None = None
    category_scheme: str | None = None
    properties: dict[str, object] = field(default_factory=dict)


class HashSetReader(Protocol):
    """A streaming reader: ``info`` is filled as soon as the header is read."""

    info: HashSetInfo

    def __iter__(self) -> Iterator[HashRecord]: ...


def parse_hex(value: str, nbytes: int, path: Path | str, location: str, what: str) -> bytes:
    """Decode a hex digest of exactly ``nbytes`` bytes, any case; raise HashSetError otherwise."""
    text = value.strip()
    if len(text) != nbytes * 2 or not _HEX.match(text):
        raise HashSetError(path, location, f"{what} is not {nbytes * 2} hex digits: {text[:80]!r}")
    return bytes.fromhex(text)


def digest_field(length: int) -> str | None:
    """Which digest a hex string of this many characters is, if any."""
    return {32: "md5", 40: "sha1", 64: "sha256"}.get(length)


class ReaderBase:
    """Shared plumbing for the format readers.

    Subclasses fill ``info`` in ``__init__`` (from the header, so callers can decide what to do
    before reading millions of records) and yield records from ``_records``. Every call to
    ``iter()`` re-opens the file, so a reader can be iterated more than once and holds no open
    handle between iterations. ``skipped`` counts records dropped because they had no usable hash.
    """

    def __init__(self, path: Path | str, info: HashSetInfo) -> None:
        self.path = Path(path)
        self.info = info
        self.skipped = 0

    @property
    def label(self) -> str:
        """How errors name the file (a zip member is ``archive.zip!NSRLFile.txt``)."""
        return str(self.path)

    wrapped_errors: tuple[type[Exception], ...] = ()
    """Library exceptions (zip, sqlite, JSON) that mean "malformed file" for this reader."""

    def __iter__(self) -> Iterator[HashRecord]:
        return self._guarded()

    def _guarded(self) -> Iterator[HashRecord]:
        """Turn the reader's library errors into one-line HashSetErrors naming the record."""
        count = 0
        try:
            for record in self._records():
                count += 1
                yield record
        except HashSetError:
            raise
        except self.wrapped_errors as exc:
            raise HashSetError(self.label, f"record {count + 1}", one_line(exc)) from exc

    def _records(self) -> Iterator[HashRecord]:
        raise NotImplementedError
