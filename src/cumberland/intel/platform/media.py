"""The platform's files joined with the case's media, so activity can be ranked by what it
touched: uploads of unknown material (no alert or known-good set knows it; possibly a child
still to be found) come first.

A platform file is linked to a case media by SHA-256, else MD5, else SHA-1 (the hashes the
platform recorded, or those of its files table). Status: ``unknown`` (in the case, matched by
no set), ``known`` (an alert set), ``known-good`` (an ignore set only) or ``hash-only``
(the case holds no such media: the dump named it, the server's copy was not triaged).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from cumberland.store.models import HashSet, Item, Match, Media
from cumberland.store.platform_models import PlatformFile
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace

STATUSES = ("unknown", "known", "known-good", "hash-only")


def _case_media(conn: Connection, case: int, column: Any, keys: list[bytes]) -> dict[bytes,
                                                                                     bytes]:
    query = (select(column, Media.sha256).join(Item, Item.media_sha256 == Media.sha256)
             .where(Item.case_id == case).distinct())
    return {bytes(key): bytes(sha) for key, sha in in_chunks(conn, query, column, keys)}


def _purposes(conn: Connection, shas: list[bytes]) -> dict[bytes, set[str]]:
    query = (select(Match.media_sha256, HashSet.purpose)
             .join(HashSet, HashSet.id == Match.hashset_id).distinct())
    found: dict[bytes, set[str]] = {}
    for sha, purpose in in_chunks(conn, query, Match.media_sha256, shas):
        found.setdefault(bytes(sha), set()).add(str(purpose))
    return found


def link_media(ws: Workspace, case: int) -> dict[str, int]:
    """Set every platform file's media and status; returns the count per status."""
    with ws.engine.begin() as conn:
        files: list[Any] = list(conn.execute(select(
            PlatformFile.id, PlatformFile.sha256, PlatformFile.md5, PlatformFile.sha1).where(
            PlatformFile.case_id == case)))
        by: dict[str, dict[bytes, bytes]] = {}
        for name, column, index in (("sha256", Media.sha256, 1), ("md5", Media.md5, 2),
                                    ("sha1", Media.sha1, 3)):
            keys = sorted({bytes(f[index]) for f in files if f[index] is not None})
            by[name] = _case_media(conn, case, column, keys) if keys else {}
        media_of: dict[int, bytes | None] = {}
        for f in files:
            found = None
            for name, index in (("sha256", 1), ("md5", 2), ("sha1", 3)):
                if f[index] is not None and bytes(f[index]) in by[name]:
                    found = by[name][bytes(f[index])]
                    break
            media_of[f.id] = found
        purposes = _purposes(conn, sorted({m for m in media_of.values() if m}))
        counts: Counter[str] = Counter()
        rows = []
        for file_id, sha in media_of.items():
            status = "hash-only" if sha is None else (
                "known" if "alert" in purposes.get(sha, ()) else
                "known-good" if purposes.get(sha) else "unknown")
            counts[status] += 1
            rows.append({"b_id": file_id, "b_media": sha, "b_status": status})
        if rows:
            conn.execute(update(PlatformFile).where(PlatformFile.id == bindparam("b_id"))
                         .values(media_sha256=bindparam("b_media"),
                                 status=bindparam("b_status")), rows)
    return {s: counts.get(s, 0) for s in STATUSES}
