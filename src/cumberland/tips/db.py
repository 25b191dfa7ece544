"""The tips server's own database: the published objects (id and title, from the feed) and
the tips, nothing else. SQLite in WAL mode; one writer, the server.

A tip keeps its random id, the object, the page's language, the hour it came (UTC, nothing
finer), the text and the optional contact, and which lane it came by (with or without the
proof of work). No address, user agent, cookie or exact time is kept. ``spent`` holds the
proof-of-work digests of the last minutes, so a token is accepted once.

The database must not be a case workspace, nor sit in one: the server refuses such a path.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FORMAT = "cumberland-tips/1"
WORKSPACE_DB = "cumberland.db"  # store/workspace.py's file name: a tips db is never one
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS objects (id TEXT PRIMARY KEY, title TEXT NOT NULL,
                                    listed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tips (uid TEXT PRIMARY KEY, object TEXT NOT NULL,
                                 lang TEXT NOT NULL, received TEXT NOT NULL,
                                 text TEXT NOT NULL, contact TEXT, lane TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS spent (work BLOB PRIMARY KEY, minute INTEGER NOT NULL)
    WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_spent_minute ON spent (minute);
"""
@dataclass(frozen=True, slots=True)
class NewTip:
    object_id: str
    lang: str
    text: str
    contact: str
    lane: str  # "pow" or "plain"
    work: bytes | None  # the proof-of-work digest (spent once), None in the plain lane
    minute: int | None


TIP_KEYS = ("uid", "object", "lang", "received", "text", "contact", "lane")


class TipsDbError(ValueError):
    """A path that cannot be a tips database (one line)."""


def check_path(path: Path) -> Path:
    """Refuse a case workspace (or a file inside one) as the tips database."""
    path = path.absolute()
    if path.name == WORKSPACE_DB or (path.parent / WORKSPACE_DB).exists():
        raise TipsDbError(f"{path} is in a case workspace: the tips database must live apart "
                          "from every case (give it its own folder)")
    if path.exists():
        try:
            with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
                tables = {r[0] for r in conn.execute(
                    "SELECT name FROM sqlite_master WHERE type = 'table'")}
                fmt = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone() \
                    if "meta" in tables else None
        except sqlite3.DatabaseError:
            raise TipsDbError(f"{path} is not a tips database") from None
        if tables and (fmt is None or fmt[0] != FORMAT):
            raise TipsDbError(f"{path} is a database of something else, not a tips database")
    return path


def hour(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:00Z", time.gmtime(now))


class TipsDb:
    """The server's connection (one thread: the server's event loop)."""

    def __init__(self, path: Path) -> None:
        self.path = check_path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # made in the caller's thread, used by the server's one event-loop thread after
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(SCHEMA)
        self.conn.execute("INSERT OR IGNORE INTO meta VALUES ('format', ?)", (FORMAT,))

    def close(self) -> None:
        self.conn.close()

    def list_objects(self, objects: dict[str, str]) -> None:
        """The feed's objects (id -> title) are the ones tips are taken for; others stay
        known (their tips wait to be pulled) but are no longer listed."""
        with self.conn:
            self.conn.execute("BEGIN")
            self.conn.execute("UPDATE objects SET listed = 0")
            self.conn.executemany(
                "INSERT INTO objects VALUES (?, ?, 1) ON CONFLICT (id) DO UPDATE SET "
                "title = excluded.title, listed = 1", sorted(objects.items()))

    def add_many(self, tips: Sequence[NewTip], now: float) -> list[bool]:
        """Store tips in one transaction (the server commits what arrived together); False
        for each whose proof-of-work token was spent already (nothing of it stored)."""
        done = []
        received = hour(now)
        with self.conn:
            self.conn.execute("BEGIN")
            for tip in tips:
                if tip.work is not None and self.conn.execute(
                        "INSERT OR IGNORE INTO spent VALUES (?, ?)",
                        (tip.work, tip.minute)).rowcount != 1:
                    done.append(False)
                    continue
                self.conn.execute("INSERT INTO tips VALUES (?, ?, ?, ?, ?, ?, ?)",
                                  (secrets.token_hex(16), tip.object_id, tip.lang, received,
                                   tip.text, tip.contact or None, tip.lane))
                done.append(True)
        return done

    def forget_spent(self, before_minute: int) -> None:
        self.conn.execute("DELETE FROM spent WHERE minute < ?", (before_minute,))


def read_tips(path: Path) -> list[dict[str, Any]]:
    """Every tip waiting in a tips database (what ``tips pull`` takes), oldest hour first."""
    path = check_path(path)
    if not path.exists():
        raise TipsDbError(f"no tips database at {path}")
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT t.*, o.title FROM tips t LEFT JOIN objects o ON "
                            "o.id = t.object ORDER BY t.received, t.rowid").fetchall()
    return [dict(row) for row in rows]


def forget(path: Path, uids: Iterable[str]) -> int:
    """Delete tips that are safely in a case now (a pull moves them, it does not copy)."""
    with closing(sqlite3.connect(check_path(path), isolation_level=None)) as conn:
        conn.execute("BEGIN")
        count = sum(conn.execute("DELETE FROM tips WHERE uid = ?", (uid,)).rowcount
                    for uid in uids)
        conn.execute("COMMIT")
    return count


def export_lines(tips: Iterable[dict[str, Any]]) -> Iterator[str]:
    """JSON Lines of tips, for a tips server outside the agency network (``tips export``)."""
    for tip in tips:
        yield json.dumps({k: tip.get(k) for k in (*TIP_KEYS, "title")}, ensure_ascii=False,
                         sort_keys=True) + "\n"
