"""The single writer: every row a run produces goes through here, a batch per transaction.

Each transaction (``Settings.write_batch`` results) is a checkpoint: an interrupted run leaves
whole batches done and the rest ``pending``, so starting again finishes exactly what an
uninterrupted run would.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Table, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from cumberland.records import Child, EnrichResult, Result, Task
from cumberland.sources.base import Entry, path_key
from cumberland.sources.listing import read_listing
from cumberland.store.models import Case, Item, Media, MediaFrame, SignalRecord, Source
from cumberland.store.sql import in_chunks, insert_rows, param_marker
from cumberland.store.workspace import Workspace

ITEMS: Table = Item.__table__  # type: ignore[assignment]
SIGNALS: Table = SignalRecord.__table__  # type: ignore[assignment]
FRAMES: Table = MediaFrame.__table__  # type: ignore[assignment]


def insert_ignore(conn: Connection, table: Table, conflict: Sequence[str] | None = None) -> Insert:
    """INSERT that skips rows violating a unique constraint, on SQLite and PostgreSQL alike."""
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table)
    result: Insert = stmt.on_conflict_do_nothing(index_elements=conflict)
    return result


def upsert(conn: Connection, table: Table, keys: Sequence[str], rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = sqlite if conn.dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(table)
    updates = {c: stmt.excluded[c] for c in rows[0] if c not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)


def case_id(ws: Workspace, name: str, create: bool = True) -> int:
    with ws.engine.begin() as conn:
        found = conn.scalar(select(Case.id).where(Case.name == name))
        if found is not None:
            return int(found)
        if not create:
            raise LookupError(f"no case named {name!r}")
        conn.execute(insert_ignore(conn, Case.__table__).values(  # type: ignore[arg-type]
            name=name, created_at=time.time()))
        return int(conn.scalar(select(Case.id).where(Case.name == name)) or 0)


def source_id(ws: Workspace, case: int, uri: str, raw_path: bytes, kind: str) -> tuple[int, bool]:
    """The source row (created on first use) and whether it was already fully enumerated."""
    with ws.engine.begin() as conn:
        conn.execute(insert_ignore(conn, Source.__table__).values(  # type: ignore[arg-type]
            case_id=case, uri=uri, raw_path=raw_path, kind=kind, added_at=time.time(),
            enumerated=False))
        row = conn.execute(select(Source.id, Source.enumerated).where(
            Source.case_id == case, Source.uri == uri)).one()
        return int(row.id), bool(row.enumerated)


def mark_enumerated(ws: Workspace, source: int) -> None:
    with ws.engine.begin() as conn:
        conn.execute(update(Source).where(Source.id == source).values(enumerated=True))


def entry_row(case: int, source: int, entry: Entry, parent: int | None = None) -> dict[str, Any]:
    path = entry.path
    return {
        "case_id": case, "source_id": source, "parent_id": parent, "path": path,
        "path_key": path_key(path), "chain": entry.chain, "raw_path": entry.raw_path,
        "size": entry.size, "status": entry.status, "reason": entry.reason,
        "deleted": entry.deleted, "ext_mismatch": False,
        "created": entry.times.created, "modified": entry.times.modified,
        "accessed": entry.times.accessed, "changed": entry.times.changed,
        "artefacts": entry.artefacts,
    }


_json_text = json.encoder.encode_basestring_ascii  # what json.dumps writes for one string
ITEM_COLUMNS = ("case_id", "source_id", "parent_id", "path", "path_key", "chain", "raw_path",
                "size", "status", "reason", "deleted", "ext_mismatch", "created", "modified",
                "accessed", "changed", "locator", "artefacts")


def entry_values(case: int, source: int, entry: Entry, parent: int | None = None,
                 locator: list[dict[str, Any]] | None = None) -> tuple[Any, ...]:
    """An enumerated entry as ``ITEM_COLUMNS`` values for ``insert_rows``."""
    path, t = entry.path, entry.times
    chain = entry.chain
    return (case, source, parent, path, path_key(path),
            f"[{_json_text(chain[0])}]" if len(chain) == 1 else json.dumps(chain),
            entry.raw_path, entry.size, entry.status, entry.reason, entry.deleted, False,
            t.created, t.modified, t.accessed, t.changed,
            None if locator is None else json.dumps(locator), entry.artefacts)


def add_entries(ws: Workspace, case: int, source: int, entries: Iterable[Entry],
                batch: int = 5000) -> int:
    """Record enumerated entries; ones already known (a resumed or repeated run) are kept."""
    count = 0
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        rows.append(entry_values(case, source, entry))
        count += 1
        if len(rows) >= batch:
            _insert_items(ws, rows)
            rows = []
    _insert_items(ws, rows)
    return count


def _insert_items(ws: Workspace, rows: list[tuple[Any, ...]]) -> None:
    if rows:
        with ws.engine.begin() as conn:
            insert_rows(conn, "items", ITEM_COLUMNS, ("case_id", "path_key"), rows)


def pending_tasks(ws: Workspace, case: int, chunk_size: int,
                  chunk_bytes: int) -> Iterator[list[Task]]:
    """Pending items in id order, paged by key so memory stays flat at millions of items, in
    chunks of at most ``chunk_size`` items and, past the first, ``chunk_bytes`` bytes."""
    last = 0
    while True:
        with ws.engine.connect() as conn:
            rows = conn.execute(
                select(Item.id, Item.raw_path, Item.path, Item.size, Item.locator,
                       Item.artefacts)
                .where(Item.case_id == case, Item.status == "pending", Item.id > last)
                .order_by(Item.id).limit(chunk_size * 64)
            ).all()
        if not rows:
            return
        last = rows[-1].id
        chunk: list[Task] = []
        held = 0
        for r in rows:
            size = r.size or 0
            if chunk and (len(chunk) == chunk_size or held + size > chunk_bytes):
                yield chunk
                chunk, held = [], 0
            chunk.append(Task(r.id, r.raw_path or b"", r.path, r.size, r.locator,
                              r.artefacts))
            held += size
        yield chunk


def count_pending(ws: Workspace, case: int) -> int:
    with ws.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Item).where(
            Item.case_id == case, Item.status == "pending")) or 0)


MEDIA_COLUMNS = ("sha256", "md5", "sha1", "size", "kind", "mime", "width", "height", "pdq",
                 "pdq_quality", "ai_level", "meta", "has_thumb", "signal_versions")


def _media_rows(ws: Workspace, results: Iterable[Result]) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {"media": [], "signals": [], "frames": []}
    for r in results:
        if r.media is None:
            continue
        m = r.media
        rows["media"].append({
            "sha256": m.sha256, "md5": m.md5, "sha1": m.sha1, "size": m.size,
            "kind": m.kind, "mime": m.mime, "width": m.width, "height": m.height,
            "pdq": m.pdq, "pdq_quality": m.pdq_quality, "ai_level": m.ai_level,
            "meta": m.meta, "has_thumb": r.thumbnail is not None,
            "signal_versions": m.versions or None,
        })
        rows["signals"].extend(
            {"media_sha256": m.sha256, "name": s.name, "version": s.version, "data": s.data}
            for s in r.signals
        )
        rows["frames"].extend(
            {"media_sha256": m.sha256, "idx": f.idx, "ts": f.ts, "pdq": f.pdq,
             "quality": f.quality}
            for f in m.frames
        )
        if r.thumbnail is not None:
            ws.write_thumb(m.sha256, r.thumbnail)
    return rows


def apply_results(ws: Workspace, results: list[Result]) -> None:
    """Write a batch of results in one transaction (the checkpoint), including every item
    found inside a container: a container is never half-recorded."""
    every = [*results, *(c.result for r in results for c in r.children)]
    rows = _media_rows(ws, every)
    with ws.engine.begin() as conn:
        insert_rows(conn, "media", MEDIA_COLUMNS, ("sha256",), [
            (m["sha256"], m["md5"], m["sha1"], m["size"], m["kind"], m["mime"], m["width"],
             m["height"], m["pdq"], m["pdq_quality"], m["ai_level"],
             json.dumps(m["meta"]) if m["meta"] else "{}", m["has_thumb"],
             json.dumps(m["signal_versions"]) if m["signal_versions"] else None)
            for m in _dedupe(rows["media"], "sha256")])
        upsert(conn, SIGNALS, ["media_sha256", "name"],
               _dedupe(rows["signals"], "media_sha256", "name"))
        if rows["frames"]:
            conn.execute(insert_ignore(conn, FRAMES, ["media_sha256", "idx"]),
                         _dedupe(rows["frames"], "media_sha256", "idx"))
        _update_items(conn, [(r.status, r.reason, r.mime, r.ext_mismatch,
                              r.media.sha256 if r.media else None, r.size, r.item_id)
                             for r in results])
        for r in results:
            if r.children:
                _write_children(conn, r.item_id, r.children)
            if r.listing is not None:
                _write_listing(conn, r.item_id, r.listing)


def _write_listing(conn: Connection, container: int, listing: bytes,
                   batch: int = 5000) -> None:
    """A fanned-out container's members as items of their own (pending until a worker
    fingerprints them), in the container's transaction: a resumed run either finds the
    container done with every member listed, or lists them again (kept if already there)."""
    top = conn.execute(select(Item.case_id, Item.source_id, Item.chain)
                       .where(Item.id == container)).one()
    rows: list[tuple[Any, ...]] = []
    for member in read_listing(listing):
        entry = Entry([*top.chain, *member.chain], None, member.size, member.status,
                      member.reason, member.times, member.deleted, member.artefacts)
        rows.append(entry_values(top.case_id, top.source_id, entry, container, member.locator))
        if len(rows) >= batch:
            insert_rows(conn, "items", ITEM_COLUMNS, ("case_id", "path_key"), rows)
            rows = []
    insert_rows(conn, "items", ITEM_COLUMNS, ("case_id", "path_key"), rows)


def _update_items(conn: Connection, rows: list[tuple[Any, ...]]) -> None:
    """Each result onto its item, straight to the DB driver: SQLAlchemy's per-row parameter
    processing cost about as much as the update itself (plain str, bool, bytes and int)."""
    mark = param_marker(conn)
    conn.exec_driver_sql(
        f"UPDATE items SET status = {mark}, reason = {mark}, mime = {mark}, "
        f"ext_mismatch = {mark}, media_sha256 = {mark}, size = COALESCE({mark}, size) "
        f"WHERE id = {mark}", rows)


def _write_children(conn: Connection, container: int, children: list[Child]) -> None:
    """Insert-or-keep children by (case, path_key), then set everything they learned: a run
    that processes the container again (after an interruption) updates, never duplicates."""
    top = conn.execute(select(Item.case_id, Item.source_id, Item.chain)
                       .where(Item.id == container)).one()
    rows = []
    for child in children:
        r = child.result
        entry = Entry([*top.chain, *child.chain], None, r.size, r.status, r.reason, child.times,
                      child.deleted, child.artefacts)
        row = entry_row(top.case_id, top.source_id, entry, container)
        row.update(mime=r.mime, ext_mismatch=r.ext_mismatch,
                   media_sha256=r.media.sha256 if r.media else None, locator=child.locator)
        rows.append(row)
    conn.execute(insert_ignore(conn, ITEMS, ["case_id", "path_key"]), rows)
    keys = [row["path_key"] for row in rows]
    ids: dict[bytes, int] = {}
    for i in range(0, len(keys), 500):
        ids.update((bytes(k), int(n)) for n, k in conn.execute(
            select(Item.id, Item.path_key).where(Item.case_id == top.case_id,
                                                 Item.path_key.in_(keys[i : i + 500]))))
    updates = []
    for child, row in zip(children, rows, strict=True):
        parent = container if child.parent < 0 else ids[keys[child.parent]]
        updates.append({"b_id": ids[row["path_key"]], "b_parent": parent,
                        **{f"b_{k}": row[k] for k in _CHILD_FIELDS}})
    conn.execute(
        update(Item).where(Item.id == bindparam("b_id")).values(
            parent_id=bindparam("b_parent"), **{k: bindparam(f"b_{k}") for k in _CHILD_FIELDS}),
        updates,
    )


_CHILD_FIELDS = ("size", "status", "reason", "mime", "ext_mismatch", "media_sha256", "deleted",
                 "created", "modified", "accessed", "changed", "locator", "artefacts")


def _dedupe(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """One row per key, in key order: concurrent writers (two ingests into one PostgreSQL
    case) then take row locks in the same order and cannot deadlock on shared media."""
    seen: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(tuple(row[k] for k in keys), row)
    return [seen[key] for key in sorted(seen)]


def apply_enrichment(ws: Workspace, results: list[EnrichResult]) -> None:
    """Write recomputed signals onto media that already exist, with their versions, in one
    transaction: a killed enrichment loses at most this batch and redoes only that."""
    done = [r for r in results if r.versions]
    if not done:
        return
    with ws.engine.begin() as conn:
        current = {bytes(sha): (versions, meta) for sha, versions, meta in in_chunks(
            conn, select(Media.sha256, Media.signal_versions, Media.meta), Media.sha256,
            sorted(r.sha256 for r in done))}
        for r in sorted(done, key=lambda r: r.sha256):  # key order: see _dedupe
            if r.sha256 in current:
                _enrich_media(ws, conn, r, *current[r.sha256])


def _enrich_media(ws: Workspace, conn: Connection, r: EnrichResult,
                  versions: dict[str, Any] | None, meta: dict[str, Any] | None) -> None:
    values: dict[str, Any] = {"signal_versions": {**(versions or {}), **r.versions}}
    merged = dict(meta or {})
    rows: list[dict[str, Any]] = []
    for name, out in r.outputs.items():
        row = out.row() if out is not None else None
        if row is None:
            conn.execute(delete(SignalRecord).where(SignalRecord.media_sha256 == r.sha256,
                                                    SignalRecord.name == name))
        else:
            version = r.versions[name]
            rows.append({"media_sha256": r.sha256, "name": name,
                         "version": version if isinstance(version, int) else 0, "data": row})
        if out is None:
            continue
        if out.pdq is not None:
            values["pdq"], values["pdq_quality"] = out.pdq
        if out.ai_level is not None:
            values["ai_level"] = out.ai_level
        merged.update(out.meta or {})
        if out.frames is not None:
            conn.execute(delete(MediaFrame).where(MediaFrame.media_sha256 == r.sha256))
            if out.frames:
                conn.execute(insert_ignore(conn, FRAMES, ["media_sha256", "idx"]), _dedupe(
                    [{"media_sha256": r.sha256, "idx": f.idx, "ts": f.ts, "pdq": f.pdq,
                      "quality": f.quality} for f in out.frames], "media_sha256", "idx"))
        if out.thumbnail is not None:
            ws.write_thumb(r.sha256, out.thumbnail, replace=True)
            values["has_thumb"] = True
    if merged != (meta or {}):
        values["meta"] = merged
    upsert(conn, SIGNALS, ["media_sha256", "name"], rows)
    conn.execute(update(Media).where(Media.sha256 == r.sha256).values(**values))
