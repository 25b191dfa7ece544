"""A disk image's members fan out on a Dask cluster exactly as on the local process pool:
the workers reopen each member by its locator (the evidence at the same path)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace
from resume.smallfiles import write_tree
from sources.evidence_kit import e01, need, run


def _items(image: Path, base: Path, cluster: str | None) -> list[tuple[object, ...]]:
    ws = Workspace(base / "ws")
    triage(ws, TriageRequest(sources=[image], case="fan", cluster=cluster,
                             settings=Settings(workers=2, chunk_size=16)))
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Item.path, Item.status, Item.reason, Item.media_sha256,
                                   Item.locator).order_by(Item.path)).all()
    ws.close()
    return [tuple(r) for r in rows]


@pytest.mark.slow
def test_members_fan_out_on_dask_as_on_the_pool(tmp_path: Path) -> None:
    need("mke2fs")
    write_tree(tmp_path / "tree", 120)
    run("mke2fs", "-q", "-F", "-t", "ext4", "-d", tmp_path / "tree", tmp_path / "fs.img", "8M")
    image = e01(tmp_path / "fs.img", tmp_path / "laptop")
    local = _items(image, tmp_path / "local", None)
    dask = _items(image, tmp_path / "dask", "local:2")
    assert len(local) == 121 and all(status != "pending" for _p, status, *_ in local)
    assert sum(locator is not None for *_, locator in local) == 120
    assert dask == local
