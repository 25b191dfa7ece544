"""Triage of evidence as it arrives: an E01 holding an ext4 partition with a deleted picture
and a 7z inside it, a zip inside a 7z, a video, a HEIC photo, a zip bomb, over-deep nesting
and an encrypted archive; found in a folder and given directly as a SOURCE."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace
from sources.evidence_kit import (
    e01,
    ext4_image,
    heic,
    jpeg,
    mbr_disk,
    seven_zip,
    video,
    zip_bytes,
)

SETTINGS = Settings(workers=2, chunk_size=2, max_depth=3, archive_max_bytes=4 * 1024 * 1024)


def _nest(levels: int) -> bytes:
    data = zip_bytes({"deepest.jpg": jpeg(40)})
    for level in range(levels, 0, -1):
        data = zip_bytes({f"level{level}.zip": data})
    return data


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("build")
    seized = tmp_path_factory.mktemp("seized")
    pics = seven_zip(work / "pics.7z", {"2019/album.zip": zip_bytes({"img.jpg": jpeg(1)})}, work)
    fs = ext4_image(work / "fs.img", {
        "Users/a/pics.7z": pics.read_bytes(), "Users/a/keep.jpg": jpeg(2),
        "Users/a/old.jpg": jpeg(3)}, work, delete=("Users/a/old.jpg",), size_mb=4)
    laptop = e01(mbr_disk(work / "disk.dd", fs), seized / "laptop")
    seven_zip(seized / "holiday.7z", {"inner.zip": zip_bytes({"beach.jpg": jpeg(4),
                                                              "sea.png": b""})}, work)
    video(seized / "clip.mp4", [5, 6], fps=8)
    (seized / "photo.heic").write_bytes(heic(7))
    (seized / "bomb.zip").write_bytes(zip_bytes({"a.jpg": jpeg(8),
                                                 "zeros.bin": bytes(16 * 1024 * 1024)}))
    (seized / "nest.zip").write_bytes(_nest(5))
    seven_zip(seized / "locked.7z", {"secret.jpg": jpeg(9)}, work, password="pw")
    loose = tmp_path_factory.mktemp("loose")
    direct = loose / "direct.E01"
    direct.write_bytes(laptop.read_bytes())
    return {"seized": seized, "direct": direct}


def _digest_tree(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def run(evidence: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    before = _digest_tree(evidence["seized"]), _digest_tree(evidence["direct"].parent)
    base = tmp_path_factory.mktemp("run")
    ws = Workspace(base / "ws")
    outcome = triage(ws, TriageRequest(sources=[evidence["seized"], evidence["direct"]],
                                       case="containers", settings=SETTINGS))
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Item)).all()
    ws.close()
    seized = str(evidence["seized"]) + "/"
    loose = str(evidence["direct"].parent) + "/"
    items = {r.path.replace(seized, "").replace(loose, ""): r for r in rows}
    ids = {r.id: r for r in rows}
    after = _digest_tree(evidence["seized"]), _digest_tree(evidence["direct"].parent)
    return {"items": items, "ids": ids, "summary": outcome.summary, "unchanged": before == after}


def test_every_item_with_its_chain_and_flags(run: dict[str, Any]) -> None:
    items, ids = run["items"], run["ids"]
    for top in ("laptop.E01", "direct.E01"):
        base = f"{top} › p1 (ext4) › /Users/a"
        archive = f"{base}/pics.7z"
        expected = {top, f"{base}/keep.jpg", f"{base}/old.jpg", archive,
                    f"{archive} › 2019/album.zip", f"{archive} › 2019/album.zip › img.jpg"}
        assert expected <= set(items)
        old = items[f"{base}/old.jpg"]
        assert old.deleted and old.status == "done" and old.media_sha256 is not None
        assert old.modified is not None
        assert not items[f"{base}/keep.jpg"].deleted
        leaf = items[f"{archive} › 2019/album.zip › img.jpg"]
        assert leaf.status == "done" and leaf.mime == "image/jpeg"
        assert ids[leaf.parent_id].path.endswith("2019/album.zip")
        assert ids[items[archive].parent_id].path.endswith(top)
        assert items[top].mime == "application/x-ewf"
        assert items[top].chain == [items[top].path]
    assert items["holiday.7z › inner.zip › beach.jpg"].status == "done"
    assert items["holiday.7z › inner.zip › sea.png"].status == "skipped"
    assert items["clip.mp4"].mime == "video/mp4" and items["clip.mp4"].status == "done"
    assert items["photo.heic"].mime == "image/heic" and items["photo.heic"].status == "done"
    assert run["unchanged"]


def test_limits_stop_bombs_without_losing_anything_else(run: dict[str, Any]) -> None:
    items = run["items"]
    assert (items["bomb.zip"].status, items["bomb.zip"].reason) == (
        "skipped", "limit: expanded bytes > 4 MiB")
    assert items["bomb.zip › a.jpg"].status == "done"
    assert items["bomb.zip › zeros.bin"].status == "skipped"
    assert items["nest.zip"].status == "done"
    deep = "nest.zip › level1.zip › level2.zip › level3.zip"
    assert (items[deep].status, items[deep].reason) == ("skipped", "limit: nesting depth 3")
    assert not any("deepest.jpg" in path for path in items)
    assert all(r.status != "pending" for r in items.values())


def test_encrypted_archive_is_listed_for_a_password_request(run: dict[str, Any]) -> None:
    summary = run["summary"]
    assert [Path(e["path"].split(" › ")[0]).name for e in summary["encrypted"]] == ["locked.7z"]
    assert summary["encrypted"][0]["path"].endswith("locked.7z › secret.jpg")
    assert summary["items"]["encrypted"] == 1
    assert summary["by_kind"]["disk-image"] == 1 and summary["by_kind"]["video"] == 1


def test_a_second_run_adds_no_duplicates(evidence: dict[str, Path], tmp_path: Path,
                                         run: dict[str, Any]) -> None:
    ws = Workspace(tmp_path / "ws")
    request = TriageRequest(sources=[evidence["seized"]], case="again", settings=SETTINGS)
    first = triage(ws, request).summary["files_seen"]
    with ws.engine.begin() as conn:  # as if the E01's chunk had not been checkpointed
        conn.execute(Item.__table__.update().where(  # type: ignore[attr-defined]
            Item.path == str(evidence["seized"] / "laptop.E01")).values(status="pending"))
    again = triage(ws, request).summary
    assert again["files_seen"] == first
    assert "pending" not in again["items"]
    with ws.engine.connect() as conn:
        paths = [p for (p,) in conn.execute(select(Item.path))]
    assert len(paths) == len(set(paths)) == first
    ws.close()
