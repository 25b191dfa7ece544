"""hashdeep / md5deep ``-c`` audit files.

Layout::

    %%%% HASHDEEP-1.0
    %%%% size,md5,sha256,filename
    ## Invoked from: /evidence
    ## $ hashdeep -c md5,sha256 -r .
    ##
    1234,<md5>,<sha256>,./photos/a,b.jpg

The second header line names the columns, which follow the algorithms chosen on the command
line. Rows are not quoted: the file name is always last and may itself contain commas, so each
row is split into at most ``len(columns)`` pieces. Digests Cumberland does not keep (tiger,
whirlpool, sha3 …) are skipped without validation. Concatenated outputs (a second header block
later in the file) are accepted.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ._text import TextReader, optional_int
from .base import HashRecord, HashSetError, HashSetFormat, HashSetInfo, Sample, opener, parse_hex

_MAGIC = "%%%% HASHDEEP-"
_COLUMNS = "%%%% "
_DIGESTS = {"md5": 16, "sha1": 20, "sha256": 32}


def _parse_columns(line: str, label: str, number: int) -> list[str]:
    columns = [c.strip().lower() for c in line[len(_COLUMNS) :].split(",")]
    if not columns or columns[-1] != "filename" or "filename" in columns[:-1]:
        raise HashSetError(label, f"line {number}", "column list must end with 'filename'")
    if not any(column in _DIGESTS for column in columns):
        raise HashSetError(label, f"line {number}", "no md5, sha1 or sha256 column")
    return columns


class HashdeepReader(TextReader):
    """Streams a hashdeep file; ``info.properties['columns']`` is the declared column list."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="hashdeep"))
        head = self._head(2)
        if not head or not head[0].startswith(_MAGIC):
            raise HashSetError(self.label, "line 1", f"missing {_MAGIC.strip()!r} header")
        if len(head) < 2 or not head[1].startswith(_COLUMNS):
            raise HashSetError(self.label, "line 2", "missing '%%%% <columns>' header")
        self.info.version = head[0][len(_MAGIC) :].strip() or None
        self.info.properties["columns"] = _parse_columns(head[1], self.label, 2)

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        columns: list[str] | None = None
        for number, line in lines:
            if line.startswith(_MAGIC):
                columns = None
                continue
            if line.startswith(_COLUMNS):
                columns = _parse_columns(line, self.label, number)
                continue
            if line.startswith("##") or not line.strip():
                continue
            if columns is None:
                raise HashSetError(self.label, f"line {number}", "row before the column header")
            yield self._row(columns, line, number)

    def _row(self, columns: list[str], line: str, number: int) -> HashRecord:
        location = f"line {number}"
        fields = line.split(",", len(columns) - 1)
        if len(fields) != len(columns):
            raise HashSetError(
                self.label, location, f"{len(fields)} fields, header declares {len(columns)}"
            )
        record = HashRecord(name=fields[-1] or None)
        for column, value in zip(columns[:-1], fields[:-1], strict=True):
            if column == "size":
                record.size = optional_int(value, self.label, location, "size")
            elif column in _DIGESTS:
                digest = parse_hex(value, _DIGESTS[column], self.label, location, column)
                setattr(record, column, digest)
        return record


def sniff(sample: Sample) -> bool:
    return sample.first.startswith(_MAGIC)


FORMAT = HashSetFormat(
    name="hashdeep",
    title="hashdeep / md5deep audit files",
    accepts="`%%%% HASHDEEP-1.0` and `%%%% size,<algorithms>,filename` headers, `##` comments, "
            "rows in the declared columns (MD5, SHA-1, SHA-256 kept; tiger, whirlpool, sha3 "
            "skipped), concatenated outputs",
    open=opener(HashdeepReader),
    sniff=sniff,
    digest_only=True,
)
