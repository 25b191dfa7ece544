"""The one record shape every hash-set reader yields, and the error they raise."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Protocol, Self

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
    notes: dict[str, str] = field(default_factory=dict)
    """What reading left out or changed, one line per topic, said to the user after an
    import (filled while the records are read)."""


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

    def close(self) -> None:
        """Drop anything the reader made to read its file (a private copy); a no-op for most."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

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


@dataclass(frozen=True, slots=True)
class Sample:
    """What sniffing sees of a file: its first bytes, and those bytes as text (UTF-8, or
    UTF-16 where a byte-order mark says so) split into non-blank lines; a line the sample
    cut short is left out. ``text`` and ``lines`` are empty for binary files."""

    path: Path
    head: bytes
    text: str
    lines: tuple[str, ...]

    @property
    def first(self) -> str:
        return self.lines[0] if self.lines else ""


Opener = Callable[[Path, "Path | None"], ReaderBase]
"""Open a reader on a file; the second argument is a private scratch folder (inside the
workspace) for a reader that must copy what it reads (a database inside a zip), or None."""


@dataclass(frozen=True, slots=True)
class HashSetFormat:
    """One hash-set format, declared once beside its reader: the name ``--format`` takes,
    how auto-detection recognises it (``sniff``: True, False, or a HashSetError when the
    file is recognisably ambiguous), how to open it, and the README's description of
    exactly what it accepts. ``digest_only``: its records are digests and a file name, so
    index-only storage loses nothing shown."""

    name: str
    title: str
    accepts: str
    open: Opener
    sniff: Callable[[Sample], bool] | None = None
    digest_only: bool = False


def opener(reader: Callable[[Path], ReaderBase]) -> Opener:
    """An Opener for a reader that needs no scratch folder."""
    return lambda path, _scratch: reader(path)
