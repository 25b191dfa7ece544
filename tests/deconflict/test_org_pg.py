"""The within-organisation view on a shared PostgreSQL workspace (the deployment it is for)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cumberland.store.workspace import Workspace

from .test_org import scenario

pytestmark = pytest.mark.postgres
pg = pytest.importorskip("pg.conftest")
pg_server = pg.pg_server
pg_database = pg.pg_database


def test_within_one_organisation_on_postgresql(pg_database: str, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", pg_database)
    assert ws.engine.dialect.name == "postgresql"
    scenario(ws)
    ws.close()
