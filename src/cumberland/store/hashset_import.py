"""Hash-set files into the store: streamed, atomic, and skipped when already imported unchanged.

The whole import is one transaction, so a file that turns out malformed halfway leaves no
trace; the reader's HashSetError (file and line/offset in one line) reaches the caller.

Two storages. ``entries``: a ``hash_entries`` row per record (categories, names, PDQ,
PhotoDNA: what alert matches show). ``index``: digests only, straight into a per-set digest
index (index/sets.py) with no row per record; the default for known-good sets of the
digest-only formats, where ~74 M NSRL rows would otherwise cost hours and gigabytes of
rows nobody reads. The set row commits only after its index is complete, naming the
index folder, so a failed import leaves nothing live.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from cumberland.hashsets.base import HashRecord, HashSetError, ReaderBase
from cumberland.hashsets.columns import BulkDigests, Irregular, blocks_from_records
from cumberland.hashsets.detect import detect_format, open_reader
from cumberland.hashsets.formats import BY_NAME, CLI_FORMATS, digest_only
from cumberland.index.sets import SetIndexBuilder, sweep
from cumberland.records import Purpose, Storage
from cumberland.store.models import HashSet
from cumberland.store.sql import param_marker
from cumberland.store.workspace import Workspace

PURPOSES = tuple(Purpose)
STORAGES = tuple(Storage)
BATCH = 20_000


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    hashset_id: int
    name: str
    entries: int
    skipped_records: int
    unchanged: bool
    storage: str = "entries"
    notes: tuple[str, ...] = ()
    """What reading left out or changed (strings cut, signal types skipped)."""


def file_sha256(path: Path) -> tuple[bytes, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
            size += len(block)
    return digest.digest(), size


_COLUMNS = ("hashset_id", "md5", "sha1", "sha256", "pdq", "pdq_quality", "photodna",
            "category", "name")


def _row(set_id: int, rec: HashRecord) -> tuple[Any, ...]:
    return (set_id, rec.md5, rec.sha1, rec.sha256, rec.pdq, rec.pdq_quality, rec.photodna,
            rec.category, rec.name)


def _insert_entries(conn: Connection, rows: list[tuple[Any, ...]],
                    progress: Callable[[int], None]) -> int:
    """Straight to the DB driver: SQLAlchemy's per-row parameter processing cost about as much
    as parsing the file (the values are already plain bytes, ints and str)."""
    if rows:
        marker = param_marker(conn)
        sql = (f"INSERT INTO hash_entries ({', '.join(_COLUMNS)}) "
               f"VALUES ({', '.join([marker] * len(_COLUMNS))})")
        conn.exec_driver_sql(sql, rows)
        progress(len(rows))
    return len(rows)


def set_index_root(ws: Workspace) -> Path:
    return ws.root / "index" / "sets"


def storage_of(properties: dict[str, Any] | None) -> str:
    """How a set row keeps its records: ``entries`` (rows; also sets from before storages)
    or ``index`` (digests only, in the folder ``properties["index"]`` names)."""
    return str((properties or {}).get("storage", "entries"))


def set_facts(row: Any) -> dict[str, Any]:
    """What every surface says about a hash set (report.json, report.html, the PDF,
    ``hashset list --json``): its RDS release where NIST's VERSION table named one, and its
    stored SHA-256 named ``<of>_sha256`` for what it is of (``sha256_of``): the imported
    ``file`` itself; for an index-only bulk read of RDS v3 a fingerprint of the ``digests``
    (SHA-256 over each block's SHA-256 of its records' SHA-256, SHA-1 and MD5, in SHA-256
    order: hashing a 150 GB file would take longer than reading its digests), which differs
    whenever the digests differ and is the same for two files holding the same digests;
    for a reference library, its ``media`` (their SHA-256s)."""
    props = row.properties or {}
    of = "media" if row.format == "library" else str(props.get("sha256_of", "file"))
    return {"name": row.name, "purpose": row.purpose, "format": row.format,
            "version": row.version, "category_scheme": row.category_scheme,
            "entries": row.entry_count, "storage": storage_of(props),
            "release": props.get("release"), "sha256_of": of,
            f"{of}_sha256": row.file_sha256.hex(),
            "source": row.source_path}


def index_sets(conn: Connection) -> list[tuple[int, str, str]]:
    """(set id, name, index folder token) of every committed index-only set."""
    return [(r.id, r.name, str(r.properties["index"])) for r in conn.execute(
        select(HashSet.id, HashSet.name, HashSet.properties))
        if storage_of(r.properties) == "index"]


def live_set_indexes(ws: Workspace) -> set[str]:
    """Tokens of the index folders committed set rows name."""
    with ws.engine.connect() as conn:
        return {token for _, _, token in index_sets(conn)}


def sweep_set_indexes(ws: Workspace) -> list[str]:
    """Remove what killed index-only imports left (folders, lock files): at every start."""
    return sweep(set_index_root(ws), lambda: live_set_indexes(ws))


def _storage(requested: str, purpose: str, fmt: str) -> str:
    if requested not in STORAGES:
        raise ValueError(f"storage must be one of {', '.join(STORAGES)}, not {requested!r}")
    if requested == "auto":
        return Storage.INDEX if purpose == Purpose.IGNORE and digest_only(fmt) else Storage.ENTRIES
    if requested == "index" and not digest_only(fmt):
        raise ValueError(f"index storage keeps digests only; {fmt} sets carry categories or "
                         f"perceptual hashes (use --storage entries)")
    return requested


def import_hashset(
    ws: Workspace,
    path: Path | str,
    name: str | None = None,
    purpose: str = Purpose.ALERT,
    fmt: str = "auto",
    category_scheme: str | None = None,
    storage: str = "auto",
    workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> ImportOutcome:
    """Import ``path`` as set ``name`` (default: the file name); replace it if it changed.

    A file at the same path with the same size and modification time as last imported is
    taken as unchanged without reading it (a 150 GB RDS would otherwise be re-read on every
    triage run), in the format it was imported as (so ``triage --hashset`` takes a list
    imported once with ``--format pdq``); otherwise the set's SHA-256 decides. ``workers``
    (0: one per core) read an index-storage RDS v3 file in parallel; ``progress`` hears how
    many records each step stored (a 74 M-record set takes minutes)."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    sweep_set_indexes(ws)
    if fmt != "auto" and fmt not in BY_NAME:
        raise ValueError(f"unknown hash-set format {fmt!r}; choose from {', '.join(CLI_FORMATS)}")
    path = Path(path)
    name = name or path.name
    with ws.engine.connect() as conn:
        existing = conn.execute(select(HashSet).where(HashSet.name == name)).first()
    info = path.stat()
    stat = [info.st_size, info.st_mtime_ns]
    props = dict(existing.properties or {}) if existing is not None else {}
    if fmt == "auto":  # the format it was imported as, if it is that file, untouched
        untouched = existing is not None and (existing.source_path, props.get("stat")) == (
            str(path), stat)
        fmt = existing.format if untouched and existing is not None else detect_format(path)
    chosen = _storage(storage, purpose, fmt)
    same = existing is not None and existing.purpose == purpose and storage_of(props) == chosen
    if same and existing is not None and (existing.source_path, props.get("stat")) == (
            str(path), stat):
        return _unchanged(existing, chosen)
    with _scratch(ws) as scratch, open_reader(path, fmt, scratch) as reader:
        facts: dict[str, Any] = {
            "name": name, "purpose": purpose, "format": reader.info.format,
            "version": reader.info.version, "source_path": str(path), "file_size": stat[0],
            "imported_at": time.time(),
            "category_scheme": category_scheme or reader.info.category_scheme}

        def unchanged(digest: bytes) -> bool:
            """Record the set's SHA-256; True when it is the set already imported (the file
            was touched or copied), whose row then remembers the new path and stat."""
            facts["file_sha256"] = digest
            if not same or existing is None or existing.file_sha256 != digest:
                return False
            with ws.engine.begin() as conn:
                conn.execute(update(HashSet).where(HashSet.id == existing.id).values(
                    properties={**props, "stat": stat}, source_path=str(path)))
            return True

        told = progress or (lambda _count: None)
        if chosen == "index":
            outcome = _import_index(ws, reader, facts, stat, unchanged,
                                    workers or len(os.sched_getaffinity(0)), told)
        elif unchanged(file_sha256(path)[0]):
            outcome = None
        else:
            outcome = _import_entries(ws, reader, facts, stat, told)
    if outcome is None:
        assert existing is not None
        return _unchanged(existing, chosen)
    sweep(set_index_root(ws), lambda: live_set_indexes(ws))  # a replaced set's old index
    return outcome


SCRATCH = "tmp"
"""The workspace folder that private copies of evidence-derived files go in (a zipped RDS
v3 database while it is read): never the system temporary directory."""


@contextmanager
def _scratch(ws: Workspace) -> Iterator[Path]:
    """A private folder in the workspace for this import, removed on every way out; folders
    of imports whose process is gone (killed) are removed first."""
    root = ws.root / SCRATCH
    root.mkdir(mode=0o700, exist_ok=True)
    for stale in root.glob("hashset-*"):
        if not _alive(stale.name.split("-")[1] if stale.name.count("-") else ""):
            shutil.rmtree(stale, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"hashset-{os.getpid()}-", dir=root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: str) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ValueError, ProcessLookupError):
        return False
    except PermissionError:
        return True
    return True


def _unchanged(existing: Any, storage: str) -> ImportOutcome:
    return ImportOutcome(existing.id, existing.name, existing.entry_count,
                         existing.skipped_count, True, storage)


def _replace(conn: Connection, facts: dict[str, Any], count: int, skipped: int,
             properties: dict[str, Any]) -> int:
    conn.execute(delete(HashSet).where(HashSet.name == facts["name"]))
    return int(conn.execute(insert(HashSet).values(
        **facts, entry_count=count, skipped_count=skipped, properties=properties,
    ).returning(HashSet.id)).scalar_one())


def _import_index(ws: Workspace, reader: ReaderBase, facts: dict[str, Any], stat: list[int],
                  unchanged: Callable[[bytes], bool], workers: int,
                  progress: Callable[[int], None]) -> ImportOutcome | None:
    """Digests into a fresh per-set index; the set row (naming it) commits last. None when
    the set turns out to be the one already imported (the new index is dropped).

    A bulk read identifies the set by a SHA-256 of what it imported (over each block's
    SHA-256 of its records' SHA-256, SHA-1 and MD5, blocks in SHA-256 order): hashing a
    150 GB RDS file would take longer than reading its 74 M digests. The record walk
    hashes the file itself."""
    with SetIndexBuilder(set_index_root(ws)) as builder:
        sha256_of = "file"
        if isinstance(reader, BulkDigests):
            content = hashlib.sha256()
            try:
                for block in reader.column_blocks(workers):
                    content.update(block.fingerprint)
                    builder.add(block)
                    progress(block.count)
                sha256_of = "digests"
            except Irregular:  # the record walk below names the fault exactly, or skips it
                progress(-builder.count)  # what the bulk read counted is void
                builder.restart()
        if sha256_of == "file":
            for block in blocks_from_records(reader):
                builder.add(block)
                progress(block.count)
        count = builder.finish()
        skipped = _usable(reader, count)
        digest = content.digest() if sha256_of == "digests" else file_sha256(Path(
            facts["source_path"]))[0]
        if unchanged(digest):
            return None
        properties = {**_properties(reader), "storage": "index",
                      "index": builder.token, "stat": stat, "sha256_of": sha256_of}
        with ws.engine.begin() as conn:
            set_id = _replace(conn, facts, count, skipped, properties)
        builder.keep()
    return ImportOutcome(set_id, facts["name"], count, skipped, False, "index",
                         tuple(reader.info.notes.values()))


def _import_entries(ws: Workspace, reader: ReaderBase, facts: dict[str, Any],
                    stat: list[int], progress: Callable[[int], None]) -> ImportOutcome:
    """A hash_entries row per record, all in one transaction."""
    with ws.engine.begin() as conn:
        set_id = _replace(conn, facts, 0, 0, {})
        count = removed = 0
        rows: list[tuple[Any, ...]] = []
        for record in reader:
            if record.extra.get("deleted"):  # NCMEC deletedImage: a withdrawal, not an entry
                removed += 1
                continue
            rows.append(_row(set_id, record))
            if len(rows) >= BATCH:
                count += _insert_entries(conn, rows, progress)
                rows = []
        count += _insert_entries(conn, rows, progress)
        skipped = _usable(reader, count + removed)
        conn.execute(
            HashSet.__table__.update().where(HashSet.id == set_id).values(  # type: ignore[attr-defined]
                entry_count=count, skipped_count=skipped,
                category_scheme=facts["category_scheme"] or reader.info.category_scheme,
                properties={**_properties(reader), "withdrawn": removed, "stat": stat},
            )
        )
    return ImportOutcome(set_id, facts["name"], count, skipped, False, "entries",
                         tuple(reader.info.notes.values()))


def _usable(reader: ReaderBase, count: int) -> int:
    """How many records were skipped; a HashSetError when every record was (the reader
    found its shape but no hash it could use: the wrong format, or a malformed file)."""
    skipped = int(reader.skipped)
    if skipped and not count:
        raise HashSetError(reader.label, f"all {skipped:,} records",
                           "none has a usable MD5, SHA-1, SHA-256, PDQ or PhotoDNA")
    return skipped


def _properties(reader: ReaderBase) -> dict[str, Any]:
    """The reader's facts about the set as JSON values, with its notes."""
    props: dict[str, Any] = {k: v if isinstance(v, str | int | float | bool | None) else str(v)
                             for k, v in reader.info.properties.items()}
    if reader.info.notes:
        props["notes"] = list(reader.info.notes.values())
    return props


def remove_hashset(ws: Workspace, name: str) -> int:
    """Delete set ``name`` with its entries and matches (the digest indexes drop it at the
    next match; an index-only set's folder and a library's keypoints go now). Returns how
    many entries it had."""
    with ws.engine.begin() as conn:
        row = conn.execute(select(HashSet.id, HashSet.entry_count).where(
            HashSet.name == name)).first()
        if row is None:
            raise LookupError(f"no hash set named {name!r}")
        conn.execute(delete(HashSet).where(HashSet.id == row.id))
    sweep(set_index_root(ws), lambda: live_set_indexes(ws))
    shutil.rmtree(ws.library_folder(row.id), ignore_errors=True)
    return int(row.entry_count)


def list_hashsets(ws: Workspace) -> list[HashSet]:
    with ws.session() as session:
        return list(session.scalars(select(HashSet).order_by(HashSet.name)))
