"""PDQ image-hash lists and vPDQ per-frame video hash files (Meta's reference tool outputs).

* PDQ, as Meta's ``pdq-photo-hasher`` prints it (``pdq/cpp/bin/pdq-photo-hasher.cpp``):
  ``<64 hex>,<quality 0-100>,<name>`` per line; with ``-d``/``--details``
  ``hash=<hex>,norm=<n>,delta=<n>,quality=<q>,filename=<name>``; with ``--pdqdih-across``
  the eight dihedral hashes then quality and name on one line (the first, the original
  orientation, is kept: Cumberland computes the variants of every query itself); with
  ``--pdqdih -d`` the ``hash=…,xform=…`` lines after each image's ``hash=…,quality=…`` line
  are those variants and are counted, not stored. The name is the rest of the line (it may
  contain commas). A bare ``<64 hex>`` line is accepted with quality unknown, since shared
  PDQ lists often carry the hash alone (auto-detection never guesses those: ``--format pdq``).
  An optional first line ``hash,quality[,…]`` is treated as a header.
* vPDQ: ``frame_number,quality,pdq_hex[,timestamp_seconds]`` per frame. One vPDQ file describes
  ONE video: ``info.properties['video']`` is the file's name, and each record is a frame with
  ``extra['frame']`` and (when present) ``extra['timestamp']``. A matcher must treat the records
  as a group, not as independent known images.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path

from ._text import TextReader, parse_int
from .base import HashRecord, HashSetError, HashSetFormat, HashSetInfo, Sample, opener, parse_hex

_HEADER_WORDS = {"hash", "pdq", "pdq_hash", "frame_number", "frame"}
_PDQ = re.compile(r"^[0-9A-Fa-f]{64},\s*\d{1,3}(,.*)?$", re.DOTALL)
_DETAILS = re.compile(r"^hash=[0-9A-Fa-f]{64}(,|$)")
_ACROSS = re.compile(r"^(?:[0-9A-Fa-f]{64},){8}\d{1,3}(,.*)?$", re.DOTALL)
_HEX64 = re.compile(r"^[0-9A-Fa-f]{64}$")
_VPDQ = re.compile(r"^\d+,\d{1,3},[0-9A-Fa-f]{64}(,[0-9.eE+-]*)?$")


_COLUMNS = {"quality": "quality", "filename": "name", "file_name": "name", "name": "name",
            "file": "name", "path": "name"}
"""Header names of a PDQ list's columns after the hash (others are kept out)."""


def _is_header(number: int, fields: list[str]) -> bool:
    return number == 1 and fields[0].strip().lower() in _HEADER_WORDS


class PdqReader(TextReader):
    """Streams a PDQ hash list; records carry ``pdq`` and ``pdq_quality`` (None if absent)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="pdq"))

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        variants = 0
        order = ["hash", "quality", "name"]  # a header may name other columns
        for number, line in lines:
            if not line.strip():
                continue
            location = f"line {number}"
            if line.startswith("hash="):
                record = self._details(line, location)
                if record is None:
                    variants += 1
                    self.info.notes["variants"] = (
                        f"{variants:,} dihedral variant lines (--pdqdih) not stored: the "
                        f"variants of every query are computed")
                    continue
                yield record
                continue
            if _is_header(number, line.split(",", 1)):
                order = ["hash", *(_COLUMNS.get(name.strip().lower(), "") for name in
                                   line.split(",")[1:])]
                if "name" not in order:  # the rest of a row is its name, as without a header
                    order.append("name")
                continue
            if _ACROSS.match(line):
                fields = line.split(",", 9)
                cells = {"hash": fields[0], "quality": fields[8], "name": fields[9]}
            else:
                cells = dict(zip(order, line.split(",", len(order) - 1), strict=False))
            record = HashRecord(pdq=parse_hex(cells["hash"], 32, self.label, location,
                                              "PDQ hash"))
            if "quality" in cells:
                record.pdq_quality = parse_int(cells["quality"], self.label, location,
                                               "quality", high=100)
            record.name = cells.get("name") or None
            yield record

    def _details(self, line: str, location: str) -> HashRecord | None:
        """A ``-d`` line (``key=value`` pairs, the file name last and possibly holding
        commas); None for a ``--pdqdih -d`` variant line (``xform=…``)."""
        head, found, name = line.partition(",filename=")
        pairs: dict[str, str] = {}
        for pair in head.split(","):
            key, equals, value = pair.partition("=")
            if not equals:
                raise HashSetError(self.label, location, f"not key=value: {pair[:40]!r}")
            pairs[key.strip()] = value
        if "xform" in pairs:
            return None
        record = HashRecord(pdq=parse_hex(pairs["hash"], 32, self.label, location, "PDQ hash"),
                            name=(name or None) if found else None)
        if "quality" in pairs:
            record.pdq_quality = parse_int(pairs["quality"], self.label, location, "quality",
                                           high=100)
        return record


class VpdqReader(TextReader):
    """Streams one video's vPDQ frame hashes (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="vpdq"))
        self.info.properties["video"] = self.path.name
        self.info.properties["one_video"] = True

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        for number, line in lines:
            if not line.strip():
                continue
            fields = line.split(",")
            if _is_header(number, fields):
                continue
            location = f"line {number}"
            if len(fields) not in (3, 4):
                raise HashSetError(
                    self.label,
                    location,
                    f"expected frame,quality,hash[,timestamp], got {line!r:.80}",
                )
            record = HashRecord(
                pdq=parse_hex(fields[2], 32, self.label, location, "PDQ hash"),
                pdq_quality=parse_int(fields[1], self.label, location, "quality", high=100),
                extra={"frame": parse_int(fields[0], self.label, location, "frame number")},
            )
            if len(fields) == 4 and fields[3].strip():
                record.extra["timestamp"] = self._timestamp(fields[3], location)
            yield record

    def _timestamp(self, text: str, location: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value < 0:
            raise HashSetError(self.label, location, f"timestamp is not seconds: {text[:40]!r}")
        return value


def _header(sample: Sample) -> tuple[list[str], str]:
    """The first line's fields lower-cased (a possible header) and the line after it."""
    fields = [field.strip().lower() for field in sample.first.split(",")]
    return fields, sample.lines[1] if len(sample.lines) > 1 else ""


def sniff_pdq(sample: Sample) -> bool:
    """A PDQ line, or a header that says PDQ (a ``pdq`` column, or ``hash`` with
    ``quality``) over a 64-hex line: a bare 64-hex line alone is never taken for PDQ."""
    first = sample.first
    if _PDQ.match(first) or _DETAILS.match(first) or _ACROSS.match(first):
        return True
    fields, second = _header(sample)
    says_pdq = fields[0] in ("pdq", "pdq_hash") or fields[:2] == ["hash", "quality"]
    return says_pdq and _HEX64.match(second.split(",", 1)[0].strip()) is not None


def sniff_vpdq(sample: Sample) -> bool:
    if _VPDQ.match(sample.first):
        return True
    fields, second = _header(sample)
    return fields[0] in ("frame_number", "frame") and _VPDQ.match(second) is not None


FORMAT = HashSetFormat(
    name="pdq",
    title="PDQ lists (Meta's `pdq-photo-hasher`)",
    accepts="`<hex>,<quality>,<name>`; `-d` lines `hash=…,norm=…,delta=…,quality=…,"
            "filename=…`; `--pdqdih-across` lines (the original orientation kept) and "
            "`--pdqdih -d` variant lines (counted, not stored); an optional `hash,quality` "
            "header; bare 64-hex lines only with `--format pdq`",
    open=opener(PdqReader),
    sniff=sniff_pdq,
)

VPDQ_FORMAT = HashSetFormat(
    name="vpdq",
    title="vPDQ frame hashes (Meta's `vpdq-hash-video`)",
    accepts="`frame_number,quality,<hex>[,timestamp_seconds]` per frame; one file is one video",
    open=opener(VpdqReader),
    sniff=sniff_vpdq,
)
