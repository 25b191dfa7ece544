"""IP addresses to countries from an offline GeoIP database (MaxMind or DB-IP ``.mmdb``).

The agency's own file is passed with ``--geoip FILE``; no lookup ever leaves the machine.
Each distinct IP of the case is looked up once and its country stored on the identifier.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update

from cumberland.store.platform_models import PlatformIdentifier
from cumberland.store.workspace import Workspace

BATCH = 20_000


class GeoIPError(ValueError):
    """The GeoIP file cannot be opened as a MaxMind DB: one line."""


def open_geoip(path: Path) -> Any:
    import maxminddb

    try:
        return maxminddb.open_database(str(path))
    except (OSError, ValueError, maxminddb.InvalidDatabaseError) as exc:
        raise GeoIPError(f"{path}: not a readable MaxMind DB (.mmdb) file: {exc}") from None


def country_of(reader: Any, ip: str) -> str | None:
    try:
        record = reader.get(ip)
    except ValueError:  # an IPv6 address in an IPv4-only database
        return None
    if not isinstance(record, dict):
        return None
    for key in ("country", "registered_country"):
        found = record.get(key)
        if isinstance(found, dict) and isinstance(found.get("iso_code"), str):
            return str(found["iso_code"]).upper()
    return None


def locate_ips(ws: Workspace, case: int, path: Path) -> dict[str, int]:
    """Store the country of every IP identifier of the case; returns located/unknown counts."""
    reader = open_geoip(path)
    located = unknown = 0
    try:
        with ws.engine.begin() as conn:
            rows = conn.execute(select(PlatformIdentifier.id, PlatformIdentifier.value).where(
                PlatformIdentifier.case_id == case, PlatformIdentifier.kind == "ip")).all()
            stmt = update(PlatformIdentifier).where(PlatformIdentifier.id == bindparam("b_id")
                                                    ).values(country=bindparam("b_cc"))
            batch: list[dict[str, Any]] = []
            for ident, value in rows:
                country = country_of(reader, value)
                located += country is not None
                unknown += country is None
                batch.append({"b_id": ident, "b_cc": country})
                if len(batch) >= BATCH:
                    conn.execute(stmt, batch)
                    batch.clear()
            if batch:
                conn.execute(stmt, batch)
    finally:
        reader.close()
    return {"located": located, "unknown": unknown}
