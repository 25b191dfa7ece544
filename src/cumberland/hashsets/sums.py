"""Checksum lists: md5sum / sha1sum / sha256sum (GNU and BSD), openssl dgst, md5deep output,
digest lists with a one-word header (X-Ways style) and bare digests.

Accepted lines (the digest length decides the algorithm: 32 MD5, 40 SHA-1, 64 SHA-256):

* ``<hex>  <name>`` (text mode), ``<hex> *<name>`` (binary mode), ``<hex> <name>`` (BSD ``-r``);
* ``MD5 (<name>) = <hex>`` (``--tag`` / BSD style; also OpenSSL's ``SHA256(<name>)= <hex>``);
* either form prefixed with ``\\``: GNU marks names holding ``\\\\``, ``\\n``, ``\\r`` escapes;
* md5deep/sha1deep/sha256deep output as md5deep's ``display.cpp`` writes it: ``-z`` puts the
  size first, right-aligned in ten columns (``{size:>10}  <hex>  <name>``), ``-c`` separates
  with commas (``<hex>,<name>``; with ``-z``: ``{size:>10}, <hex>,<name>``), ``-t`` adds the
  time (``<hex> YYYY:MM:DD:hh:mm:ss  <name>``), ``-k`` writes ``<hex> *<name>``;
* a bare digest with no name (lists exported from other tools, NSRLConvert-PY's text output);
* a first line naming the one algorithm of the whole list (``MD5``, ``SHA-1``, ``SHA-256``), as
  X-Ways hash-set text files carry; every digest must then be of that algorithm;
* blank lines.

Anything else, including digests of other lengths (SHA-512 …) and md5deep's piecewise
(``-p``) hashes of file pieces, is a HashSetError naming the line: a checksum file that
half-parses is more likely the wrong file than a useful one.

A file of bare 64-hex digests only is ambiguous (SHA-256 digests or PDQ hashes look the
same): auto-detection refuses it, and ``--format sha256`` (or ``--format pdq``) says which.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ._text import TextReader
from .base import (
    HashRecord,
    HashSetError,
    HashSetFormat,
    HashSetInfo,
    Sample,
    digest_field,
    opener,
    parse_hex,
)

_GNU = re.compile(r"^(\\?)([0-9A-Fa-f]+)(?: ([ *]?)(.*))?$", re.DOTALL)
_TAG = re.compile(r"^(\\?)([A-Za-z][A-Za-z0-9-]*) ?\((.*)\) ?= ?([0-9A-Fa-f]+)$", re.DOTALL)
_DEEP = re.compile(
    r"^(?: *(?P<size>\d{1,20})(?:  |, ))?(?P<digest>[0-9A-Fa-f]{32,64})"
    r"(?:[ ,](?P<time>\d{4}(?::\d\d){5}))?(?P<sep>  | \*|,)(?P<name>.*)$",
    re.DOTALL,
)
_PIECE = re.compile(r" offset \d+-\d+$")
_BARE_64 = re.compile(r"^[0-9A-Fa-f]{64}$")
_ALGORITHMS = {"MD5": "md5", "SHA1": "sha1", "SHA256": "sha256", "SHA2256": "sha256"}
_ESCAPE = re.compile(r"\\(.)", re.DOTALL)
_UNESCAPED = {"\\": "\\", "n": "\n", "r": "\r"}


def _unescape(name: str) -> str:
    """Undo GNU coreutils' escaping of ``\\``, newline and carriage return in file names."""
    return _ESCAPE.sub(lambda m: _UNESCAPED.get(m.group(1), m.group(0)), name)


def header_algorithm(line: str) -> str | None:
    """The algorithm a one-word header line names (``SHA-1``, ``"MD5"``, ``sha256``), if any."""
    word = line.strip().strip('"').upper().replace("-", "")
    return _ALGORITHMS.get(word) if word.isalnum() else None


def parse_sum_line(line: str, label: Path | str, number: int) -> HashRecord | None:
    """One checksum line to a record; None for a blank line; HashSetError otherwise."""
    if not line.strip():
        return None
    location = f"line {number}"
    deep = _DEEP.match(line)
    if deep and not (deep["size"] or deep["time"] or deep["sep"] == ","):
        deep = None  # plain ``<hex>  <name>``: the GNU reading below
    gnu = None if deep else _GNU.match(line)
    tag = None if deep or (gnu and digest_field(len(gnu.group(2)))) else _TAG.match(line)
    named: str | None = None  # the algorithm a tag line names
    if deep:
        escaped, digest, name = "", deep["digest"], deep["name"]
    elif tag:
        escaped, digest, name = tag.group(1), tag.group(4), tag.group(3)
        named = _ALGORITHMS.get(tag.group(2).upper().replace("-", ""))
        if named is None:
            raise HashSetError(label, location, f"unsupported algorithm {tag.group(2)!r}")
    elif gnu:
        escaped, digest, name = gnu.group(1), gnu.group(2), gnu.group(4)
    else:
        raise HashSetError(label, location, f"not a checksum line: {line[:80]!r}")
    algorithm = digest_field(len(digest))
    if named is not None and algorithm != named:
        raise HashSetError(
            label, location, f"{tag.group(2) if tag else named} digest has the wrong length "
                             f"({len(digest)})")
    if algorithm is None:
        raise HashSetError(
            label, location, f"digest of {len(digest)} hex digits is not MD5, SHA-1 or SHA-256"
        )
    name = name or ""
    if _PIECE.search(name):
        raise HashSetError(label, location, "a piecewise hash (md5deep -p) is of a piece of a "
                                            "file, not a file")
    record = HashRecord(name=(_unescape(name) if escaped else name) or None)
    if deep and deep["size"]:
        record.size = int(deep["size"])
    setattr(record, algorithm, parse_hex(digest, len(digest) // 2, label, location, algorithm))
    return record


class SumsReader(TextReader):
    """Streams a checksum list; mixed algorithms in one file are allowed unless a header
    line or ``only`` (the ``sha256`` format) names the one algorithm."""

    def __init__(self, path: Path | str, only: str | None = None) -> None:
        super().__init__(path, HashSetInfo(format=only or "sums"))
        self.only = only

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        only = self.only
        for number, line in lines:
            if number == 1 and (named := header_algorithm(line)):
                if only and named != only:
                    raise HashSetError(self.label, "line 1", f"header names {line.strip()!r}, "
                                                             f"not {only}")
                only = named
                self.info.properties["header"] = line.strip()
                continue
            record = parse_sum_line(line, self.label, number)
            if record is None:
                continue
            if only and getattr(record, only) is None:
                kind = next(k for k in ("md5", "sha1", "sha256") if getattr(record, k))
                raise HashSetError(self.label, f"line {number}",
                                   f"a {kind} digest in a list of {only} digests")
            yield record


def sniff(sample: Sample) -> bool:
    """A checksum line first (or an algorithm header, then one); refuses bare 64-hex lists."""
    header = bool(sample.lines) and header_algorithm(sample.first) is not None
    lines = sample.lines[1:] if header else sample.lines
    try:
        if not lines or parse_sum_line(lines[0], sample.path, 1 + header) is None:
            return False
    except HashSetError:
        return False
    if not header and all(_BARE_64.match(line.strip()) for line in lines):
        raise HashSetError(sample.path, "byte 0",
                           "bare 64-hex-digit lines could be PDQ hashes or SHA-256 digests: "
                           "say which with cumberland hashset import --format pdq or "
                           "--format sha256 (triage then uses the imported set)")
    return True


FORMAT = HashSetFormat(
    name="sums",
    title="md5sum / sha1sum / sha256sum, openssl dgst, md5deep, X-Ways-style lists",
    accepts="GNU `<hex>  <name>`, `<hex> *<name>`, `\\`-escaped names; BSD/`--tag` "
            "`MD5 (<name>) = <hex>` and openssl `SHA256(<name>)= <hex>`; md5deep "
            "(sha1deep, sha256deep) with `-z`, `-c`, `-t`, `-k`; a bare digest per line; a "
            "first line naming the algorithm (`MD5`, `SHA-1`, `SHA-256`). MD5, SHA-1 and "
            "SHA-256 only; md5deep piecewise (`-p`) refused; a file of bare 64-hex lines "
            "only is refused by auto-detection (use `pdq` or `sha256`)",
    open=opener(SumsReader),
    sniff=sniff,
    digest_only=True,
)

SHA256_FORMAT = HashSetFormat(
    name="sha256",
    title="SHA-256 digest lists",
    accepts="what `sums` accepts, every digest SHA-256: says that bare 64-hex lines are "
            "SHA-256 digests (never auto-detected)",
    open=opener(lambda path: SumsReader(path, only="sha256")),
    digest_only=True,
)
