"""Line and CSV helpers shared by the text-based readers (sums, hashdeep, HashKeeper, PDQ, NSRL).

Text hash lists come from many tools and operating systems: they may carry a UTF-8 BOM, be
UTF-16 with a byte-order mark (older Windows exports), have CRLF line ends, or hold bytes that
are not UTF-8 (old NSRL releases). :func:`open_text` turns every one of them into a stream of
UTF-8 bytes without its BOM, transcoding UTF-16 a chunk at a time, so every reader parses
one encoding and a multi-GB UTF-16 file is never held whole. Lines are read as bytes with a
length cap, so a file without newlines cannot exhaust memory, and each line is decoded on its
own (UTF-8, falling back to latin-1, which never fails) so one odd file name does not spoil
the whole file.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from .base import HashRecord, HashSetError, ReaderBase, parse_hex

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}
MAX_LINE = 1 << 20
"""Longest line accepted (bytes). Real hash-list lines are well under 10 KiB."""
_CHUNK = 1 << 16


class _Utf16AsUtf8(io.RawIOBase):
    """A UTF-16 byte stream read as UTF-8 bytes, decoded a chunk at a time (bad code units
    become U+FFFD: a name may be odd, a digest then fails to parse with its line)."""

    def __init__(self, raw: IO[bytes], encoding: str) -> None:
        super().__init__()
        self.raw = raw
        self.decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self.pending = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self.pending:
            chunk = self.raw.read(_CHUNK)
            self.pending = memoryview(self.decoder.decode(chunk, final=not chunk).encode())
            if not chunk:
                break
        count = min(len(buffer), len(self.pending))
        buffer[:count] = self.pending[:count]
        self.pending = self.pending[count:]
        return count

    def close(self) -> None:
        self.raw.close()
        super().close()


def open_text(raw: IO[bytes]) -> IO[bytes]:
    """``raw`` as UTF-8 bytes without a byte-order mark (UTF-16 LE/BE with a BOM is
    transcoded as it is read; anything else passes through as it is)."""
    stream: Any = raw if hasattr(raw, "peek") else io.BufferedReader(raw)  # type: ignore[arg-type]
    head = bytes(stream.peek(3)[:3])
    encoding = UTF16_BOMS.get(head[:2])
    if encoding is not None:
        stream.read(2)
        return io.BufferedReader(_Utf16AsUtf8(stream, encoding), _CHUNK)
    if head == BOM:
        stream.read(len(BOM))
    return cast(IO[bytes], stream)


def sample_lines(head: bytes, complete: bool) -> tuple[str, tuple[str, ...]]:
    """The sniffed bytes as text, and its non-blank lines; ``complete``: the sample holds
    the whole file (else its last line may be cut short and is dropped)."""
    encoding = UTF16_BOMS.get(head[:2])
    if encoding is not None:
        body = head[2:]
        text = body[: len(body) // 2 * 2].decode(encoding, "replace")
        raw_lines = text.splitlines()
    else:
        body = head.removeprefix(BOM)
        if b"\x00" in body:
            return "", ()
        raw_lines = [decode_line(line) for line in body.splitlines()]
        text = "\n".join(raw_lines)
    if not complete and raw_lines:
        raw_lines.pop()
    return text, tuple(line for line in raw_lines if line.strip())


def decode_line(raw: bytes) -> str:
    """UTF-8 if it is valid, else latin-1: never fails, keeps non-UTF-8 names readable."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def iter_lines(stream: IO[bytes], label: Path | str) -> Iterator[tuple[int, str]]:
    """Yield ``(line_number, text)`` pairs, 1-based, without the line end (``stream`` comes
    from :func:`open_text`)."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE:
            raise HashSetError(label, f"line {number}", f"line longer than {MAX_LINE} bytes")
        yield number, decode_line(raw).rstrip("\r\n")


def split_csv(line: str, label: Path | str, number: int) -> list[str]:
    """Split one quoted-CSV line (NSRL, HashKeeper); a broken quote is a HashSetError."""
    try:
        rows = list(csv.reader([line], strict=True))
    except csv.Error as exc:
        raise HashSetError(label, f"line {number}", f"bad CSV: {exc}") from None
    return rows[0] if rows else []


def csv_header(line: str, label: Path | str) -> dict[str, int]:
    """A first line as a CSV header (lower-case names), empty if it is not CSV."""
    try:
        return column_index(split_csv(line, label, 1))
    except HashSetError:
        return {}


def column_index(header: list[str]) -> dict[str, int]:
    """Map lower-cased, stripped column names to their position (first occurrence wins)."""
    index: dict[str, int] = {}
    for position, name in enumerate(header):
        index.setdefault(name.strip().lower(), position)
    return index


def parse_int(
    text: str, label: Path | str, location: str, what: str, *, low: int = 0, high: int | None = None
) -> int:
    """A non-negative decimal integer within bounds, else HashSetError naming the field."""
    value = text.strip()
    if not value.isascii() or not value.isdigit() or len(value) > 20:
        raise HashSetError(label, location, f"{what} is not a whole number: {value[:40]!r}")
    number = int(value)
    if number < low or (high is not None and number > high):
        raise HashSetError(label, location, f"{what} {number} is outside {low}-{high}")
    return number


def optional_int(text: str, label: Path | str, location: str, what: str) -> int | None:
    """Like :func:`parse_int` but an empty field is None (sizes are often left blank)."""
    return parse_int(text, label, location, what) if text.strip() else None


class TextReader(ReaderBase):
    """A reader over a line-oriented file: subclasses implement ``_parse`` on numbered lines.

    ``_raw`` is the one place that knows where the bytes come from, so the NSRL reader can
    stream a member of a zip archive through the same code; ``_open`` decodes them.
    """

    def _raw(self) -> IO[bytes]:
        return open(self.path, "rb")

    def _open(self) -> IO[bytes]:
        return open_text(self._raw())

    def _head(self, count: int) -> list[str]:
        """The first ``count`` lines, for reading a header in ``__init__``."""
        with self._open() as stream:
            lines = iter_lines(stream, self.label)
            return [line for _, (_, line) in zip(range(count), lines, strict=False)]

    def _records(self) -> Iterator[HashRecord]:
        with self._open() as stream:
            yield from self._parse(iter_lines(stream, self.label))

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        raise NotImplementedError


class CsvTableReader(TextReader):
    """A quoted CSV file whose first line names the columns (NSRL RDS v2, HashKeeper).

    Columns are looked up by name, so both historical NSRL column orders need no special case.
    """

    required: tuple[str, ...] = ()

    def _columns(self, line: str, number: int) -> dict[str, int]:
        columns = column_index(split_csv(line, self.label, number))
        missing = [name for name in self.required if name not in columns]
        if missing:
            raise HashSetError(self.label, f"line {number}", f"header lacks {', '.join(missing)}")
        return columns

    def _header(self) -> dict[str, int]:
        """Read and check the header line in ``__init__`` so a wrong file fails early."""
        head = self._head(1)
        if not head:
            raise HashSetError(self.label, "line 1", "empty file, expected a header line")
        return self._columns(head[0], 1)

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        columns: dict[str, int] = {}
        width = 0
        for number, line in lines:
            if number == 1:
                columns = self._columns(line, number)
                width = len(split_csv(line, self.label, number))
                continue
            if not line.strip():
                continue
            row = split_csv(line, self.label, number)
            if len(row) != width:
                raise HashSetError(
                    self.label, f"line {number}", f"{len(row)} fields, header has {width}"
                )
            record = self._row(
                {name: row[position] for name, position in columns.items()}, f"line {number}"
            )
            if record is None:
                self.skipped += 1
            else:
                yield record

    def _row(self, cells: dict[str, str], location: str) -> HashRecord | None:
        """Build a record from ``{lower-case column: text}``; None when it has no usable hash."""
        raise NotImplementedError


def optional_hex(
    cells: dict[str, str], column: str, nbytes: int, label: Path | str, location: str
) -> bytes | None:
    """The digest in ``column`` if the column exists and is not blank."""
    text = cells.get(column, "").strip()
    return parse_hex(text, nbytes, label, location, column) if text else None
