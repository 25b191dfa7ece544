"""Hash-set files into the store: streamed, atomic, and skipped when already imported unchanged.

The whole import is one transaction, so a file that turns out malformed halfway leaves no
trace; the reader's HashSetError (file and line/offset in one line) reaches the caller.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from cumberland.hashsets.base import HashRecord
from cumberland.hashsets.detect import open_reader
from cumberland.store.models import HashSet
from cumberland.store.workspace import Workspace

PURPOSES = ("alert", "ignore")
BATCH = 20_000


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    hashset_id: int
    name: str
    entries: int
    skipped_records: int
    unchanged: bool


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


def _insert_entries(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Straight to the DB driver: SQLAlchemy's per-row parameter processing cost about as much
    as parsing the file (the values are already plain bytes, ints and str)."""
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO hash_entries ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join([marker] * len(_COLUMNS))})")
    conn.exec_driver_sql(sql, rows)


def import_hashset(
    ws: Workspace,
    path: Path | str,
    name: str | None = None,
    purpose: str = "alert",
    fmt: str = "auto",
    category_scheme: str | None = None,
) -> ImportOutcome:
    """Import ``path`` as set ``name`` (default: the file name); replace it if the file changed."""
    if purpose not in PURPOSES:
        raise ValueError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}")
    path = Path(path)
    name = name or path.name
    digest, size = file_sha256(path)
    with ws.engine.connect() as conn:
        existing = conn.execute(select(HashSet).where(HashSet.name == name)).first()
    if existing is not None and existing.file_sha256 == digest and existing.purpose == purpose:
        return ImportOutcome(existing.id, name, existing.entry_count, existing.skipped_count, True)
    reader = open_reader(path, fmt)
    with ws.engine.begin() as conn:
        if existing is not None:
            conn.execute(delete(HashSet).where(HashSet.id == existing.id))
        set_id = conn.execute(
            insert(HashSet).values(
                name=name, purpose=purpose, format=reader.info.format,
                version=reader.info.version, category_scheme=None, source_path=str(path),
                file_sha256=digest, file_size=size, entry_count=0, skipped_count=0,
                imported_at=time.time(), properties={},
            ).returning(HashSet.id)
        ).scalar_one()
        count = removed = 0
        rows: list[tuple[Any, ...]] = []
        for record in reader:
            if record.extra.get("deleted"):  # NCMEC deletedImage: a withdrawal, not an entry
                removed += 1
                continue
            rows.append(_row(set_id, record))
            if len(rows) >= BATCH:
                _insert_entries(conn, rows)
                count += len(rows)
                rows = []
        if rows:
            _insert_entries(conn, rows)
            count += len(rows)
        skipped = int(getattr(reader, "skipped", 0))
        conn.execute(
            HashSet.__table__.update().where(HashSet.id == set_id).values(  # type: ignore[attr-defined]
                entry_count=count, skipped_count=skipped,
                category_scheme=category_scheme or reader.info.category_scheme,
                properties={**_json_safe(reader.info.properties), "withdrawn": removed},
            )
        )
    return ImportOutcome(set_id, name, count, skipped, False)


def _json_safe(props: dict[str, object]) -> dict[str, Any]:
    return {k: v if isinstance(v, str | int | float | bool | None) else str(v)
            for k, v in props.items()}


def list_hashsets(ws: Workspace) -> list[HashSet]:
    with ws.session() as session:
        return list(session.scalars(select(HashSet).order_by(HashSet.name)))
