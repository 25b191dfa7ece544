"""Virtual-disk formats through the libyal bindings (VMDK, VHD, VHDX, QCOW2, made here with
qemu-img), encrypted volumes (LUKS opened with the examiner's passphrase; BitLocker and
FileVault 2 recognised and recorded as ``encrypted`` with what would open them), and phone
extractions (a zip of an Android file system) fanning out like a disk image."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from cumberland.pipeline.fingerprint import fingerprint
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Result, Task
from cumberland.settings import Settings
from cumberland.signals.sniff import sniff
from cumberland.sources.evidence import open_path
from cumberland.sources.locator import CryptStep, from_json
from cumberland.sources.reopen import Opener
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace
from sources.evidence_kit import (
    ext4_image,
    fingerprint_tree,
    gpt_disk,
    jpeg,
    luks_volume,
    mbr_disk,
    qemu_convert,
    zip_bytes,
)

FILES = {"DCIM/100/a.jpg": jpeg(1), "DCIM/100/b.jpg": jpeg(2), "notes.txt": b"disk\n"}


def _files(result: Result) -> dict[str, bytes]:
    """path inside the file system -> SHA-256 of every file read."""
    return {c.chain[-1]: c.result.media.sha256 for c in result.children
            if c.result.media is not None}


def _expected() -> dict[str, bytes]:
    return {f"/{k}": hashlib.sha256(v).digest() for k, v in FILES.items()}


@pytest.fixture(scope="module")
def raw_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("disk")
    return mbr_disk(work / "disk.dd", ext4_image(work / "fs.img", FILES, work, size_mb=4))


@pytest.mark.parametrize(("fmt", "mime", "name"), [
    ("vmdk", "application/x-vmdk", "disk.vmdk"), ("vpc", "application/x-vhd", "disk.vhd"),
    ("vhdx", "application/x-vhdx", "disk.vhdx"), ("qcow2", "application/x-qemu-disk",
                                                  "disk.qcow2")])
def test_virtual_disks_read_like_the_raw_image(raw_disk: Path, tmp_path: Path, fmt: str,
                                               mime: str, name: str) -> None:
    image = qemu_convert(raw_disk, tmp_path / name, fmt)
    assert sniff(image.read_bytes()[:4096]).mime == mime
    result = fingerprint_tree(image)
    assert result.status == "done", result.reason
    assert result.mime == mime and not result.ext_mismatch
    assert _files(result) == _expected()
    opener = Opener(open_path, 1 << 30)
    for child in result.children:
        if child.result.media is not None:
            with opener.open(from_json(child.locator or [])) as fh:
                assert hashlib.sha256(fh.read()).digest() == child.result.media.sha256
    opener.close()


@pytest.fixture(scope="module")
def luks_disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("luks")
    inner = ext4_image(work / "fs.img", FILES, work, size_mb=4)
    return mbr_disk(work / "laptop.dd", luks_volume(work / "luks.img", inner, "horse", work))


def test_luks_volume_without_a_key_is_one_encrypted_item_saying_what_opens_it(
        luks_disk: Path) -> None:
    result = fingerprint_tree(luks_disk)
    assert result.status == "done"
    [locked] = result.children
    assert (locked.result.status, locked.chain) == ("encrypted", ["p1 (LUKS, encrypted)"])
    assert locked.result.reason == "LUKS volume: needs its passphrase (--volume-keys FILE)"
    assert isinstance(from_json(locked.locator or [])[-1], CryptStep)


def test_luks_volume_opens_with_the_examiners_passphrase(luks_disk: Path,
                                                         tmp_path: Path) -> None:
    keys = tmp_path / "keys.txt"
    keys.write_text("wrong\nhorse\n")
    settings = Settings(volume_keys=str(keys))
    result = fingerprint_tree(luks_disk, settings)
    assert result.status == "done", result.reason
    assert "p1: LUKS volume opened with a given key" in (result.reason or "")
    assert _files(result) == _expected()
    assert {c.chain[0] for c in result.children} == {"p1 (LUKS: ext4)"}
    # The key is not in the locator: reopening needs the keys again.
    child = next(c for c in result.children if c.chain[-1] == "/DCIM/100/a.jpg")
    assert "horse" not in str(child.locator)
    with Opener(open_path, 1 << 30, ["horse"]).open(from_json(child.locator or [])) as fh:
        assert fh.read() == FILES["DCIM/100/a.jpg"]
    with pytest.raises(Exception, match="LUKS volume: needs"):
        Opener(open_path, 1 << 30).open(from_json(child.locator or []))


@pytest.mark.parametrize(("signature", "name"), [
    ({3: b"-FVE-FS-"}, "BitLocker"),
    ({88: b"CS", 92: (1).to_bytes(4, "little")}, "FileVault 2")])
def test_bitlocker_and_filevault_volumes_are_recorded_as_encrypted(
        tmp_path: Path, signature: dict[int, bytes], name: str) -> None:
    # No Linux tool writes these formats: a volume carrying the signature stands in, so
    # what is tested is recognition and the recorded status, not decryption.
    volume = bytearray(os.urandom(2 * 1024 * 1024))
    for offset, value in signature.items():
        volume[offset : offset + len(value)] = value
    (tmp_path / "vol.img").write_bytes(bytes(volume))
    result = fingerprint_tree(mbr_disk(tmp_path / "disk.dd", tmp_path / "vol.img", 0x07))
    [locked] = result.children
    assert locked.result.status == "encrypted"
    assert locked.chain == [f"p1 ({name}, encrypted)"]
    assert locked.result.reason and locked.result.reason.startswith(f"{name} volume: needs")


def test_android_extraction_zip_fans_out_and_members_reopen(tmp_path: Path) -> None:
    members = {f"data/media/0/DCIM/Camera/IMG_{i:04d}.jpg": jpeg(i, (96, 72))
               for i in range(40)}
    members["data/data/com.app/databases/app.db"] = b"SQLite format 3\x00" + bytes(100)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "android.zip").write_bytes(zip_bytes(members))
    listed = fingerprint(Task(1, os.fsencode(evidence / "android.zip"), "android.zip", None),
                         Settings(fanout_members=16))
    assert (listed.listed, listed.children) == (len(members), [])  # listed, not read
    ws = Workspace(tmp_path / "ws")
    try:
        triage(ws, TriageRequest(sources=[evidence], case="phone",
                                 settings=Settings(workers=2, chunk_size=8, fanout_members=16)))
        with ws.engine.connect() as conn:
            rows = conn.execute(Item.__table__.select()).all()
    finally:
        ws.close()
    inside = [r for r in rows if r.parent_id is not None]
    assert len(inside) == len(members)
    assert all(r.status == "done" and r.locator for r in inside)
    camera = [r for r in inside if "/DCIM/Camera/" in r.path]
    assert len(camera) == 40 and all(r.mime == "image/jpeg" for r in camera)
    assert {hashlib.sha256(v).digest() for v in members.values()} == {
        bytes(r.media_sha256) for r in inside}


def test_an_apfs_container_is_recorded_not_silently_dropped(tmp_path: Path) -> None:
    # No Linux tool writes files into APFS without its kernel module, so there is no
    # fixture with files: a volume with the container superblock's magic stands in.
    volume = bytearray(2 * 1024 * 1024)
    volume[32:36] = b"NXSB"
    (tmp_path / "apfs.img").write_bytes(bytes(volume))
    result = fingerprint_tree(gpt_disk(tmp_path / "mac.dd", tmp_path / "apfs.img", "AF0A"))
    [container] = result.children
    assert container.chain == ["p1 (APFS)", "/"]
    assert (container.result.status, container.result.reason) == (
        "skipped", "APFS container: its files are not read (not supported yet)")
