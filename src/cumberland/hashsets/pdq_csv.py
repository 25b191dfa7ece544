"""PDQ image-hash lists and vPDQ per-frame video hash files (Meta's reference tool outputs).

* PDQ (``pdq-photo-hasher``): ``<64 hex>,<quality 0-100>[,<name>]`` per line. The name is the
  rest of the line (it may contain commas). A bare ``<64 hex>`` line is accepted with quality
  unknown, since shared PDQ lists often carry the hash alone. An optional first line
  ``hash,quality[,…]`` is treated as a header.
* vPDQ: ``frame_number,quality,pdq_hex[,timestamp_seconds]`` per frame. One vPDQ file describes
  ONE video: ``info.properties['video']`` is the file's name, and each record is a frame with
  ``extra['frame']`` and (when present) ``extra['timestamp']``. A matcher must treat the records
  as a group, not as independent known images.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

from ._text import TextReader, parse_int
from .base import HashRecord, HashSetError, HashSetInfo, parse_hex

_HEADER_WORDS = {"hash", "pdq", "pdq_hash", "frame_number", "frame"}


def _is_header(number: int, fields: list[str]) -> bool:
    return number == 1 and fields[0].strip().lower() in _HEADER_WORDS


class PdqReader(TextReader):
    """Streams a PDQ hash list; records carry ``pdq`` and ``pdq_quality`` (None if absent)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="pdq"))

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        for number, line in lines:
            if not line.strip():
                continue
            fields = line.split(",", 2)
            if _is_header(number, fields):
                continue
            location = f"line {number}"
            record = HashRecord(pdq=parse_hex(fields[0], 32, self.label, location, "PDQ hash"))
            if len(fields) > 1:
                record.pdq_quality = parse_int(fields[1], self.label, location, "quality", high=100)
            if len(fields) > 2:
                record.name = fields[2] or None
            yield record


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
