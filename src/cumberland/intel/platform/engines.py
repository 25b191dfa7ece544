"""Grouping identifier uses by (identifier, account), on the engine measured best.

Entity resolution needs, per identifier shared by two or more accounts, each account's first
and last use and count. ``store`` runs that as one
SQL statement inside the store (SQLite or PostgreSQL); ``polars``, ``duckdb`` and ``pandas``
pull the raw uses out and group them in memory. bench/platform.py measures all of them on the
same dump; ``store`` is the default because it won there (docs/benchmarks.md) and needs no
extra library.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import Connection, text

ENGINES = ("store", "polars", "duckdb", "pandas")

# kind -> SQL of its uses: (ident, account, at)
USES = {
    "email": "SELECT email_id AS ident, id AS account, registered_at AS at "
             "FROM platform_accounts WHERE case_id = :case AND email_id IS NOT NULL",
    "phone": "SELECT phone_id AS ident, id AS account, registered_at AS at "
             "FROM platform_accounts WHERE case_id = :case AND phone_id IS NOT NULL",
    "payment": "SELECT reference_id AS ident, account_id AS account, at "
               "FROM platform_payments WHERE case_id = :case AND reference_id IS NOT NULL",
    "crypto": "SELECT crypto_id AS ident, account_id AS account, at "
              "FROM platform_payments WHERE case_id = :case AND crypto_id IS NOT NULL",
    "fingerprint": "SELECT fingerprint_id AS ident, account_id AS account, at "
                   "FROM platform_logins WHERE case_id = :case AND fingerprint_id IS NOT NULL",
    "ip": "SELECT ip_id AS ident, account_id AS account, at FROM platform_logins "
          "WHERE case_id = :case AND ip_id IS NOT NULL UNION ALL "
          "SELECT reg_ip_id, id, registered_at FROM platform_accounts "
          "WHERE case_id = :case AND reg_ip_id IS NOT NULL",
}
FETCH = 500_000


def _store(conn: Connection, kind: str, case: int) -> list[tuple[Any, ...]]:
    sql = ("WITH u AS (SELECT ident, account, min(at) AS first_at, max(at) AS last_at, "
           f"count(*) AS n FROM ({USES[kind]}) AS raw GROUP BY ident, account), "
           "c AS (SELECT ident, count(*) AS k FROM u GROUP BY ident) "
           "SELECT u.ident, u.account, u.first_at, u.last_at, u.n, c.k FROM u JOIN c "
           "ON c.ident = u.ident WHERE c.k >= 2 ORDER BY u.ident, u.account")
    rows = conn.execute(text(sql), {"case": case}).all()
    return [tuple(r) for r in rows]


def raw_uses(conn: Connection, kind: str, case: int) -> dict[str, np.ndarray]:
    """The uses as three numpy columns (ident, account, ts; NaN where no time)."""
    result = conn.execute(text(USES[kind]), {"case": case})
    parts: list[np.ndarray] = []
    while batch := result.fetchmany(FETCH):
        parts.append(np.array([(r[0], r[1], np.nan if r[2] is None else r[2]) for r in batch],
                              dtype=np.float64))
    block = np.concatenate(parts) if parts else np.empty((0, 3))
    return {"ident": block[:, 0].astype(np.int64), "account": block[:, 1].astype(np.int64),
            "ts": block[:, 2]}


def _polars(cols: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    import polars as pl

    frame = pl.DataFrame(cols)
    uses = frame.group_by(["ident", "account"]).agg(
        pl.col("ts").min().alias("first"), pl.col("ts").max().alias("last"),
        pl.len().alias("n"))
    counts = uses.group_by("ident").agg(pl.len().alias("k"))
    out = uses.join(counts, on="ident").filter(pl.col("k") >= 2).sort(["ident", "account"])
    return [tuple(r) for r in out.iter_rows()]


def _duckdb(cols: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    import duckdb

    with duckdb.connect() as db:
        db.execute("SET threads TO 2")
        db.register("raw", cols)  # a dict of numpy columns is scanned in place
        return [tuple(r) for r in db.execute(
            "WITH u AS (SELECT ident, account, min(ts) AS first_at, max(ts) AS last_at, "
            "count(*) AS n FROM raw GROUP BY ident, account), c AS (SELECT ident, count(*) "
            "AS k FROM u GROUP BY ident) SELECT u.*, c.k FROM u JOIN c USING (ident) "
            "WHERE c.k >= 2 ORDER BY u.ident, u.account").fetchall()]


def _pandas(cols: dict[str, np.ndarray]) -> list[tuple[Any, ...]]:
    import pandas as pd

    frame = pd.DataFrame(cols)
    uses = frame.groupby(["ident", "account"]).agg(
        first=("ts", "min"), last=("ts", "max"), n=("ts", "size")).reset_index()
    uses["k"] = uses.groupby("ident")["account"].transform("size")
    out = uses[uses["k"] >= 2].sort_values(["ident", "account"])
    return list(out.itertuples(index=False, name=None))


def grouped_uses(conn: Connection, kind: str, case: int,
                 engine: str = "store") -> list[tuple[Any, ...]]:
    """(ident, account, first, last, n, k) of identifiers shared by two or more accounts."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}")
    if engine == "store":
        return _store(conn, kind, case)
    cols = raw_uses(conn, kind, case)
    return {"polars": _polars, "duckdb": _duckdb, "pandas": _pandas}[engine](cols)
