"""The planted test platform, imported and analysed (GeoIP file, transactions, one case
media) for the resolution, package and web tests."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from cumberland.intel.platform.analyse import analyse
from cumberland.intel.platform.importer import import_platform
from cumberland.intel.platform.mapping import load_mapping
from cumberland.store.models import Item, Media, Source
from cumberland.store.workspace import Workspace
from cumberland.store.writer import case_id
from intel_platform import kit
from intel_platform.mmdb import write_mmdb


def _add_case_media(ws: Workspace, case: int, text: str) -> None:
    """A triaged media (benign bytes) whose hashes the platform's files table names."""
    sha = hashlib.sha256(text.encode()).digest()
    with ws.session() as s, s.begin():
        source = Source(case_id=case, uri="/evidence/server", raw_path=b"/evidence/server",
                        kind="folder", added_at=time.time(), enumerated=True)
        s.add(source)
        s.flush()
        s.add(Media(sha256=sha, md5=hashlib.md5(text.encode()).digest(),
                    sha1=hashlib.sha1(text.encode()).digest(), size=len(text), kind="image",
                    mime="image/jpeg", ai_level="none", meta={}))
        s.flush()
        s.add(Item(case_id=case, source_id=source.id, path=f"/srv/{text}.jpg",
                   path_key=hashlib.sha1(text.encode()).digest(), chain=[f"/srv/{text}.jpg"],
                   status="done", media_sha256=sha))


@pytest.fixture()
def analysed(tmp_path: Path, workspace: Workspace) -> tuple[Workspace, int]:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    case = case_id(workspace, "op")
    import_platform(workspace, case, dump, load_mapping(mapping))
    _add_case_media(workspace, case, "benign-landscape-1")
    txs = tmp_path / "txs.csv"
    txs.write_text(kit.TXS)
    out = analyse(workspace, case, geoip=write_mmdb(tmp_path / "test.mmdb"), transactions=txs)
    assert out.media == {"unknown": 1, "known": 0, "known-good": 0, "hash-only": 2}
    assert out.geo == {"located": 15, "unknown": 0}
    assert out.languages == 2
    return workspace, case


