"""Locators: every member of a container carries a typed chain (file → image → volume →
inode → archive member ...) that reopens it read-only in a fresh process, checked by
SHA-256; the display chain is derived from it; a chain that no longer resolves is a
one-line reason."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.sources.evidence import open_path
from cumberland.sources.locator import (
    EntryStep,
    FileStep,
    ImageStep,
    LocatorError,
    MemberStep,
    VolumeStep,
    display_chain,
    from_json,
    to_json,
)
from cumberland.sources.reopen import Opener
from cumberland.store.models import Item
from cumberland.store.reopen import ReopenError, media_pixels, open_item, open_media
from cumberland.store.workspace import Workspace
from sources.evidence_kit import (
    e01,
    ext4_image,
    fingerprint_tree,
    jpeg,
    mbr_disk,
    seven_zip,
    zip_bytes,
)

BIG = jpeg(11, (1200, 900))
FILES = {"Users/a/keep.jpg": jpeg(1), "Users/a/old.jpg": jpeg(2),
         "Users/a/pics.zip": zip_bytes({"2019/big.jpg": BIG,
                                        "inner.zip": zip_bytes({"deep.jpg": jpeg(3)})})}


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("work")
    seized = tmp_path_factory.mktemp("seized")
    fs = ext4_image(work / "fs.img", FILES, work, delete=("Users/a/old.jpg",), size_mb=6)
    return e01(mbr_disk(work / "disk.dd", fs), seized / "laptop")


def test_steps_round_trip_through_json_including_undecodable_paths() -> None:
    locator = (FileStep(b"/ev/\xff\xfe.E01"), ImageStep("ewf"), VolumeStep("p2", 1048576),
               EntryStep("NTFS", 64, "/Users/a/pics.7z"), MemberStep(3, "2019/img.jpg"))
    stored = json.loads(json.dumps(to_json(locator)))
    assert from_json(stored) == locator
    assert display_chain(locator)[1:] == ["p2 (NTFS)", "/Users/a/pics.7z", "2019/img.jpg"]
    for bad in ([], [{"t": "member", "index": 1, "name": "x"}], [{"t": "file"}],
                [{"t": "file", "path": "/x"}, {"t": "image", "format": "floppy"}]):
        with pytest.raises(LocatorError):
            from_json(bad)


def test_every_member_reopens_by_locator_to_its_own_bytes(laptop: Path) -> None:
    result = fingerprint_tree(laptop)
    done = [c for c in result.children if c.result.media is not None]
    assert {c.chain[-1] for c in done} >= {"/Users/a/keep.jpg", "/Users/a/old.jpg",
                                           "2019/big.jpg", "deep.jpg"}
    opener = Opener(open_path, 1 << 30)
    try:
        for child in done:
            assert child.locator is not None
            locator = from_json(child.locator)
            assert [str(laptop), *display_chain(locator)[1:]] == [str(laptop), *child.chain]
            with opener.open(locator) as fh:
                assert hashlib.sha256(fh.read()).digest() == child.result.media.sha256
        deep = next(c for c in done if c.chain[-1] == "deep.jpg")
        kinds = [type(s).__name__ for s in from_json(deep.locator or [])]
        assert kinds == ["FileStep", "ImageStep", "VolumeStep", "EntryStep", "MemberStep",
                         "MemberStep"]
        old = next(c for c in done if c.chain[-1] == "/Users/a/old.jpg")
        assert old.deleted  # a deleted file reopens by its inode like any other
    finally:
        opener.close()


def test_a_fresh_process_reopens_a_member_inside_a_zip_inside_the_e01(laptop: Path,
                                                                        tmp_path: Path) -> None:
    result = fingerprint_tree(laptop)
    big = next(c for c in result.children if c.chain[-1] == "2019/big.jpg")
    code = ("import hashlib, json, sys\n"
            "from cumberland.sources.evidence import open_path\n"
            "from cumberland.sources.locator import from_json\n"
            "from cumberland.sources.reopen import Opener\n"
            "with Opener(open_path, 1 << 30).open(from_json(json.load(sys.stdin))) as fh:\n"
            "    print(hashlib.sha256(fh.read()).hexdigest())\n")
    out = subprocess.run([sys.executable, "-c", code], input=json.dumps(big.locator),
                         capture_output=True, text=True, check=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    assert out.stdout.strip() == hashlib.sha256(BIG).hexdigest()


def test_workspace_reads_members_back_checked_and_says_why_not(laptop: Path,
                                                                tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    copy = evidence / laptop.name
    shutil.copyfile(laptop, copy)
    ws = Workspace(tmp_path / "ws")
    try:
        triage(ws, TriageRequest(sources=[evidence], case="loc", settings=Settings(workers=1)))
        with ws.engine.connect() as conn:
            rows = {r.chain[-1]: r for r in conn.execute(
                Item.__table__.select().where(Item.media_sha256.is_not(None)))}
        big = rows["2019/big.jpg"]
        assert big.locator and from_json(big.locator)[0] == FileStep(os.fsencode(copy))
        with open_item(ws, big.id, Settings()) as fh:
            assert fh.read() == BIG
        sha = hashlib.sha256(BIG).digest()
        with open_media(ws, sha, Settings()) as fh:
            assert fh.read() == BIG
        assert media_pixels(ws, sha, Settings(pdq_draft_min_side=0)).shape == (900, 1200, 3)
        # Evidence changed in place: the bytes no longer hash to what was ingested.
        with copy.open("r+b") as fh:
            fh.truncate(copy.stat().st_size // 2)
        with pytest.raises(ReopenError) as changed, open_item(ws, big.id, Settings()):
            pass
        assert "\n" not in str(changed.value)
        copy.unlink()  # evidence moved away
        with pytest.raises(ReopenError, match="not found"), open_media(ws, sha, Settings()):
            pass
    finally:
        ws.close()


def test_archive_members_locate_by_index_even_when_names_repeat(tmp_path: Path) -> None:
    archive = seven_zip(tmp_path / "two.7z", {"a/x.jpg": jpeg(5), "b/x.jpg": jpeg(6)}, tmp_path)
    result = fingerprint_tree(archive)
    opener = Opener(open_path, 1 << 30)
    seen = set()
    for child in result.children:
        locator = from_json(child.locator or [])
        assert isinstance(locator[-1], MemberStep)
        seen.add(locator[-1].index)
        with opener.open(locator) as fh:
            assert child.result.media is not None
            assert hashlib.sha256(fh.read()).digest() == child.result.media.sha256
    opener.close()
    assert len(seen) == 2


def test_data_appended_to_a_picture_reopens_by_its_tail_step(tmp_path: Path) -> None:
    hidden = jpeg(7)
    path = tmp_path / "cover.jpg"
    path.write_bytes(jpeg(8) + zip_bytes({"hidden.jpg": hidden}))
    result = fingerprint_tree(path)
    inner = next(c for c in result.children if c.chain[-1] == "hidden.jpg")
    kinds = [type(s).__name__ for s in from_json(inner.locator or [])]
    assert kinds == ["FileStep", "TailStep", "MemberStep"]
    with Opener(open_path, 1 << 30).open(from_json(inner.locator or [])) as fh:
        assert fh.read() == hidden
