"""Dialect-neutral SQL helpers shared by the store and the matchers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection

IN_CHUNK = 500  # keys per IN (...) list: far below every driver's parameter limit


def in_chunks(conn: Connection, query: Any, column: Any, keys: Sequence[Any]) -> list[Any]:
    """Rows of ``query`` whose ``column`` is one of ``keys``, asked IN_CHUNK keys at a time."""
    out: list[Any] = []
    for lo in range(0, len(keys), IN_CHUNK):
        out += conn.execute(query.where(column.in_(keys[lo:lo + IN_CHUNK]))).all()
    return out


def param_marker(conn: Connection) -> str:
    """The DB driver's own parameter marker, for statements sent past SQLAlchemy's per-row
    parameter processing (``exec_driver_sql``)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def insert_rows(conn: Connection, table: str, columns: Sequence[str], conflict: Sequence[str],
                rows: list[tuple[Any, ...]]) -> None:
    """``INSERT ... ON CONFLICT (conflict) DO NOTHING`` of plain values (str, int, float,
    bool, bytes, None; JSON columns as already-encoded text), straight to the driver.

    The bulk inserts of a run (items enumerated, media found) cost more in SQLAlchemy's
    per-row parameter processing than in the database: SQLite gets one ``executemany``,
    PostgreSQL psycopg2's ``execute_values`` (many rows per statement)."""
    if not rows:
        return
    names, keys = ", ".join(columns), ", ".join(conflict)
    if conn.dialect.name == "postgresql":
        from psycopg2.extras import execute_values

        cursor = conn.connection.cursor()
        try:
            execute_values(cursor, f"INSERT INTO {table} ({names}) VALUES %s "
                           f"ON CONFLICT ({keys}) DO NOTHING", rows, page_size=1000)
        finally:
            cursor.close()
        return
    marks = ", ".join([param_marker(conn)] * len(columns))
    conn.exec_driver_sql(f"INSERT INTO {table} ({names}) VALUES ({marks}) "
                         f"ON CONFLICT ({keys}) DO NOTHING", rows)
