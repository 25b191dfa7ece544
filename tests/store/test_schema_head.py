"""The workspace's shortcut past Alembic names Alembic's real head revision."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text

from cumberland.store.workspace import HEAD, MIGRATIONS, Workspace


def test_head_constant_is_alembics_head(tmp_path: Path) -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    assert ScriptDirectory.from_config(cfg).get_heads() == [HEAD]
    ws = Workspace(tmp_path / "ws")
    with ws.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"  # set once, by the creator
    ws.close()
    reopened = Workspace(tmp_path / "ws")  # at head: opens without migrating
    with reopened.engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM hashsets")) == 0
    reopened.close()


def _open(root: str, barrier: Any) -> None:
    barrier.wait()
    Workspace(root).close()


def test_processes_creating_one_new_workspace_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("forkserver")
    barrier = context.Barrier(4)
    procs = [context.Process(target=_open, args=(str(tmp_path / "ws"), barrier))
             for _ in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(120)
    assert [proc.exitcode for proc in procs] == [0, 0, 0, 0]
    ws = Workspace(tmp_path / "ws")
    with ws.engine.connect() as conn:
        assert conn.scalar(text("SELECT version_num FROM alembic_version")) == HEAD
        assert conn.scalar(text("PRAGMA journal_mode")) == "wal"  # set once, by the creator
    ws.close()
