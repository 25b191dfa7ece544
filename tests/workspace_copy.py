"""A private copy of a workspace that a module fixture built and may still hold open."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

from cumberland.store.workspace import DB_NAME


def copy_workspace(source: Path, dest: Path) -> Path:
    """Copy ``source`` to ``dest`` with its SQLite database taken through the backup API.

    Copying the files raced with connections still open in the test process: SQLite
    removes ``-wal``/``-shm`` when the last one closes, which broke ``copytree`` between
    listing and copying them; a backup is one consistent database whatever is open."""
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns(f"{DB_NAME}*"))
    db = source / DB_NAME
    if db.exists():
        with closing(sqlite3.connect(db)) as src, closing(sqlite3.connect(dest / DB_NAME)) as out:
            src.backup(out)
    return dest
