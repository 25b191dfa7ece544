"""HashKeeper ``.hsh`` lists (the US NDIC format some older known-file sets still ship in).

Header (quoted CSV)::

    "file_id","hashset_id","file_name","directory","hash","file_size","date_modified",
    "time_modified","time_zone","comments","date_accessed","time_accessed"

``hash`` is an MD5. Columns are found by name; only ``hash`` is required.
"""

from __future__ import annotations

from pathlib import Path

from ._text import CsvTableReader, csv_header, optional_hex, optional_int
from .base import HashRecord, HashSetFormat, HashSetInfo, Sample, opener

_EXTRA = ("file_id", "hashset_id", "directory", "comments")


class HashKeeperReader(CsvTableReader):
    """Streams a HashKeeper file; rows with an empty ``hash`` are counted in ``skipped``."""

    required = ("hash",)

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="hashkeeper"))
        self._header()

    def _row(self, cells: dict[str, str], location: str) -> HashRecord | None:
        md5 = optional_hex(cells, "hash", 16, self.label, location)
        if md5 is None:
            return None
        return HashRecord(
            md5=md5,
            name=cells.get("file_name") or None,
            size=optional_int(cells.get("file_size", ""), self.label, location, "file_size"),
            extra={key: cells[key] for key in _EXTRA if cells.get(key)},
        )


def sniff(sample: Sample) -> bool:
    return {"hash", "file_id", "hashset_id"} <= csv_header(sample.first, sample.path).keys()


FORMAT = HashSetFormat(
    name="hashkeeper",
    title="HashKeeper `.hsh`",
    accepts="quoted CSV with a header naming `file_id`, `hashset_id` and `hash` (MD5); other "
            "columns found by name",
    open=opener(HashKeeperReader),
    sniff=sniff,
    digest_only=True,
)
