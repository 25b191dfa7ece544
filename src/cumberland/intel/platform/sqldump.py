"""MySQL (mysqldump) and PostgreSQL (pg_dump, plain format) dump files, read without a server.

Only what carries rows is parsed: ``CREATE TABLE`` (for column names when an INSERT has no
column list), ``INSERT INTO t [(cols)] VALUES (...), (...);`` and PostgreSQL's ``COPY t
(cols) FROM stdin;`` blocks. Everything is read as bytes, so every row's byte offset in the
dump is exact; string values are decoded one by one in the mapping's encoding. MySQL strings
use backslash escapes; PostgreSQL's standard-conforming strings only double quotes. A dump
that stops inside a statement, or whose header promises a completion line that never comes,
is reported as truncated.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cumberland.intel.platform.mapping import Mapping, TableMap
from cumberland.intel.platform.readers import BadRow, DumpError, Item, Row

# (?!') : a string cut at a line end after a doubled quote must not match its first half.
_MYSQL_STRING = rb"'(?:[^'\\]|\\.|'')*'(?!')"
_PG_STRING = rb"'(?:[^']|'')*'(?!')"
_TOKEN = rb"\s*(?:(?P<s>%s)|(?P<n>NULL\b)|(?P<v>[^,()'\s;]+)|(?P<p>[(),;]))"
_MYSQL_TOKEN = re.compile(_TOKEN % _MYSQL_STRING, re.S | re.I)
_PG_TOKEN = re.compile(_TOKEN % _PG_STRING, re.S | re.I)
_INSERT = re.compile(rb"INSERT\s+(?:IGNORE\s+)?INTO\s+(?P<t>[^\s(]+)\s*(?:\((?P<c>[^)]*)\))?"
                     rb"\s*VALUES\s*", re.I)
_COPY = re.compile(rb"COPY\s+(?P<t>[^\s(]+)\s*(?:\((?P<c>[^)]*)\))?\s+FROM\s+stdin", re.I)
_CREATE = re.compile(rb"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?P<t>[^\s(]+)\s*\(", re.I)
_MYSQL_ESCAPES = {b"0": b"\0", b"n": b"\n", b"r": b"\r", b"t": b"\t", b"Z": b"\x1a",
                  b"b": b"\b"}
_BACKSLASH = re.compile(rb"\\(.)", re.S)
_COPY_ESCAPE = re.compile(rb"\\([0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)", re.S)
_COPY_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f",
                 b"v": b"\v"}
_NOT_COLUMNS = (b"PRIMARY", b"KEY", b"UNIQUE", b"CONSTRAINT", b"INDEX", b"FOREIGN",
                b"FULLTEXT", b"SPATIAL", b"CHECK", b"EXCLUDE")
_FOOTERS = {b"-- MySQL dump": b"-- Dump completed",
            b"-- PostgreSQL database dump": b"-- PostgreSQL database dump complete"}


def _name(raw: bytes) -> str:
    """Table or column name without quotes or schema: `users`, "public"."users" -> users."""
    last = raw.strip().rsplit(b".", 1)[-1]
    return last.strip(b'`"[] ').decode("utf-8", "replace")


def _columns(raw: bytes) -> list[str]:
    return [_name(c) for c in raw.split(b",") if c.strip()]


@dataclass(slots=True)
class _State:
    mapping: Mapping
    by_source: dict[str, TableMap]
    positions: dict[str, list[int]] = field(default_factory=dict)
    created: dict[str, list[str]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    postgres: bool = False

    def table(self, raw: bytes) -> TableMap | None:
        name = _name(raw)
        return self.by_source.get(name) or self.by_source.get(name.lower())

    def columns_of(self, table: TableMap, columns: list[str] | None, source: str) -> list[int]:
        """Positions of the mapped columns in this statement's column order."""
        names = columns or self.created.get(table.source) or self.created.get(
            table.source.lower())
        if names is None:
            raise DumpError(f"{source}: INSERT into {table.source} names no columns and no "
                            "CREATE TABLE came before it; map columns by a dump with both")
        out = []
        for fld, col in table.columns.items():
            if isinstance(col, int):
                out.append(col - 1)
            elif col in names:
                out.append(names.index(col))
            else:
                raise DumpError(f"{source}: the mapping's {table.name}.{fld} names column "
                                f"{col!r}, which table {table.source} does not have (columns: "
                                f"{', '.join(names)[:300]})")
        return out


class _Source:
    """Lines of the dump with their numbers and byte offsets."""

    def __init__(self, fh: IO[bytes], limit: int) -> None:
        self.fh, self.limit = fh, limit
        self.line = 0
        self.pos = 0
        self.last = b""

    def next(self) -> bytes:
        raw = self.fh.readline(self.limit + 1)
        if raw:
            self.line += 1
            self.pos += len(raw)
            self.last = raw
        return raw


def read_sql_dump(path: Path, mapping: Mapping) -> Iterator[tuple[TableMap, Item]]:
    by_source = {t.source: t for t in mapping.tables}
    for table in mapping.tables:
        by_source.setdefault(table.source.lower(), table)
    state = _State(mapping, by_source)
    footer_needed: bytes | None = None
    footer_seen = False
    source = str(path)
    with path.open("rb") as fh:
        src = _Source(fh, max(mapping.max_field_bytes, 1 << 20))
        while raw := src.next():
            start_line, start_byte = src.line, src.pos - len(raw)
            stripped = raw.lstrip()
            if src.line <= 5:
                for head, foot in _FOOTERS.items():
                    if stripped.startswith(head) and footer_needed is None:
                        footer_needed = foot
                        state.postgres = b"PostgreSQL" in head
            if stripped.startswith(b"SET standard_conforming_strings"):
                state.postgres = True
            if footer_needed and stripped.startswith(footer_needed):
                footer_seen = True
            head = stripped[:16].upper()
            if head.startswith(b"INSERT"):
                yield from _insert(state, src, raw, start_line, start_byte, source)
            elif head.startswith(b"COPY "):
                yield from _copy(state, src, raw, start_line, source)
            elif head.startswith(b"CREATE TABLE"):
                _create(state, src, raw)
    if footer_needed and not footer_seen:
        first = mapping.tables[0]
        yield first, BadRow(src.line, src.pos, "dump ends without its completion line "
                            f"({footer_needed.decode()} ...): truncated?")
    missing = [t.source for t in mapping.tables if t.source not in state.seen]
    if missing:
        raise DumpError(f"{path}: no rows for table(s) {', '.join(missing)} in this dump "
                        "(check the mapping's source names)")


def _create(state: _State, src: _Source, first: bytes) -> None:
    found = _CREATE.search(first)
    if not found:
        return
    body = first[found.end():]
    while not body.rstrip().endswith(b";") and (more := src.next()):
        body += more
    depth, part, parts = 0, b"", []
    for chunk in re.split(rb"([(),])", body):
        if chunk == b"(":
            depth += 1
        elif chunk == b")":
            depth -= 1
            if depth < 0:
                parts.append(part)
                break
        elif chunk == b"," and depth == 0:
            parts.append(part)
            part = b""
            continue
        part += chunk
    names = []
    for definition in parts:
        word = definition.strip().split(None, 1)
        if word and word[0].upper().strip(b'`"') not in _NOT_COLUMNS:
            names.append(_name(word[0]))
    state.created[_name(found.group("t"))] = names


def _decode(raw: bytes, postgres: bool) -> bytes:
    body = raw[1:-1].replace(b"''", b"'")
    if postgres or b"\\" not in body:
        return body
    return _BACKSLASH.sub(lambda m: _MYSQL_ESCAPES.get(m.group(1), m.group(1)), body)


def _insert(state: _State, src: _Source, buf: bytes, line: int, base: int,
            source: str) -> Iterator[tuple[TableMap, Item]]:
    found = _INSERT.search(buf)
    if not found:
        return
    table = state.table(found.group("t"))
    token = _PG_TOKEN if state.postgres else _MYSQL_TOKEN
    encoding = (table.encoding if table else None) or state.mapping.encoding
    positions: list[int] | None = None
    if table is not None:
        state.seen.add(table.source)
        columns = _columns(found.group("c")) if found.group("c") else None
        positions = state.columns_of(table, columns, source)
    pos = found.end()
    values: list[Any] = []
    tuple_at = pos
    depth = 0
    while True:
        match = token.match(buf, pos)
        if match is None:  # a string or the statement goes on in the next line
            more = src.next()
            if not more:
                if table is not None:
                    yield table, BadRow(line, base + tuple_at, "dump ends inside an INSERT "
                                        "statement (truncated?)")
                return
            if len(buf) > state.mapping.max_field_bytes * 4:
                if table is not None:
                    yield table, BadRow(line, base + tuple_at, "INSERT statement larger than "
                                        "max_field_bytes allows")
                return
            buf += more
            continue
        pos = match.end()
        if match.group("p"):
            mark = match.group("p")
            if mark == b"(":
                depth += 1
                values, tuple_at = [], match.start("p")
            elif mark == b")":
                depth -= 1
                if table is not None and positions is not None:
                    yield table, _tuple_row(values, positions, line, base + tuple_at,
                                            encoding, buf, tuple_at)
            elif mark == b";" and depth == 0:
                return
            continue
        if match.group("s") is not None:
            values.append(_decode(match.group("s"), state.postgres))
        elif match.group("n") is not None:
            values.append(None)
        else:
            values.append(match.group("v"))


def _tuple_row(values: list[Any], positions: list[int], line: int, byte: int, encoding: str,
               buf: bytes, offset: int) -> Item:
    row_line = line + buf.count(b"\n", 0, offset)
    out: list[Any] = []
    for i in positions:
        if i >= len(values):
            return BadRow(row_line, byte, f"{len(values)} values, too few for the mapping")
        value = values[i]
        if isinstance(value, bytes):
            try:
                value = value.decode(encoding)
            except UnicodeDecodeError:
                return BadRow(row_line, byte, f"text that is not valid {encoding}")
        out.append(value)
    return Row(row_line, byte, out)


def _copy(state: _State, src: _Source, first: bytes, line: int,
          source: str) -> Iterator[tuple[TableMap, Item]]:
    found = _COPY.search(first)
    table = state.table(found.group("t")) if found else None
    positions: list[int] | None = None
    if table is not None and found is not None:
        state.seen.add(table.source)
        columns = _columns(found.group("c")) if found.group("c") else None
        positions = state.columns_of(table, columns, source)
    encoding = (table.encoding if table else None) or state.mapping.encoding
    while raw := src.next():
        start = src.pos - len(raw)
        if raw.rstrip(b"\r\n") == b"\\.":
            return
        if table is None or positions is None:
            continue
        if not raw.endswith(b"\n"):
            yield table, BadRow(src.line, start, "dump ends inside a COPY block (truncated?)")
            return
        fields = raw.rstrip(b"\r\n").split(b"\t")
        row: list[Any] = []
        bad: str | None = None
        for i in positions:
            if i >= len(fields):
                bad = f"{len(fields)} fields, too few for the mapping"
                break
            value = fields[i]
            if value == b"\\N":
                row.append(None)
                continue
            if b"\\" in value:
                value = _COPY_ESCAPE.sub(_copy_escape, value)
            try:
                row.append(value.decode(encoding))
            except UnicodeDecodeError:
                bad = f"text that is not valid {encoding}"
                break
        yield table, (BadRow(src.line, start, bad) if bad else Row(src.line, start, row))
    if table is not None:
        yield table, BadRow(src.line, src.pos, "dump ends inside a COPY block (truncated?)")


def _copy_escape(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    if code[:1].isdigit():
        return bytes([int(code, 8) & 0xFF])
    if code[:1] == b"x" and len(code) > 1:
        return bytes([int(code[1:], 16)])
    return _COPY_ESCAPES.get(code, code)
