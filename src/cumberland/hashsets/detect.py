"""Tell a hash-set file's format from its first bytes, and open the matching reader.

Extensions are not trusted: hash lists travel as ``.txt``, ``.csv``, ``.json`` or nothing at
all. Sniffing looks at magic numbers (SQLite, zip), then at the first non-blank line of text.

Ambiguity is settled this way: a bare digest line (no name) is ``sums``; a PDQ list needs the
``,quality`` column to be detected (pass ``fmt="pdq"`` for bare 64-hex PDQ lists).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from pathlib import Path

from ._text import BOM, column_index, decode_line, split_csv
from .base import HashSetError, ReaderBase
from .hashdeep import HashdeepReader
from .hashkeeper import HashKeeperReader
from .ncmec import NcmecReader
from .nsrl import SQLITE_MAGIC, ZIP_ERRORS, NsrlSqliteReader, find_member, open_nsrl
from .pdq_csv import PdqReader, VpdqReader
from .sums import SumsReader, parse_sum_line
from .vics import VicsReader

FORMATS = ("vics", "nsrl", "nsrl-v3", "hashdeep", "sums", "hashkeeper", "pdq", "vpdq", "ncmec")
"""What :func:`detect_format` returns."""

CLI_FORMATS = ("auto", "vics", "nsrl", "hashdeep", "sums", "hashkeeper", "pdq", "vpdq", "ncmec")
"""What a user may pass as ``--format``; ``nsrl`` covers RDS v2 text, zipped and v3 SQLite."""

_SNIFF = 64 * 1024
_PDQ = re.compile(r"^[0-9A-Fa-f]{64},\s*\d{1,3}(,.*)?$")
_VPDQ = re.compile(r"^\d+,\d{1,3},[0-9A-Fa-f]{64}(,[0-9.eE+-]*)?$")
_XML_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?queryResult[\s>/]")


def _first_line(head: bytes) -> str:
    """The first non-blank line of the sniffed bytes, decoded like the readers do."""
    for raw in head.splitlines():
        line = decode_line(raw).strip("\r\n")
        if line.strip():
            return line
    return ""


def detect_format(path: Path | str) -> str:
    """Return one of :data:`FORMATS` for ``path``, or raise HashSetError at byte 0."""
    with open(path, "rb") as stream:
        head = stream.read(_SNIFF)
    if head.startswith(SQLITE_MAGIC):
        return "nsrl-v3"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if find_member(archive):
                    return "nsrl"
        except ZIP_ERRORS:
            pass
        raise HashSetError(path, "byte 0", "zip archive without NSRLFile.txt")
    text = head.removeprefix(BOM).lstrip()
    if text.startswith(b"{"):
        if b"odata.metadata" in text[:4096] or b"@odata.context" in text[:4096]:
            return "vics"
    elif text.startswith(b"<"):
        if _XML_ROOT.search(text):
            return "ncmec"
    else:
        fmt = _text_format(path, _first_line(text))
        if fmt:
            return fmt
    raise HashSetError(path, "byte 0", "unrecognised hash-set format")


def _text_format(path: Path | str, line: str) -> str | None:
    """Classify the first non-blank line of a text list."""
    if line.startswith("%%%% HASHDEEP"):
        return "hashdeep"
    if _PDQ.match(line):
        return "pdq"
    if _VPDQ.match(line):
        return "vpdq"
    if '"' in line or "," in line:
        try:
            columns = column_index(split_csv(line, path, 1))
        except HashSetError:
            columns = {}
        if "sha-1" in columns:
            return "nsrl"
        if {"hash", "file_id", "hashset_id"} <= columns.keys():
            return "hashkeeper"
    try:
        if parse_sum_line(line, path, 1) is not None:
            return "sums"
    except HashSetError:
        pass
    return None


def open_reader(path: Path | str, fmt: str = "auto") -> ReaderBase:
    """The reader for ``path``; ``fmt`` is one of :data:`CLI_FORMATS` (or ``nsrl-v3``)."""
    chosen = detect_format(path) if fmt == "auto" else fmt
    readers: dict[str, Callable[[Path | str], ReaderBase]] = {
        "vics": VicsReader,
        "nsrl": open_nsrl,
        "nsrl-v3": NsrlSqliteReader,
        "hashdeep": HashdeepReader,
        "sums": SumsReader,
        "hashkeeper": HashKeeperReader,
        "pdq": PdqReader,
        "vpdq": VpdqReader,
        "ncmec": NcmecReader,
    }
    if chosen not in readers:
        raise ValueError(f"unknown hash-set format {fmt!r}; choose from {', '.join(CLI_FORMATS)}")
    return readers[chosen](path)
