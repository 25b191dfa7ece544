"""Malformed thumbnail caches through triage: a truncated cache, a bad first offset, an entry
whose sizes go past the file, an entry of size 0 (a loop for a naive reader), a damaged
Thumbs.db. Each is a recorded error with a one-line reason, the run finishes, and every
thumbnail that is still there is an item."""

from __future__ import annotations

import struct
from pathlib import Path

from sqlalchemy import select

from artefacts import kit
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace

EXPLORER = "Users/ann/AppData/Local/Microsoft/Windows/Explorer"


def _entries() -> list[kit.CacheEntry]:
    return [kit.CacheEntry(0x1000 + i, kit.picture(96, 72, 40 + i)) for i in range(3)]


def _caches() -> dict[str, bytes]:
    good = kit.thumbcache(32, _entries())
    bad_offset = bytearray(kit.thumbcache(21, _entries()))
    struct.pack_into("<I", bad_offset, 12, 10**9)
    beyond = bytearray(kit.thumbcache(30, _entries()))
    struct.pack_into("<I", beyond, 24 + 4, 10**8)
    struct.pack_into("<I", beyond, 24 + 24, 10**8 - 200)
    loop = bytearray(kit.thumbcache(21, _entries()))
    struct.pack_into("<I", loop, 24 + 4, 0)
    thumbs = kit.thumbs_db([kit.Thumb(1, "a.jpg", 1_200_000_000.0, kit.picture(96, 72, 50))])
    return {"thumbcache_truncated.db": good[: len(good) - 300],
            "thumbcache_offset.db": bytes(bad_offset),
            "thumbcache_beyond.db": bytes(beyond),
            "thumbcache_loop.db": bytes(loop),
            "Thumbs.db": thumbs[:700]}


def test_malformed_caches_are_recorded_errors_and_nothing_is_lost(tmp_path: Path) -> None:
    root = tmp_path / "laptop"
    (root / EXPLORER).mkdir(parents=True)
    for name, data in _caches().items():
        (root / EXPLORER / name).write_bytes(data)
    ws = Workspace(tmp_path / "ws")
    outcome = triage(ws, TriageRequest(sources=[root], case="c", settings=Settings(),
                                       report_dir=tmp_path / "report"))
    with ws.engine.connect() as conn:
        items = conn.execute(select(Item)).all()
    ws.close()
    assert sum(outcome.summary["items"].values()) == len(items)  # every item accounted for
    caches = {Path(i.path).name: i for i in items if i.parent_id is None
              and Path(i.path).name in _caches()}
    assert set(caches) == set(_caches())
    for name, item in caches.items():
        assert item.status == "error", name
        assert item.reason and "\n" not in item.reason, name
    assert "no cache entry" in caches["thumbcache_offset.db"].reason
    assert "beyond" in caches["thumbcache_beyond.db"].reason
    assert "declares 0 bytes" in caches["thumbcache_loop.db"].reason
    assert "OLE" in caches["Thumbs.db"].reason
    children: dict[str, list[Item]] = {}
    by_id = {i.id: i for i in items}
    for item in items:
        if item.parent_id is not None:
            children.setdefault(Path(by_id[item.parent_id].path).name, []).append(item)
    assert len(children["thumbcache_loop.db"]) == 3  # every thumbnail, found once
    assert len(children["thumbcache_beyond.db"]) == 3
    assert len(children["thumbcache_truncated.db"]) == 3  # the cut one with what remains
    assert all(c.media_sha256 is not None for c in children["thumbcache_loop.db"])
