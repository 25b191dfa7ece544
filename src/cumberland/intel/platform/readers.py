"""Rows out of a dump: CSV and JSON Lines files, a SQLite database, a SQL dump file.

Every reader streams (nothing is loaded whole), opens the evidence read-only and yields, per
mapped table, either a ``Row`` (its line or rowid, byte offset, the mapped columns' values in
``TableMap.columns`` order) or a ``BadRow`` (where and why), so the importer decides between
stopping and counting. A fault that makes the rest unreadable, or a mapping naming a column
the table lacks, raises ``DumpError``.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from cumberland.intel.platform.mapping import Mapping, TableMap


class DumpError(ValueError):
    """The dump (or the mapping against it) cannot be read on: one line, with where."""


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    byte: int | None
    values: list[Any]


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    byte: int | None
    reason: str


Item = Row | BadRow
SQLITE_MAGIC = b"SQLite format 3\x00"


def where(source: str, line: int, byte: int | None, unit: str = "line") -> str:
    return f"{source}: {unit} {line:,}" + (f", byte {byte:,}" if byte is not None else "")


def detect_format(path: Path, table: TableMap | None = None) -> str:
    """csv, jsonl, sqlite or sql: declared in the mapping, else from the bytes and name."""
    if table is not None and table.format:
        return table.format
    if path.is_dir():
        raise DumpError(f"{path}: a folder; its tables are files named by each table's source")
    with path.open("rb") as fh:
        head = fh.read(4096)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".sql" or head.lstrip().startswith((b"--", b"/*", b"SET ", b"CREATE ")):
        return "sql"
    return "csv"


class _Oversize(Exception):
    pass


class _Lines:
    """Decoded lines of a binary file for the csv module, with line numbers, byte offsets
    and the lines whose bytes were not valid in the encoding."""

    def __init__(self, fh: IO[bytes], encoding: str, limit: int) -> None:
        self.fh, self.encoding, self.limit = fh, encoding, limit
        self.line = 0
        self.pos = 0
        self.bad: dict[int, int] = {}  # line -> byte offset of the first undecodable byte

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        start = self.pos
        raw = self.fh.readline(self.limit + 1)
        if not raw:
            raise StopIteration
        self.line += 1
        self.pos += len(raw)
        if len(raw) > self.limit and not raw.endswith(b"\n"):
            while chunk := self.fh.readline(1 << 20):  # drop the rest of the line
                self.pos += len(chunk)
                if chunk.endswith(b"\n"):
                    break
            raise _Oversize()
        if self.line == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            return raw.decode(self.encoding)
        except UnicodeDecodeError as exc:
            self.bad[self.line] = start + exc.start
            return raw.decode(self.encoding, "replace")


def _positions(table: TableMap, header: list[str] | None, source: str) -> list[int]:
    out = []
    for fld, col in table.columns.items():
        if isinstance(col, int):
            out.append(col - 1)
            continue
        if header is None or col not in header:
            have = ", ".join(header or [])
            raise DumpError(f"{source}: the mapping's {table.name}.{fld} names column {col!r}, "
                            f"which is not there (columns: {have[:300]})")
        out.append(header.index(col))
    return out


def read_csv(path: Path, table: TableMap, mapping: Mapping) -> Iterator[Item]:
    encoding = table.encoding or mapping.encoding
    if encoding.startswith(("utf-16", "utf-32")):
        raise DumpError(f"{path}: {encoding} files are not line-oriented; convert to UTF-8")
    csv.field_size_limit(max(mapping.max_field_bytes, csv.field_size_limit()))
    with path.open("rb") as fh:
        lines = _Lines(fh, encoding, mapping.max_field_bytes)
        positions: list[int] | None = None if table.header else _positions(table, None, "")
        width = 0
        while True:
            reader = csv.reader(lines, delimiter=table.delimiter, strict=True)
            try:
                for row in _csv_rows(reader, lines, table, str(path), positions, width):
                    if isinstance(row, list):  # the header
                        positions, width = _positions(table, row, str(path)), len(row)
                        continue
                    yield row
                return
            except _Oversize:
                yield BadRow(lines.line, lines.pos, f"line longer than "
                             f"{mapping.max_field_bytes:,} bytes (max_field_bytes)")
            except csv.Error as exc:
                reason = str(exc)
                if "unexpected end of data" in reason or "EOF" in reason:
                    yield BadRow(lines.line, lines.pos, "file ends inside a quoted field "
                                 "(truncated?)")
                    return
                yield BadRow(lines.line, None, f"malformed CSV: {reason}")


def _csv_rows(reader: Any, lines: _Lines, table: TableMap, source: str,
              positions: list[int] | None, width: int) -> Iterator[Row | BadRow | list[str]]:
    while True:
        start_line, start_byte = lines.line + 1, lines.pos
        try:
            fields = next(reader)
        except StopIteration:
            return
        if lines.bad and any(start_line <= n <= lines.line for n in lines.bad):
            at = next(lines.bad[n] for n in sorted(lines.bad) if n >= start_line)
            lines.bad.clear()
            yield BadRow(start_line, at, f"bytes that are not valid {lines.encoding} at byte "
                         f"{at:,} (set the mapping's encoding)")
            continue
        if positions is None:
            yield fields
            positions = _positions(table, fields, source)
            width = len(fields)
            continue
        if not fields:
            continue
        if width and len(fields) != width:
            yield BadRow(start_line, start_byte, f"{len(fields)} fields where the header has "
                         f"{width}")
            continue
        yield Row(start_line, start_byte,
                  [fields[i] if i < len(fields) and fields[i] != "" else None
                   for i in positions])


def read_jsonl(path: Path, table: TableMap, mapping: Mapping) -> Iterator[Item]:
    encoding = table.encoding or mapping.encoding
    keys = [str(c) for c in table.columns.values()]
    seen: set[str] = set()
    rows = 0
    limit = mapping.max_field_bytes
    with path.open("rb") as fh:
        line = pos = 0
        while raw := fh.readline(limit + 1):
            line += 1
            start, pos = pos, pos + len(raw)
            if len(raw) > limit and not raw.endswith(b"\n"):
                while chunk := fh.readline(1 << 20):
                    pos += len(chunk)
                    if chunk.endswith(b"\n"):
                        break
                yield BadRow(line, start, f"line longer than {limit:,} bytes (max_field_bytes)")
                continue
            if not raw.strip():
                continue
            try:
                record = json.loads(raw.decode(encoding))
            except UnicodeDecodeError as exc:
                yield BadRow(line, start + exc.start, f"bytes that are not valid {encoding}")
                continue
            except json.JSONDecodeError as exc:
                cut = not raw.endswith(b"\n")
                yield BadRow(line, start + exc.pos, "line ends inside a JSON value (truncated?)"
                             if cut else f"malformed JSON: {exc.msg}")
                continue
            if not isinstance(record, dict):
                yield BadRow(line, start, "not a JSON object")
                continue
            rows += 1
            seen.update(k for k in keys if k in record)
            yield Row(line, start, [_json_value(record.get(k)) for k in keys])
    missing = [k for k in keys if k not in seen]
    if rows and missing:
        raise DumpError(f"{path}: the mapping names key(s) {', '.join(map(repr, missing))} that "
                        f"no record of {table.name} has")


def _json_value(value: Any) -> Any:
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return None if value == "" else value


def read_sqlite(path: Path, table: TableMap, mapping: Mapping) -> Iterator[Item]:
    """Rows in rowid order; the database is opened read-only and immutable (no journal or
    lock file is created beside the evidence)."""
    encoding = table.encoding or mapping.encoding
    uri = f"file:{path.resolve().as_posix()}?mode=ro&immutable=1"
    try:
        db = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise DumpError(f"{path}: cannot open as SQLite: {exc}") from None
    db.text_factory = bytes
    with closing(db):
        try:
            info = db.execute(f'PRAGMA table_info("{table.source}")').fetchall()
        except sqlite3.DatabaseError as exc:
            raise DumpError(f"{path}: not a readable SQLite database: {exc}") from None
        if not info:
            raise DumpError(f"{path}: no table {table.source!r} (mapping {table.name})")
        names = [r[1].decode() if isinstance(r[1], bytes) else r[1] for r in info]
        positions = _positions(table, names, f"{path} table {table.source}")
        cols = ", ".join(f'"{names[i]}"' for i in positions)
        try:
            cursor = db.execute(f'SELECT rowid, {cols} FROM "{table.source}" ORDER BY rowid')
            while batch := cursor.fetchmany(10_000):
                for rowid, *values in batch:
                    try:
                        yield Row(rowid, None, [v.decode(encoding) if isinstance(v, bytes)
                                                else v for v in values])
                    except UnicodeDecodeError as exc:
                        yield BadRow(rowid, None, f"text that is not valid {encoding} "
                                     f"({exc.reason})")
        except sqlite3.DatabaseError as exc:
            raise DumpError(f"{path}: reading {table.source} failed ({exc}); the database is "
                            "damaged or truncated") from None


def iter_dump(path: Path, mapping: Mapping) -> Iterator[tuple[TableMap, str, Item]]:
    """(table, the file the row is in, row) for every mapped table of the dump at ``path``: a
    folder of CSV/JSON Lines files, one such file (mapping with one table), a SQLite file,
    or a SQL dump."""
    from cumberland.intel.platform.sqldump import read_sql_dump

    if path.is_dir():
        for table in mapping.tables:
            file = path / table.source
            if not file.is_file():
                raise DumpError(f"{file}: no such file (source of table {table.name})")
            yield from _single(file, table, mapping)
        return
    if not path.is_file():
        raise DumpError(f"{path}: no such file or folder")
    fmt = detect_format(path)
    if fmt == "sqlite":
        for table in mapping.tables:
            for row in read_sqlite(path, table, mapping):
                yield table, str(path), row
    elif fmt == "sql":
        for table, row in read_sql_dump(path, mapping):
            yield table, str(path), row
    else:
        if len(mapping.tables) != 1:
            raise DumpError(f"{path}: one {fmt} file holds one table, but the mapping has "
                            f"{len(mapping.tables)}; pass the folder holding all of them")
        yield from _single(path, mapping.tables[0], mapping)


def _single(file: Path, table: TableMap, mapping: Mapping) -> Iterator[tuple[TableMap, str,
                                                                          Item]]:
    fmt = detect_format(file, table)
    reader = {"csv": read_csv, "jsonl": read_jsonl, "sqlite": read_sqlite}.get(fmt)
    if reader is None:
        raise DumpError(f"{file}: a SQL dump inside a folder; pass the dump file itself")
    for row in reader(file, table, mapping):
        yield table, str(file), row
