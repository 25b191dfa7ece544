"""Disk images through fingerprint(): EWF (multi-segment), raw, split raw, MBR, ext4 and FAT,
deleted files with their flag and times, truncated images."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from cumberland.records import Result
from cumberland.signals.crypto import digest_blocks
from cumberland.sources.disk_image import looks_like_raw_disk
from sources.evidence_kit import (
    e01,
    ext4_image,
    fat_image,
    fingerprint_tree,
    gpt_disk,
    jpeg,
    mbr_disk,
    need,
    ntfs_image,
    run,
)

FILES = {"Users/a/keep.jpg": jpeg(1), "Users/a/gone.jpg": jpeg(2), "notes.txt": b"list\n"}


def _fp(path: Path) -> Result:
    return fingerprint_tree(path)


def _children(result: Result) -> dict[tuple[str, ...], object]:
    return {tuple(c.chain): c for c in result.children}


@pytest.fixture(scope="module")
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("disk")
    fs = ext4_image(work / "fs.img", FILES, work, delete=("Users/a/gone.jpg",), size_mb=4)
    return mbr_disk(work / "disk.dd", fs)


def _check_ext4(result: Result, label: str = "p1 (ext4)") -> None:
    assert result.status == "done", result.reason
    found = {tuple(c.chain): c for c in result.children}
    assert set(found) == {(label, "/Users/a/keep.jpg"), (label, "/Users/a/gone.jpg"),
                          (label, "/notes.txt")}
    gone = found[(label, "/Users/a/gone.jpg")]
    keep = found[(label, "/Users/a/keep.jpg")]
    assert gone.deleted and not keep.deleted
    assert gone.result.status == "done" and gone.result.media is not None
    assert gone.result.media.sha256 == digest_blocks([FILES["Users/a/gone.jpg"]]).sha256
    assert gone.result.media.pdq is not None
    assert keep.times.modified and keep.times.changed and keep.times.accessed
    assert all(c.parent == -1 for c in result.children)


def test_raw_mbr_disk_with_ext4_and_a_deleted_file(disk: Path) -> None:
    result = _fp(disk)
    assert result.media is not None and result.media.kind == "disk-image"
    assert result.media.meta["volume_system"] == "MBR"
    _check_ext4(result)


def test_multi_segment_e01_reads_all_segments(disk: Path, tmp_path: Path) -> None:
    first = e01(disk, tmp_path / "laptop", segment_bytes=1024 * 1024)
    assert (tmp_path / "laptop.E02").exists()
    result = _fp(first)
    assert result.mime == "application/x-ewf"
    assert result.media is not None and result.media.meta["segments"] >= 2
    _check_ext4(result)
    second = _fp(tmp_path / "laptop.E02")
    assert second.status == "done" and second.children == []
    assert second.reason == "EWF segment 2: read together with segment 1"


def test_split_raw_is_read_as_one_image(disk: Path, tmp_path: Path) -> None:
    data = disk.read_bytes()
    half = len(data) // 2
    (tmp_path / "disk.001").write_bytes(data[:half])
    (tmp_path / "disk.002").write_bytes(data[half:])
    result = _fp(tmp_path / "disk.001")
    assert result.media is not None and result.media.meta["segments"] == 2
    _check_ext4(result)


def test_fat_deleted_file_is_recovered(tmp_path: Path) -> None:
    image = fat_image(tmp_path / "card.img", {"DCIM/a.jpg": jpeg(3), "b.jpg": jpeg(4)}, tmp_path,
                      delete=("b.jpg",))
    result = _fp(image)
    assert result.status == "done"
    found = _children(result)
    label = next(iter(found))[0]
    assert label.startswith("fs (FAT")
    deleted = [c for c in result.children if c.deleted]
    assert len(deleted) == 1 and deleted[0].chain[1].endswith(".jpg")  # FAT loses the 1st char
    assert deleted[0].result.media is not None
    assert deleted[0].result.media.sha256 == digest_blocks([jpeg(4)]).sha256
    assert (label, "/DCIM/a.jpg") in found


def test_truncated_image_keeps_what_it_reads_and_records_the_error(
        disk: Path, tmp_path: Path) -> None:
    data = disk.read_bytes()
    cut = tmp_path / "cut.dd"
    offsets = [data.find(FILES[name]) for name in FILES]
    cut.write_bytes(data[: max(offsets) + 100])  # the last file's content is cut off
    result = _fp(cut)
    assert result.status == "error" and result.reason
    statuses = sorted(c.result.status for c in result.children)
    assert "done" in statuses and "error" in statuses


def test_raw_disk_detection() -> None:
    assert not looks_like_raw_disk(os.urandom(4096))
    assert not looks_like_raw_disk(b"hello world\n" * 300)
    fat = bytearray(4096)
    fat[54:59], fat[510:512] = b"FAT16", b"\x55\xaa"
    assert looks_like_raw_disk(bytes(fat))


def test_ntfs_volume_in_an_e01(tmp_path: Path) -> None:
    files = {"holiday.jpg": jpeg(5), "notes.txt": b"ntfs\n"}
    volume = ntfs_image(tmp_path / "ntfs.img", files, tmp_path)
    disk = mbr_disk(tmp_path / "ntfs-disk.dd", volume, type_id=0x07)
    result = _fp(e01(disk, tmp_path / "laptop"))
    assert result.status == "done", result.reason
    found = _children(result)
    label = next(iter(found))[0]
    assert label == "p1 (NTFS)"
    assert (label, "/holiday.jpg") in found and (label, "/notes.txt") in found
    photo = found[(label, "/holiday.jpg")]
    assert photo.result.media is not None  # type: ignore[attr-defined]
    assert photo.result.media.sha256 == digest_blocks([files["holiday.jpg"]]).sha256  # type: ignore[attr-defined]
    assert (label, "/$MFT") in found  # system files are files of the volume: accounted for
    boot = found[(label, "/$Boot")]  # a lone boot sector is an ordinary file, not an error
    assert boot.result.status == "done"  # type: ignore[attr-defined]
    orphans = [c for c in result.children if c.chain[1].startswith("/$OrphanFiles/")]
    assert all(c.result.status == "skipped" for c in orphans)


def test_gpt_disk_with_a_fat_partition(tmp_path: Path) -> None:
    fs = fat_image(tmp_path / "part.img", {"DCIM/c.jpg": jpeg(6)}, tmp_path)
    result = _fp(gpt_disk(tmp_path / "gpt.dd", fs))
    assert result.status == "done", result.reason
    found = _children(result)
    assert len({chain[0] for chain in found}) == 1
    label = next(iter(found))[0]
    assert label.startswith("p1 (FAT")
    assert (label, "/DCIM/c.jpg") in found


def _with_table(disk: Path, out: Path, table: bytes) -> Path:
    data = bytearray(disk.read_bytes())
    data[446:510] = table
    out.write_bytes(bytes(data))
    return out


def _scanned(result: Result) -> None:
    assert result.status == "done", result.reason
    assert result.media is not None and result.media.kind == "disk-image"
    assert result.media.meta["file_systems"] == ["offset 1048576 (ext4)"]
    assert "found by scanning" in (result.reason or "")
    _check_ext4(result, "offset 1048576 (ext4)")


def test_random_partition_table_is_scanned_for_file_systems(disk: Path, tmp_path: Path) -> None:
    """An MBR of random entries (the 55AA signature kept) in front of an ext4 volume at 1 MiB:
    TSK opens the volume at its offset once the table is found to describe nothing."""
    table = bytes(random.Random(7).randrange(256) for _ in range(64))
    _scanned(_fp(_with_table(disk, tmp_path / "random-table.dd", table)))


def test_partition_table_pointing_elsewhere_is_scanned(disk: Path, tmp_path: Path) -> None:
    entry = bytes([0x80, 0, 0, 0, 0x83, 0, 0, 0]) + (4000).to_bytes(4, "little") + \
        (2000).to_bytes(4, "little")
    _scanned(_fp(_with_table(disk, tmp_path / "wrong-table.dd", entry + bytes(48))))


def test_disk_with_a_table_and_no_readable_file_system_says_so(tmp_path: Path) -> None:
    entry = bytes([0x00, 0, 0, 0, 0x83, 0, 0, 0]) + (2048).to_bytes(4, "little") + \
        (4096).to_bytes(4, "little")
    mbr = bytearray(512)
    mbr[446:462], mbr[510:512] = entry, b"\x55\xaa"
    path = tmp_path / "blank.dd"
    path.write_bytes(bytes(mbr) + bytes(3 * 1024 * 1024 - 512))
    result = _fp(path)
    assert result.status == "error"
    assert result.media is not None and result.media.kind == "disk-image"
    assert result.reason is not None and "no readable file system" in result.reason
    assert "scan" in result.reason


def test_a_damaged_inode_is_named_as_such(tmp_path: Path) -> None:
    """A JPEG whose inode the damaged ext4 no longer describes was ``skipped (not a regular
    file)``; it is an unreadable inode, and the reason says what TSK reported."""
    need("debugfs")
    fs = ext4_image(tmp_path / "fs.img", {"d/a.jpg": jpeg(7), "d/b.jpg": jpeg(8)}, tmp_path,
                    size_mb=4)
    run("debugfs", "-w", "-R", "clri /d/b.jpg", fs)
    found = _children(_fp(fs))
    damaged = found[("fs (ext4)", "/d/b.jpg")].result  # type: ignore[attr-defined]
    assert damaged.status == "error"
    assert damaged.reason is not None and damaged.reason.startswith("unreadable inode ")
    assert damaged.reason.endswith("(TSK: file type undefined)")
    assert found[("fs (ext4)", "/d/a.jpg")].result.status == "done"  # type: ignore[attr-defined]
