"""The path-prefix filter on PostgreSQL, where the key must compare byte-wise (COLLATE "C")."""

from __future__ import annotations

from pathlib import Path

from cumberland.store.workspace import Workspace
from store.test_path_prefix import check_prefix_filter


def test_prefix_filter_on_postgres(pg_database: str, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", pg_database)
    check_prefix_filter(ws)
    with ws.engine.connect() as conn:
        indexdef = conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_items_case_path_prefix'"
        ).scalar()
    assert indexdef is not None and 'COLLATE "C"' in indexdef
    ws.close()
