"""NIST NSRL Reference Data Set: RDS v2 text (plain or zipped) and RDS v3 SQLite.

RDS v2 ``NSRLFile.txt`` is quoted CSV with upper-case hex; two column orders exist, so columns
are looked up by name. Some releases hold file names that are not valid UTF-8: those lines are
read as latin-1. The zip is streamed member-wise, never extracted (releases are tens of GB).

RDS v3 is an SQLite database (``FILE`` table, ``DISTINCT_HASH`` view). It is opened through a
``file:…?mode=ro&immutable=1`` URI: no lock, no ``-shm`` or ``-wal`` file is ever created
beside it, so it reads from read-only media and never writes next to the user's copy. That
matters because tools that convert RDS v3 (NSRLConvert-PY sets ``journal_mode = WAL``) leave
the database in WAL mode, which a plain ``mode=ro`` open can only read by creating ``-shm``
beside it (and fails to, on read-only media). Immutable reading ignores a WAL or rollback
journal, so a database with a non-empty ``-wal``/``-journal`` beside it (changes not yet in
the main file) is refused with what to do about it. NIST also ships RDS v3 as a zip holding
a folder with the ``.db``, ``schema.sql`` and ``readme.txt``: SQLite needs a file, so the
``.db`` member is streamed into a private copy in the scratch folder the caller gives (inside
the workspace, never the system temporary directory) and removed when the reader closes.
Rows are pulled from a cursor one at a time. For index-only imports the digests are
also read in bulk (:meth:`NsrlSqliteReader.column_blocks`): a Python cursor costs about 1 us
per row on top of SQLite, so worker processes each read key ranges of SHA-256 (a seek in
the covering primary-key index) as one comma-joined string per digest column and range,
decoded with binascii and checked with numpy.
"""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import closing
from itertools import product
from pathlib import Path
from typing import IO

import numpy as np

from cumberland.errors import one_line

from ._text import CsvTableReader, csv_header, decode_line, optional_hex, optional_int
from .base import (
    HashRecord,
    HashSetError,
    HashSetFormat,
    HashSetInfo,
    ReaderBase,
    Sample,
    parse_hex,
)
from .columns import (
    KINDS,
    DigestBlock,
    Irregular,
    decode_hex_column,
    ordered_map,
    sorted_by_prefix,
)

MEMBER = "nsrlfile.txt"
SQLITE_MAGIC = b"SQLite format 3\x00"
ZIP_ERRORS: tuple[type[Exception], ...] = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    NotImplementedError,  # unsupported compression method
    RuntimeError,  # encrypted member
    ValueError,
    OSError,
    IndexError,  # zipfile on some truncated or odd central directories
    KeyError,
    OverflowError,
    struct.error,
)
SQLITE_ERRORS: tuple[type[Exception], ...] = (
    sqlite3.Error,
    UnicodeDecodeError,  # SQLite's own messages can quote undecodable bytes from a bad schema
    OverflowError,
)
BULK_ERRORS: tuple[type[Exception], ...] = (*SQLITE_ERRORS, UnicodeError)
_EXTRA = {"productcode": "product_code", "opsystemcode": "op_system_code"}
_HEX_CHARS = "0123456789ABCDEFabcdef"
RANGE_ROWS = 32_768  # rows aimed at per key range in the bulk path
RANGE_BYTES = 1 << 26  # longest string SQLite may build for one range: a skewed file fails fast
RANGES_PER_TASK = 32
_BULK = ("SELECT count(*), group_concat(sha256, ','), group_concat(sha1, ','), "
         "group_concat(md5, ',') FROM (SELECT DISTINCT sha256, sha1, md5 FROM FILE "
         "WHERE {where})")
_KINDS = ("sha256", "sha1", "md5")


def find_member(archive: zipfile.ZipFile) -> str | None:
    """The ``NSRLFile.txt`` member of an RDS zip (any folder, any case), if there is one."""
    for info in archive.infolist():
        if info.filename.replace("\\", "/").rsplit("/", 1)[-1].lower() == MEMBER:
            return info.filename
    return None


def find_database(archive: zipfile.ZipFile, label: Path | str) -> zipfile.ZipInfo | None:
    """The RDS v3 ``.db`` member of a zip in NIST's layout (a member whose bytes start as
    SQLite's do), if there is one; HashSetError when there are several."""
    found = []
    for info in archive.infolist():
        if info.filename.lower().endswith(".db") and not info.is_dir():
            with archive.open(info) as member:
                if member.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC:
                    found.append(info)
    if len(found) > 1:
        names = ", ".join(info.filename for info in found[:4])
        raise HashSetError(label, "byte 0", f"zip archive holds several RDS databases ({names}): "
                                            f"extract the one to import")
    return found[0] if found else None


def database_uri(path: Path | str) -> str:
    """How every connection opens an RDS v3 file: read-only, immutable (no lock, no files
    created beside it; see the module docstring)."""
    return Path(path).resolve().as_uri() + "?mode=ro&immutable=1"


def _check_no_pending_changes(path: Path, label: str) -> None:
    """Refuse a database whose WAL or rollback journal beside it holds changes: an immutable
    open would read the main file without them."""
    for suffix in ("-wal", "-journal"):
        beside = Path(f"{path}{suffix}")
        try:
            size = beside.stat().st_size
        except OSError:
            continue
        if size:
            raise HashSetError(
                label, "byte 0",
                f"{beside.name} beside it holds changes not yet in the database, and reading "
                f"them would mean writing beside the file: copy both to a writable folder and "
                f"run sqlite3 COPY.db 'PRAGMA wal_checkpoint(TRUNCATE)' on the copy, then "
                f"import the copy")


class NsrlTextReader(CsvTableReader):
    """RDS v2 ``NSRLFile.txt``, plain or inside a zip (pass the zip path)."""

    required = ("sha-1",)
    wrapped_errors = ZIP_ERRORS

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="nsrl", version="2"))
        self.member: str | None = None
        self.info.properties["container"] = "text"
        try:
            if zipfile.is_zipfile(self.path):
                with zipfile.ZipFile(self.path) as archive:
                    self.member = find_member(archive)
                if self.member is None:
                    raise HashSetError(self.path, "byte 0", "zip archive has no NSRLFile.txt")
                self.info.properties["container"] = "zip"
                self.info.properties["member"] = self.member
            self._header()
        except HashSetError:
            raise
        except ZIP_ERRORS as exc:
            if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
                raise
            raise HashSetError(self.label, "byte 0", one_line(exc)) from exc

    @property
    def label(self) -> str:
        member = getattr(self, "member", None)
        return f"{self.path}!{member}" if member else str(self.path)

    def _raw(self) -> IO[bytes]:
        if self.member is None:
            return open(self.path, "rb")
        with zipfile.ZipFile(self.path) as archive:
            # The member stream keeps the archive's file open after the ZipFile is closed.
            return archive.open(self.member)

    def _row(self, cells: dict[str, str], location: str) -> HashRecord | None:
        sha1 = optional_hex(cells, "sha-1", 20, self.label, location)
        md5 = optional_hex(cells, "md5", 16, self.label, location)
        if sha1 is None and md5 is None:
            return None
        return HashRecord(
            sha1=sha1,
            md5=md5,
            name=cells.get("filename") or None,
            size=optional_int(cells.get("filesize", ""), self.label, location, "FileSize"),
            extra={key: cells[column] for column, key in _EXTRA.items() if cells.get(column)},
        )


class NsrlSqliteReader(ReaderBase):
    """RDS v3: iterates ``DISTINCT_HASH`` when present (one row per hash triple), else ``FILE``."""

    wrapped_errors = SQLITE_ERRORS

    def __init__(self, path: Path | str, label: str | None = None) -> None:
        super().__init__(path, HashSetInfo(format="nsrl", version="3"))
        self._label = label
        self.info.properties["container"] = "sqlite"
        _check_no_pending_changes(self.path, self.label)
        try:
            with self._connect() as connection:
                names = {
                    str(name).upper()
                    for (name,) in connection.execute(
                        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
                    )
                }
        except SQLITE_ERRORS as exc:
            message = f"not a readable SQLite file: {one_line(exc)}"
            raise HashSetError(self.label, "byte 0", message) from exc
        self.has_file = "FILE" in names
        if "DISTINCT_HASH" in names:
            self.source = "DISTINCT_HASH"
        elif "FILE" in names:
            self.source = "FILE"
        else:
            raise HashSetError(self.label, "byte 0", "SQLite file has no DISTINCT_HASH or FILE")
        self.info.properties["source"] = self.source
        if "VERSION" in names:
            self._release()

    def _release(self) -> None:
        """NIST's release identity (VERSION table) into the set's properties, so a report
        can name the RDS release that declared files known-good."""
        try:
            with self._connect() as connection:
                cursor = connection.execute("SELECT * FROM VERSION LIMIT 1")
                row = cursor.fetchone()
                columns = [str(d[0]).lower() for d in cursor.description]
        except SQLITE_ERRORS:
            return  # an odd VERSION table does not stop an import of the hashes
        if row is not None:
            fields = dict(zip(columns, row, strict=True))
            self.info.properties["release"] = " ".join(
                str(fields[k]) for k in ("version", "build_set", "release_date")
                if fields.get(k) is not None)

    @property
    def label(self) -> str:
        return getattr(self, "_label", None) or str(self.path)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(database_uri(self.path), uri=True)
        connection.text_factory = decode_line  # non-UTF-8 file names must not abort an import
        return connection

    def _records(self) -> Iterator[HashRecord]:
        columns = "sha256, sha1, md5"
        if self.source == "FILE":
            columns += ", file_name, file_size, package_id"
        connection = self._connect()
        try:
            cursor = connection.execute(f"SELECT {columns} FROM {self.source}")
            for number, row in enumerate(cursor, 1):
                record = self._row(row, f"record {number}")
                if record is None:
                    self.skipped += 1
                else:
                    yield record
        finally:
            connection.close()

    def column_blocks(self, workers: int = 1) -> Iterator[DigestBlock]:
        """Every distinct SHA-256/SHA-1/MD5 triple of ``FILE`` in bulk, ordered by SHA-256,
        read by ``workers`` processes; raises Irregular for anything but three hex digests
        on every row. DISTINCT over the triple, not ``DISTINCT_HASH`` (which adds CRC32):
        the same set of digests, and SQLite walks it 30 % faster."""
        if not self.has_file:
            raise Irregular("no FILE table")
        try:
            with self._connect() as connection:
                if connection.execute(
                        "SELECT 1 FROM FILE WHERE sha256 IS NULL LIMIT 1").fetchone():
                    raise Irregular("a row has no SHA-256")
                sample = connection.execute(
                    "SELECT count(*) FROM FILE WHERE sha256 >= '00' AND sha256 < '01'"
                ).fetchone()[0]
        except SQLITE_ERRORS as exc:
            raise Irregular(one_line(exc)) from exc
        ranges = key_ranges(int(sample) * 256)
        tasks = [(str(self.path), ranges[lo:lo + RANGES_PER_TASK])
                 for lo in range(0, len(ranges), RANGES_PER_TASK)]
        first = 1
        for block in ordered_map(read_ranges, tasks, workers):
            yield block.renumbered(first)
            first += block.count

    def _digest(self, value: object, nbytes: int, location: str, what: str) -> bytes | None:
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            raise HashSetError(self.label, location, f"{what} is not text: {value!r:.80}")
        return parse_hex(value, nbytes, self.label, location, what)

    def _row(self, row: tuple[object, ...], location: str) -> HashRecord | None:
        record = HashRecord(
            sha256=self._digest(row[0], 32, location, "sha256"),
            sha1=self._digest(row[1], 20, location, "sha1"),
            md5=self._digest(row[2], 16, location, "md5"),
        )
        if not record.has_hash():
            return None
        if len(row) > 3:
            record.name = row[3] if isinstance(row[3], str) and row[3] else None
            size = row[4]
            if isinstance(size, int) and size >= 0:
                record.size = size
            elif isinstance(size, str) and size.strip():
                record.size = optional_int(size, self.label, location, "file_size")
            if row[5] is not None:
                record.extra["package_id"] = row[5]
        return record


Range = tuple[str | None, str | None]


def key_ranges(rows: int) -> list[Range]:
    """Half-open SHA-256 key ranges covering every value (hex of either case, and anything
    else between them), about RANGE_ROWS rows each for ``rows`` uniformly spread digests."""
    width = 2
    while rows > RANGE_ROWS * 16 ** width and width < 4:
        width += 1
    bounds = ["".join(p) for p in product(_HEX_CHARS, repeat=width)]
    bounds.sort()
    return list(zip([None, *bounds[1:]], [*bounds[1:], None], strict=True))


def read_ranges(path: str, ranges: list[Range]) -> DigestBlock:
    """One task: the rows of ``ranges``, in order, as one block (one SQLite connection)."""
    texts: list[list[str]] = [[], [], []]
    count = 0
    try:
        with closing(sqlite3.connect(database_uri(path), uri=True)) as connection:
            connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, RANGE_BYTES)
            for lo, hi in ranges:
                where = " AND ".join(
                    c for c in ("sha256 >= :lo" if lo else "", "sha256 < :hi" if hi else "") if c)
                found, *columns = connection.execute(
                    _BULK.format(where=where), {"lo": lo, "hi": hi}).fetchone()
                if found:
                    count += found
                    for text, column in zip(texts, columns, strict=True):
                        if column is None:
                            raise Irregular("a row lacks a digest")
                        text.append(column)
        digests = {}
        for kind, text in zip(_KINDS, texts, strict=True):
            column = decode_hex_column("".join(f"{t}," for t in text).encode("ascii"),
                                       KINDS[kind])
            if len(column) != count:  # a NULL digest leaves its row out of one column
                raise Irregular(f"a row lacks its {kind}")
            digests[kind] = column
    except BULK_ERRORS as exc:
        raise Irregular(one_line(exc)) from exc
    numbers = np.arange(1, count + 1, dtype=np.int64)
    rows = np.concatenate([digests[k] for k in _KINDS], axis=1)
    records = dict.fromkeys(_KINDS, numbers)
    for kind in ("sha1", "md5"):  # SHA-256 comes sorted already; the others, sorted here
        digests[kind], records[kind] = sorted_by_prefix(digests[kind], numbers)
    return DigestBlock(count, digests, records, hashlib.sha256(rows.tobytes()).digest())


class ZippedSqliteReader(NsrlSqliteReader):
    """RDS v3 from NIST's zip: the ``.db`` member streamed into a private copy in
    ``scratch`` (removed by :meth:`close`), read like any RDS v3 file; errors name
    ``archive.zip!folder/RDS.db``."""

    def __init__(self, archive: Path, member: zipfile.ZipInfo, scratch: Path) -> None:
        label = f"{archive}!{member.filename}"
        free = shutil.disk_usage(scratch).free
        if member.file_size > free:
            raise HashSetError(label, "byte 0", f"reading it needs a copy of "
                                                f"{member.file_size:,} bytes; the workspace has "
                                                f"{free:,} free")
        self.folder = Path(tempfile.mkdtemp(prefix="rds-", dir=scratch))
        try:
            copy = self.folder / "rds.db"
            with zipfile.ZipFile(archive) as zipped, zipped.open(member) as source, \
                    open(copy, "xb") as target:
                shutil.copyfileobj(source, target, 1 << 20)
            super().__init__(copy, label)
        except BaseException:
            self.close()
            raise
        self.info.properties.update({"container": "zip", "member": member.filename})
        self.archive = archive

    def close(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def open_nsrl(path: Path | str, scratch: Path | None = None) -> ReaderBase:
    """Pick the RDS v2 (text or zip) or v3 (SQLite, or SQLite in NIST's zip) reader by the
    file's bytes. A zipped RDS v3 needs ``scratch`` (a private folder to copy it into)."""
    path = Path(path)
    with open(path, "rb") as stream:
        magic = stream.read(len(SQLITE_MAGIC))
    if magic == SQLITE_MAGIC:
        return NsrlSqliteReader(path)
    if magic.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                database = None if find_member(archive) else find_database(archive, path)
        except ZIP_ERRORS as exc:
            if isinstance(exc, FileNotFoundError | PermissionError | IsADirectoryError):
                raise
            raise HashSetError(path, "byte 0", one_line(exc)) from exc
        if database is not None:
            if scratch is None:
                raise HashSetError(path, "byte 0", f"RDS v3 database {database.filename} inside "
                                                   f"a zip: import it into a workspace "
                                                   f"(cumberland hashset import), or extract it")
            return ZippedSqliteReader(path, database, scratch)
    return NsrlTextReader(path)


def sniff(sample: Sample) -> bool:
    """SQLite's magic, an RDS zip (NSRLFile.txt or a v3 ``.db``), or an RDS v2 CSV header."""
    if sample.head.startswith(SQLITE_MAGIC):
        return True
    if sample.head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(sample.path) as archive:
                if find_member(archive) or find_database(archive, sample.path):
                    return True
        except ZIP_ERRORS:
            pass
        raise HashSetError(sample.path, "byte 0",
                           "zip archive without NSRLFile.txt or an RDS v3 .db")
    first = sample.first
    return ('"' in first or "," in first) and "sha-1" in csv_header(first, sample.path)


FORMAT = HashSetFormat(
    name="nsrl",
    title="NIST NSRL RDS",
    accepts="RDS v2 `NSRLFile.txt` (both column orders, CRLF, latin-1 names, UTF-16 with a "
            "BOM), plain or zipped (any folder); RDS v3 SQLite (`DISTINCT_HASH` or `FILE`, "
            "WAL mode included, opened immutable: nothing is written beside it), plain or in "
            "NIST's zip (the `.db` copied into the workspace to be read); a `-wal` or "
            "`-journal` holding changes is refused",
    open=open_nsrl,
    sniff=sniff,
    digest_only=True,
)
