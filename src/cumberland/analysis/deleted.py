"""What recycle bins say was deleted: records linked to the items holding their content.

Workers parse each record file where it is found (``sources/artefacts/recycle.py``: ``$I``,
``INFO2``, ``.trashinfo``) and keep its records with the record file's media. The content
is another item of the same walk (``$R…`` beside the ``$I``, ``Dc3.jpg`` beside INFO2,
``../files/<name>`` beside ``info/``), found by its path once ingest is done: it then shows
the original path and deletion time, and so does everything inside a deleted folder. A
record whose content is gone (the bin was emptied) still says a file of that name existed
and when it was deleted, which is why the report lists records, not only items.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select, update

from cumberland.sources.artefacts.recycle import I_MIME, RECORD_MIMES
from cumberland.sources.base import CHAIN_SEP, path_key
from cumberland.store.models import Item, Media
from cumberland.store.pathkey import prefix_condition
from cumberland.store.workspace import Workspace

PICTURE_EXTENSIONS = frozenset({
    "jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "tif", "tiff", "webp", "heic", "heif",
    "avif", "mp4", "mov", "avi", "mkv", "wmv", "m4v", "3gp", "webm", "flv", "mpg", "mpeg"})
PICTURE_KINDS = ("image", "video")
_PATH = Item.__table__.c.path


@dataclass(frozen=True, slots=True)
class Deletion:
    """One record: the record file's item, what it says, and where its content should be."""

    record_item: int
    record_path: str
    format: str
    original_path: str
    deleted_at: float | None
    content_path: str
    note: str | None


def _folder(path: str) -> str:
    """The display path of the folder an item is in (the last ``/`` or chain step)."""
    cut = max(path.rfind("/"), path.rfind(CHAIN_SEP))
    return path[:cut] if cut >= 0 else ""


def _join(folder: str, relative: str) -> str:
    parts = folder.split("/") if folder else []
    for name in relative.split("/"):
        if name == "..":
            if len(parts) > 1:
                parts.pop()
        elif name and name != ".":
            parts.append(name)
    return "/".join(parts)


def deletions(conn: Connection, case: int) -> Iterator[Deletion]:
    """Every record of every recycle-bin record file of the case, in item order."""
    rows = conn.execute(
        select(Item.id, Item.path, Media.meta)
        .join(Media, Media.sha256 == Item.media_sha256)
        .where(Item.case_id == case, Item.mime.in_(RECORD_MIMES))
        .order_by(Item.id))
    for row in rows:
        parsed: dict[str, Any] = (row.meta or {}).get("recycle") or {}
        folder = _folder(row.path)
        for record in parsed.get("records", []):
            yield Deletion(int(row.id), row.path, str(parsed.get("format", "")),
                           str(record["original_path"]), record.get("deleted_at"),
                           _join(folder, str(record["content"])), record.get("note"))


def _inside(original: str, rest: str) -> str:
    sep = "\\" if "\\" in original else "/"
    return original.rstrip(sep) + sep + rest.replace("/", sep)


def link_recycle_records(ws: Workspace, case: int) -> dict[str, int]:
    """Put each record's original path and deletion time on the item holding its content
    (and on every item of a deleted folder, and on a ``$I`` file itself). Idempotent: every
    run of the case recomputes it. Returns records seen and linked."""
    seen = linked = 0
    with ws.engine.begin() as conn:
        found = list(deletions(conn, case))
        for d in found:
            seen += 1
            values = {"original_path": d.original_path, "deleted_at": d.deleted_at}
            if conn.scalar(select(Item.mime).where(Item.id == d.record_item)) == I_MIME:
                conn.execute(update(Item).where(Item.id == d.record_item).values(**values))
            hit = conn.execute(update(Item).where(
                Item.case_id == case, Item.path_key == path_key(d.content_path)
            ).values(**values)).rowcount
            below = conn.execute(select(Item.id, Item.path).where(
                Item.case_id == case, prefix_condition(_PATH, d.content_path + "/"))).all()
            for item_id, path in below:
                conn.execute(update(Item).where(Item.id == item_id).values(
                    original_path=_inside(d.original_path, path[len(d.content_path) + 1:]),
                    deleted_at=d.deleted_at))
            linked += bool(hit or below)
    return {"records": seen, "linked": linked}


def _picture_name(path: str) -> bool:
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return "." in name and name.rpartition(".")[2].lower() in PICTURE_EXTENSIONS


def deleted_pictures(conn: Connection, case: int, limit: int) -> tuple[int, list[dict[str, Any]]]:
    """Pictures and videos a recycle bin says were deleted: by the content item's kind (the
    pictures inside a deleted folder too), or, where the content is gone, by the original
    name's extension. Returns the count and the first ``limit``."""
    out: list[dict[str, Any]] = []
    count = 0
    columns = (Item.path, Item.status, Item.media_sha256, Media.kind)
    for d in deletions(conn, case):
        contents: list[Any] = list(conn.execute(
            select(*columns).outerjoin(Media, Media.sha256 == Item.media_sha256)
            .where(Item.case_id == case, Item.path_key == path_key(d.content_path))))
        original = [d.original_path]
        if not contents:  # a deleted folder: the pictures in it
            contents = list(conn.execute(
                select(*columns).join(Media, Media.sha256 == Item.media_sha256)
                .where(Item.case_id == case, Media.kind.in_(PICTURE_KINDS),
                       prefix_condition(_PATH, d.content_path + "/"))
                .order_by(Item.path)))
            original = [_inside(d.original_path, c.path[len(d.content_path) + 1:])
                        for c in contents]
        if not contents:
            if not _picture_name(d.original_path):
                continue
            contents, original = [None], [d.original_path]
        for content, path in zip(contents, original, strict=True):
            if content is not None and content.kind not in PICTURE_KINDS:
                continue
            count += 1
            if len(out) < limit:
                out.append({
                    "original_path": path, "deleted_at": d.deleted_at,
                    "record": d.record_path, "format": d.format, "note": d.note,
                    "content": content.path if content is not None else None,
                    "content_status": content.status if content is not None else "gone",
                    "sha256": content.media_sha256.hex()
                    if content is not None and content.media_sha256 else None})
    return count, out
