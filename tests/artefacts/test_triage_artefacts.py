"""Thumbnail caches and recycle bins end to end: a laptop-like folder and the same files in an
ext4 image go through triage; every embedded thumbnail and every recycle-bin record is an
item or a listed record, the content items show their original path and deletion time, the
report counts categories and lists deleted pictures, and thumbnails reopen by locator."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from artefacts import kit
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.reports.items import iter_items
from cumberland.settings import Settings
from cumberland.sources.artefacts.catalogue import split
from cumberland.store.models import Item
from cumberland.store.reopen import open_item
from cumberland.store.workspace import Workspace
from sources.evidence_kit import ext4_image, mbr_disk, need

DELETED = 1_600_000_000.0
EXPLORER = "Users/ann/AppData/Local/Microsoft/Windows/Explorer"
BIN = "$Recycle.Bin/S-1-5-21-1-2-3-1001"


def _files() -> dict[str, bytes]:
    cache = [kit.CacheEntry(0x1000 + i, kit.picture(96, 72, 10 + i)) for i in range(3)]
    cache.insert(1, kit.CacheEntry(0x0FFF))  # no data
    thumbs = [kit.Thumb(1, "beach.jpg", 1_250_000_000.0, kit.picture(96, 72, 20)),
              kit.Thumb(2, "lost.jpg", 1_260_000_000.0, kit.picture(96, 64, 21))]
    return {
        "Users/ann/Pictures/Holiday/beach.jpg": kit.picture(640, 480, 20),
        "Users/ann/Pictures/Holiday/Thumbs.db": kit.thumbs_db(thumbs),
        f"{EXPLORER}/thumbcache_256.db": kit.thumbcache(32, cache, cache_type=4),
        f"{EXPLORER}/thumbcache_96.db": kit.thumbcache(21, cache[:2]),
        f"{BIN}/$IAB12CD.jpg": kit.i_file(2, "C:\\Users\\ann\\Pictures\\gone.jpg", 999, DELETED),
        f"{BIN}/$RAB12CD.jpg": kit.picture(320, 240, 30),
        f"{BIN}/$IFOLDER": kit.i_file(1, "C:\\Users\\ann\\Pictures\\Trip", 0, DELETED + 60),
        f"{BIN}/$RFOLDER/a.jpg": kit.picture(200, 150, 31),
        f"{BIN}/$RFOLDER/sub/b.jpg": kit.picture(200, 150, 32),
        f"{BIN}/$IEMPTY1.png": kit.i_file(2, "C:\\Users\\ann\\Desktop\\emptied.png", 5,
                                          DELETED + 120),
        f"{BIN}/$IBROKEN.jpg": b"\x07" * 40,
        "RECYCLER/S-1-5-21-9/INFO2": kit.info2([(1, 2, "C:\\Documents and Settings\\bo\\cat.jpg",
                                                  DELETED, 4096)]),
        "RECYCLER/S-1-5-21-9/Dc1.jpg": kit.picture(120, 90, 33),
        "home/cy/.local/share/Trash/info/x.jpg.trashinfo":
            kit.trashinfo("/home/cy/Pictures/x.jpg", "2020-09-13T12:26:40"),
        "home/cy/.local/share/Trash/files/x.jpg": kit.picture(120, 90, 34),
        "Windows/System32/shell.png": kit.picture(16, 16, 35, "PNG", alpha=True),
        "notes/$Info.txt": b"an ordinary file named like a record\n",
    }


def _triage(source: Path, base: Path, settings: Settings) -> dict[str, Any]:
    ws = Workspace(base / "ws")
    outcome = triage(ws, TriageRequest(sources=[source], case="laptop", settings=settings,
                                       report_dir=base / "report"))
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Item)).all()
    listed = {r["path"]: r for r in iter_items(ws, 1)}
    reopened = {}
    for item in rows:
        if item.locator and item.locator[-1]["t"] in ("slice", "stream") and \
                item.status == "done":
            with open_item(ws, item.id, settings) as fh:
                reopened[item.path] = hashlib.sha256(fh.read()).digest()
    ws.close()
    return {"items": {r.path: r for r in rows}, "listed": listed,
            "summary": outcome.summary, "reopened": reopened,
            "report": json.loads((base / "report" / "report.json").read_text())}


@pytest.fixture(scope="module", params=["inline", "fanned-out"])
def folder_run(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
               ) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("laptop") / "evidence"
    for rel, data in _files().items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    fanout = 2 if request.param == "fanned-out" else 256
    out = _triage(root, tmp_path_factory.mktemp("run"),
                  Settings(workers=2, chunk_size=3, fanout_members=fanout))
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
    out["root"] = str(root)
    return out


def _by_suffix(items: dict[str, Any], suffix: str) -> Any:
    (found,) = [v for k, v in items.items() if k.endswith(suffix)]
    return found


def test_every_thumbnail_of_every_cache_is_an_item(folder_run: dict[str, Any]) -> None:
    items = folder_run["items"]
    big = [p for p in items if "thumbcache_256.db › " in p]
    small = [p for p in items if "thumbcache_96.db › " in p]
    assert sorted(p.rsplit(" › ", 1)[1] for p in big) == [
        f"{0x1000 + i:016x}.jpg" for i in range(3)]
    assert len(small) == 1  # the v21 cache: one of its two entries holds data
    files = _files()
    for i, path in enumerate(sorted(big)):
        item = items[path]
        assert item.status == "done", (path, item.reason)
        assert bytes(item.media_sha256) == hashlib.sha256(kit.picture(96, 72, 10 + i)).digest()
        assert "thumbnail-cache" in split(item.artefacts)
        assert folder_run["reopened"][path] == bytes(item.media_sha256)
    cache = _by_suffix(items, "thumbcache_256.db")
    assert cache.status == "done" and cache.mime == "application/x-thumbcache"
    assert len(files) + 3 + 1 + 2 + 0 <= len(items)


def test_thumbs_db_thumbnails_keep_their_catalogue_name_and_time(folder_run: dict[str, Any]
                                                               ) -> None:
    items, listed = folder_run["items"], folder_run["listed"]
    lost = _by_suffix(items, "Thumbs.db › lost.jpg")
    assert lost.status == "done" and lost.modified == 1_260_000_000.0
    assert split(lost.artefacts) == ["pictures", "thumbnail-cache"]
    entry = listed[lost.path]["cache_entry"]
    assert entry == {"cache": "Thumbs.db", "entry": "2", "source": "lost.jpg"}
    assert folder_run["reopened"][lost.path] == bytes(lost.media_sha256)
    assert _by_suffix(items, "Thumbs.db").mime == "application/x-ole-storage"


def test_recycle_bin_content_shows_its_original_path_and_time(folder_run: dict[str, Any]
                                                              ) -> None:
    items, listed = folder_run["items"], folder_run["listed"]
    gone = _by_suffix(items, "$RAB12CD.jpg")
    assert (gone.original_path, gone.deleted_at) == ("C:\\Users\\ann\\Pictures\\gone.jpg",
                                                     DELETED)
    record = _by_suffix(items, "$IAB12CD.jpg")
    assert record.original_path == gone.original_path and not record.ext_mismatch
    assert _by_suffix(items, "$RFOLDER/sub/b.jpg").original_path == \
        "C:\\Users\\ann\\Pictures\\Trip\\sub\\b.jpg"
    assert _by_suffix(items, "Dc1.jpg").original_path == \
        "C:\\Documents and Settings\\bo\\cat.jpg"
    trashed = _by_suffix(items, "Trash/files/x.jpg")
    assert trashed.original_path == "/home/cy/Pictures/x.jpg"
    assert trashed.deleted_at == DELETED
    broken = _by_suffix(items, "$IBROKEN.jpg")
    assert broken.status == "error" and "recycle-bin record unreadable" in broken.reason
    assert _by_suffix(items, "notes/$Info.txt").status == "done"  # not in a recycle bin
    row = listed[gone.path]
    assert row["original_path"] == gone.original_path and row["deleted_at"] == DELETED
    assert "recycle-bin" in row["artefacts"]


def test_report_counts_categories_and_lists_deleted_pictures(folder_run: dict[str, Any]
                                                             ) -> None:
    report = folder_run["report"]
    counts = report["artefacts"]["items"]
    assert counts["thumbnail-cache"] >= 2 + 4 + 2  # the caches and their thumbnails
    assert counts["system"] == 1 and counts["recycle-bin"] == 11
    assert report["artefacts"]["catalogue"]["version"] == "1"
    deleted = report["recycle_bins"]
    originals = {d["original_path"]: d for d in deleted["pictures"]}
    assert set(originals) == {
        "C:\\Users\\ann\\Pictures\\gone.jpg", "C:\\Users\\ann\\Pictures\\Trip\\a.jpg",
        "C:\\Users\\ann\\Pictures\\Trip\\sub\\b.jpg", "C:\\Users\\ann\\Desktop\\emptied.png",
        "C:\\Documents and Settings\\bo\\cat.jpg", "/home/cy/Pictures/x.jpg"}
    assert deleted["deleted_pictures"] == 6 and deleted["records"] == 5
    assert originals["C:\\Users\\ann\\Desktop\\emptied.png"]["content_status"] == "gone"
    assert originals["C:\\Users\\ann\\Pictures\\gone.jpg"]["sha256"] == hashlib.sha256(
        _files()[f"{BIN}/$RAB12CD.jpg"]).hexdigest()


@pytest.fixture(scope="module")
def image_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    need("mkfs.ext4")
    work = tmp_path_factory.mktemp("build")
    seized = tmp_path_factory.mktemp("seized")
    fs = ext4_image(work / "fs.img", _files(), work, size_mb=8)
    disk = mbr_disk(seized / "laptop.dd", fs)
    return _triage(disk, tmp_path_factory.mktemp("run"),
                   Settings(workers=2, chunk_size=3))


def test_inside_a_disk_image_too(image_run: dict[str, Any]) -> None:
    items = image_run["items"]
    thumbs = [p for p in items if "thumbcache_256.db › " in p]
    assert len(thumbs) == 3 and all(image_run["reopened"][p] for p in thumbs)
    assert all("thumbnail-cache" in split(items[p].artefacts) for p in thumbs)
    gone = _by_suffix(items, "$RAB12CD.jpg")
    assert gone.original_path == "C:\\Users\\ann\\Pictures\\gone.jpg"
    assert split(_by_suffix(items, "/Windows/System32/shell.png").artefacts) == ["system"]
    assert image_run["report"]["recycle_bins"]["deleted_pictures"] == 6
