"""A workspace: one database plus content-addressed thumbnails beside it.

SQLite in WAL mode is the embedded default; a ``postgresql://`` URL puts the same schema on a
shared server. The schema is always brought to the newest Alembic revision on open.
"""

from __future__ import annotations

import errno
import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")
HEAD = "0025"
"""The newest migration (tests/store check it is Alembic's head): a database already there
opens without loading Alembic, which costs every command ~0.25 s."""
DB_NAME = "cumberland.db"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()  # (WAL is set once, when the file is created)
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=60000")
    # Checkpoint the WAL every 64 MiB instead of 4 MiB: the writer's commits spent half their
    # time in checkpoints (50 k small files: 3,718 -> 4,262 files/s).
    cursor.execute("PRAGMA wal_autocheckpoint=16384")
    # 64 MiB of page cache (default 2 MiB): media rows land at random places in three digest
    # indexes, and past a few hundred thousand media those pages no longer fit in 2 MiB.
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 60})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


# Any constant works; it only has to be the same for every Cumberland process.
_MIGRATION_LOCK = 0x43554D42


def transaction_lock(connection: Connection, key: int) -> None:
    """Serialise one kind of rebuild across processes until the transaction ends.

    PostgreSQL needs an advisory lock (concurrent transactions would both delete, then both
    insert); SQLite already serialises writers on the database lock.
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _at_head(engine: Engine) -> bool:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return False
        return list(connection.scalars(text("SELECT version_num FROM alembic_version"))) == [HEAD]


@contextmanager
def _file_lock(engine: Engine) -> Iterator[None]:
    """For a SQLite file, an exclusive lock beside it: SQLite takes its write lock only at the
    first write, after Alembic has decided what to create, so two processes creating one new
    workspace would both try (and switching to WAL fails while another connection holds the
    file). PostgreSQL serialises on an advisory lock instead."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with file_lock(Path(f"{database}.migrate.lock")):
        yield


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (created if missing) for the ``with`` block, across
    processes."""
    with path.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade_schema(engine: Engine) -> None:
    """Bring the schema to head, one process at a time (see ``_file_lock`` and
    ``transaction_lock``); the others find it done."""
    if _at_head(engine):
        return
    from alembic import command
    from alembic.config import Config

    with _file_lock(engine):
        if _at_head(engine):
            return
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:  # persistent in the file; needs no other user
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as connection:
            transaction_lock(connection, _MIGRATION_LOCK)
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")


_FULL_ERRNOS = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_FULL_WORDS = ("database or disk is full", "No space left on device", "could not extend file",
               "Disk quota exceeded")


def storage_full(exc: BaseException) -> str | None:
    """Why ``exc`` (or what caused it) means the workspace's storage is full, in the driver's
    own words without the statement or its values; None for any other failure."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in _FULL_ERRNOS:
            return current.strerror or "No space left on device"
        orig = getattr(current, "orig", None)  # SQLAlchemy's wrapper of a DBAPI error
        for text_ in (str(orig) if orig is not None else "", str(current).split("\n")[0]):
            for words in _FULL_WORDS:
                if words in text_:
                    return words
        current = current.__cause__ or current.__context__
    return None


class Workspace:
    """Opens (creating if needed) the workspace directory and its database."""

    def __init__(self, root: Path | str, db_url: str | None = None) -> None:
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.thumbs = self.root / "thumbs"
        self.db_url = db_url or os.environ.get("CUMBERLAND_DB") or self._default_url()
        self.engine = make_engine(self.db_url)
        upgrade_schema(self.engine)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def _default_url(self) -> str:
        return f"sqlite:///{self.root / DB_NAME}"

    def session(self) -> Session:
        return self.sessions()

    def library_folder(self, set_id: int) -> Path:
        """Where a reference library keeps its keypoints and descriptor index."""
        return self.root / "libraries" / str(set_id)

    def thumb_path(self, sha256: bytes) -> Path:
        hexd = sha256.hex()
        return self.thumbs / hexd[:2] / hexd[2:4] / f"{hexd}.jpg"

    def write_thumb(self, sha256: bytes, data: bytes, replace: bool = False) -> None:
        """Write a thumbnail once (content addressing makes rewrites unnecessary), or, with
        ``replace``, anew: the thumbnail signal was recomputed (enrichment)."""
        path = self.thumb_path(sha256)
        if path.exists() and not replace:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except BaseException:  # a full disk: leave no half-written file behind
            tmp.unlink(missing_ok=True)
            raise

    def close(self) -> None:
        self.engine.dispose()
