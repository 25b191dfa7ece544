"""Two workspaces standing for two agencies, with cases written as rows (no ingest run).

The "media" are the bytes of benign object descriptions; only their digests matter here.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from cumberland.intel.deconflict import cases, identity
from cumberland.store.models import Case, Item, Media, Source
from cumberland.store.workspace import Workspace


def content(n: int) -> bytes:
    return f"benign test object {n}: a teapot, a bicycle, a pine cone".encode()


def sha(n: int) -> bytes:
    return hashlib.sha256(content(n)).digest()


def add_media(ws: Workspace, case: str, numbers: list[int]) -> int:
    """Case ``case`` (created if new) finds the media ``numbers``."""
    now = time.time()
    with ws.engine.begin() as conn:
        cid = conn.scalar(select(Case.id).where(Case.name == case))
        if cid is None:
            cid = conn.execute(insert(Case).values(name=case, created_at=now)
                               .returning(Case.id)).scalar_one()
        source = conn.execute(insert(Source).values(
            case_id=cid, uri=f"/evidence/{case}/{now}", raw_path=b"/evidence", kind="folder",
            added_at=now, enumerated=True).returning(Source.id)).scalar_one()
        known = set(conn.scalars(select(Media.sha256)))
        for n in numbers:
            data = content(n)
            digest = hashlib.sha256(data).digest()
            if digest not in known:
                conn.execute(insert(Media).values(
                    sha256=digest, md5=hashlib.md5(data).digest(),
                    sha1=hashlib.sha1(data).digest(), size=len(data), kind="other",
                    mime="text/plain", meta={}))
                known.add(digest)
            path = f"/evidence/{case}/object_{n}.txt"
            conn.execute(insert(Item).values(
                case_id=cid, source_id=source, path=path,
                path_key=hashlib.sha1(f"{case}{path}{now}".encode()).digest(), chain=[path],
                size=len(data), status="done", media_sha256=digest, mime="text/plain",
                deleted=False))
    return int(cid)


@dataclass
class Agencies:
    a: Workspace  # the requester
    b: Workspace  # the responder
    root: Path


def pair(root: Path) -> Agencies:
    a, b = Workspace(root / "agency-a"), Workspace(root / "agency-b")
    made_a = identity.create_agency(a, "Agency A")
    made_b = identity.create_agency(b, "Agency B")
    identity.trust(a, "Agency B", made_b.public)
    identity.trust(b, "Agency A", made_a.public)
    add_media(a, "op-alder", list(range(0, 40)))
    cases.approve(a, "op-alder", "tester")
    add_media(b, "op-birch", list(range(30, 90)))  # holds 30..39 of A's
    add_media(b, "op-cedar", [35, 36, 200, 201])
    add_media(b, "op-dogwood", [38, 300])
    cases.release(b, "op-birch", "B-2025-0042", "desk-b@agency-b.example", "tester")
    cases.release(b, "op-cedar", "B-2025-0077", "cedar@agency-b.example", "tester")
    return Agencies(a, b, root)


@pytest.fixture()
def agencies(tmp_path: Path) -> Iterator[Agencies]:
    made = pair(tmp_path)
    yield made
    made.a.close()
    made.b.close()
