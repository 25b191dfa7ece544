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
