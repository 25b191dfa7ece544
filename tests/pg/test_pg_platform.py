"""The platform chain on PostgreSQL: import, resolution, attribution and packages."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cumberland.intel.platform.analyse import analyse
from cumberland.intel.platform.importer import PlatformImportError, import_platform
from cumberland.intel.platform.mapping import load_mapping
from cumberland.intel.platform.packages import write_packages
from cumberland.intel.platform.resolution import review_link
from cumberland.store.platform_models import PlatformAccount, PlatformPerson
from cumberland.store.workspace import Workspace
from cumberland.store.writer import case_id
from intel_platform import kit
from intel_platform.mmdb import write_mmdb


def test_platform_chain_on_postgres(pg_database: str, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", pg_database)
    dump, mapping = kit.write_dump(tmp_path, "mysql")
    case = case_id(ws, "op")
    truncated = tmp_path / "cut.sql"
    truncated.write_bytes(dump.read_bytes()[:2000])
    with pytest.raises(PlatformImportError, match="truncated"):
        import_platform(ws, case, truncated, load_mapping(mapping))
    with ws.session() as s:  # the failed import left nothing
        assert s.scalar(select(PlatformAccount.id).limit(1)) is None
    out = import_platform(ws, case, dump, load_mapping(mapping))
    assert out.rows["users"] == 16
    txs = tmp_path / "txs.csv"
    txs.write_text(kit.TXS)
    done = analyse(ws, case, geoip=write_mmdb(tmp_path / "g.mmdb"), transactions=txs)
    assert done.resolution.persons == 11
    with ws.session() as s:
        ids = {r[0]: r[1] for r in s.execute(select(PlatformAccount.ext_id, PlatformAccount.id))}
    assert review_link(ws, case, ids["1"], ids["2"], "cut", "rev") == (16, 12)
    with ws.session() as s:
        bob = s.scalar(select(PlatformPerson).where(PlatformPerson.label == "Bob Sample"))
        assert bob is not None and (bob.country, bob.confidence) == ("FR", "high")
    packages = write_packages(ws, case, tmp_path / "out", pdf=False)
    assert packages.countries["FR"] == 2
    ws.close()
