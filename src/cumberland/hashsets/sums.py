"""md5sum / sha1sum / sha256sum checksum lists (GNU and BSD-tag styles).

Accepted lines (the digest length decides the algorithm: 32 MD5, 40 SHA-1, 64 SHA-256):

* ``<hex>  <name>`` (text mode), ``<hex> *<name>`` (binary mode), ``<hex> <name>`` (BSD ``-r``);
* ``MD5 (<name>) = <hex>`` (``--tag`` / BSD style; also OpenSSL's ``SHA256(<name>)= <hex>``);
* either form prefixed with ``\\``: GNU marks names holding ``\\\\``, ``\\n``, ``\\r`` escapes;
* a bare digest with no name (lists exported from other tools);
* blank lines.

Anything else, including digests of other lengths (SHA-512 …), is a HashSetError naming the line:
a checksum file that half-parses is more likely the wrong file than a useful one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ._text import TextReader
from .base import HashRecord, HashSetError, HashSetInfo, digest_field, parse_hex

_GNU = re.compile(r"^(\\?)([0-9A-Fa-f]+)(?: ([ *]?)(.*))?$", re.DOTALL)
_TAG = re.compile(r"^(\\?)([A-Za-z][A-Za-z0-9-]*) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$", re.DOTALL)
_TAG_ALGORITHMS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA2256": "sha256"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPED = {"\\": "\\", "n": "\n", "r": "\r"}


def _unescape(name: str) -> str:
    """Undo GNU coreutils' escaping of ``\\``, newline and carriage return in file names."""
    return _ESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(0)), name)


def parse_sum_line(line: str, label: Path | str, number: int) -> HashRecord | None:
    """One checksum line to a record; None for a blank line; HashSetError otherwise."""
    if not line.strip():
        return None
    location = f"line {number}"
    gnu = _GNU.match(line)
    tag = None if gnu and digest_field(len(gnu.group(2))) else _TAG.match(line)
    if tag:
        escaped, digest, name = tag.group(1), tag.group(4), tag.group(3)
        algorithm = _TAG_ALGORITHMS.get(tag.group(2).upper().replace("-", ""))
        if algorithm is None:
            raise HashSetError(label, location, f"unsupported algorithm {tag.group(2)!r}")
        if digest_field(len(digest)) != algorithm:
            raise HashSetError(
                label, location, f"{tag.group(2)} digest has the wrong length ({len(digest)})"
            )
    elif gnu:
        escaped, digest, name = gnu.group(1), gnu.group(2), gnu.group(4)
        found = digest_field(len(digest))
        if found is None:
            raise HashSetError(
                label, location, f"digest of {len(digest)} hex digits is not MD5, SHA-1 or SHA-256"
            )
        algorithm = found
    else:
        raise HashSetError(label, location, f"not a checksum line: {line[:80]!r}")
    name = name or ""
    record = HashRecord(name=(_unescape(name) if escaped else name) or None)
    setattr(record, algorithm, parse_hex(digest, len(digest) // 2, label, location, algorithm))
    return record


class SumsReader(TextReader):
    """Streams a ``*sum`` output file; mixed algorithms in one file are allowed."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="sums"))

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        for number, line in lines:
            record = parse_sum_line(line, self.label, number)
            if record is not None:
                yield record
