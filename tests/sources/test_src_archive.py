"""Archives through fingerprint(): chains, nesting, limits, encryption, hostile names."""

from __future__ import annotations

import io
import os
import tarfile
import tempfile
import zipfile
from pathlib import Path

from cumberland.records import Result
from cumberland.settings import Settings
from sources.evidence_kit import fingerprint_tree, jpeg, seven_zip, zip_bytes


def _fp(path: Path, settings: Settings | None = None) -> Result:
    return fingerprint_tree(path, settings)


def _by_chain(result: Result) -> dict[tuple[str, ...], Result]:
    return {tuple(c.chain): c.result for c in result.children}


def test_zip_inside_7z_lists_every_member_with_its_chain(tmp_path: Path) -> None:
    inner = zip_bytes({"2019/a.jpg": jpeg(1), "2019/b.jpg": jpeg(2), "notes.txt": b"hello\n"})
    archive = seven_zip(tmp_path / "pics.7z", {"album/inner.zip": inner, "c.jpg": jpeg(3)},
                        tmp_path)
    result = _fp(archive)
    assert result.status == "done" and result.media is not None
    assert result.media.kind == "archive"
    found = _by_chain(result)
    assert set(found) == {("album/inner.zip",), ("album/inner.zip", "2019/a.jpg"),
                          ("album/inner.zip", "2019/b.jpg"), ("album/inner.zip", "notes.txt"),
                          ("c.jpg",)}
    chains = [tuple(c.chain) for c in result.children]
    zip_index = chains.index(("album/inner.zip",))
    for child in result.children:
        expected = zip_index if child.chain[0] == "album/inner.zip" and len(child.chain) == 2 \
            else -1
        assert child.parent == expected
    image = found[("album/inner.zip", "2019/a.jpg")]
    assert image.status == "done" and image.media is not None and image.media.pdq is not None
    assert image.thumbnail is not None
    assert found[("album/inner.zip",)].media is not None
    assert found[("album/inner.zip",)].media.kind == "archive"  # type: ignore[union-attr]


def test_zip_bomb_stops_at_the_byte_limit_keeping_what_came_before(tmp_path: Path) -> None:
    bomb = zip_bytes({"a_first.jpg": jpeg(4), "b_zeros.bin": bytes(40 * 1024 * 1024),
                      "c_after.jpg": jpeg(5)})
    assert len(bomb) < 200_000
    path = tmp_path / "bomb.zip"
    path.write_bytes(bomb)
    result = _fp(path, Settings(archive_max_bytes=8 * 1024 * 1024))
    assert result.status == "skipped"
    assert result.reason == "limit: expanded bytes > 8 MiB"
    assert result.media is not None  # the archive itself is still hashed
    found = _by_chain(result)
    assert found[("a_first.jpg",)].status == "done"
    assert found[("b_zeros.bin",)].status == "skipped"
    assert found[("b_zeros.bin",)].media is None  # no hashes of a partial read
    assert ("c_after.jpg",) not in found


def test_expansion_ratio_limit_counts_nested_archives_against_the_outermost(
        tmp_path: Path) -> None:
    inner = zip_bytes({"zeros.bin": bytes(30 * 1024 * 1024)})
    path = tmp_path / "outer.zip"
    path.write_bytes(zip_bytes({"inner.zip": inner}, zipfile.ZIP_STORED))
    result = _fp(path, Settings(archive_max_ratio=50))
    assert (result.status, result.reason) == ("done", None)
    found = _by_chain(result)
    assert (found[("inner.zip",)].status, found[("inner.zip",)].reason) == (
        "done", "1 member skipped at a limit (expansion ratio > 50)")
    assert (found[("inner.zip", "zeros.bin")].status,
            found[("inner.zip", "zeros.bin")].reason) == ("skipped", "limit: expansion ratio > 50")


def test_entry_count_limit(tmp_path: Path) -> None:
    path = tmp_path / "many.zip"
    path.write_bytes(zip_bytes({f"f{i:02d}.txt": b"x" for i in range(20)}))
    result = _fp(path, Settings(archive_max_entries=5))
    assert (result.status, result.reason) == ("skipped", "limit: entries > 5")
    assert len(result.children) == 5


def test_over_deep_nesting_stops_at_the_depth_limit(tmp_path: Path) -> None:
    data = zip_bytes({"deepest.jpg": jpeg(6)})
    for level in range(5, 0, -1):
        data = zip_bytes({f"level{level}.zip": data, f"pic{level}.jpg": jpeg(10 + level)})
    path = tmp_path / "nest.zip"
    path.write_bytes(data)
    result = _fp(path, Settings(max_depth=3))
    assert result.status == "done"
    by_name = {c.chain[-1]: c.result for c in result.children}
    assert by_name["level1.zip"].status == "done"
    assert by_name["level2.zip"].status == "done"
    assert (by_name["level3.zip"].status, by_name["level3.zip"].reason) == (
        "skipped", "limit: nesting depth 3")
    assert by_name["level3.zip"].media is not None
    assert {"pic1.jpg", "pic2.jpg", "pic3.jpg"} <= set(by_name)
    assert "level4.zip" not in by_name and "deepest.jpg" not in by_name
    assert all(by_name[f"pic{i}.jpg"].status == "done" for i in (1, 2, 3))


def test_encrypted_entries_and_encrypted_listings(tmp_path: Path) -> None:
    entries = seven_zip(tmp_path / "locked.7z", {"a.jpg": jpeg(7)}, tmp_path, password="pw")
    result = _fp(entries)
    assert result.status == "done"
    [child] = result.children
    assert child.result.status == "encrypted" and child.chain == ["a.jpg"]
    listing = seven_zip(tmp_path / "hidden.7z", {"b.jpg": jpeg(8)}, tmp_path, password="pw",
                        encrypt_names=True)
    result = _fp(listing)
    assert result.status == "encrypted" and "password" in (result.reason or "")
    assert result.children == []


def test_hostile_names_are_text_only_and_nothing_is_written(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", encoding="utf-8", errors="surrogateescape") as tf:
        for name in ("../../escape.txt", "/etc/absolute.txt", "bad\udcffname.txt", "dup.txt",
                     "dup.txt"):
            info = tarfile.TarInfo(name)
            info.size = 3
            tf.addfile(info, io.BytesIO(b"abc"))
    path = tmp_path / "names.tar"
    path.write_bytes(out.getvalue())
    before = sorted(os.listdir(tmp_path)), sorted(os.listdir(tempfile.gettempdir()))
    result = _fp(path)
    names = [c.chain[-1] for c in result.children]
    assert names == ["../../escape.txt", "/etc/absolute.txt", "bad\\xffname.txt", "dup.txt",
                     "dup.txt (#2)"]
    assert all(c.result.status == "done" for c in result.children)
    assert (sorted(os.listdir(tmp_path)), sorted(os.listdir(tempfile.gettempdir()))) == before


def test_single_gzip_file_and_damaged_tar(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "photo.jpg.gz"
    path.write_bytes(gzip.compress(jpeg(9)))
    result = _fp(path)
    [child] = result.children
    assert child.chain == ["photo.jpg"] and child.result.mime == "image/jpeg"
    assert child.result.media is not None and child.result.media.pdq is not None

    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tf:
        for i in range(3):
            data = jpeg(20 + i) + os.urandom(30000)
            info = tarfile.TarInfo(f"img{i}.jpg")
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    damaged = tmp_path / "cut.tgz"
    damaged.write_bytes(out.getvalue()[: len(out.getvalue()) * 2 // 3])
    result = _fp(damaged)
    assert result.status == "error"
    assert (result.reason or "").startswith("corrupt archive after 2 entries")
    found = _by_chain(result)
    assert found[("img0.jpg",)].status == "done"
    assert found[("img1.jpg",)].status == "error"
    # libarchive-c's message carries the archive's address: reasons must be deterministic
    assert found[("img1.jpg",)].reason == "read failed: truncated gzip input"


def test_large_member_is_spooled_and_decoded_then_spool_removed(tmp_path: Path) -> None:
    big = jpeg(30, (1200, 900))
    path = tmp_path / "big.zip"
    path.write_bytes(zip_bytes({"big.jpg": big}, zipfile.ZIP_STORED))
    spools = set(Path(tempfile.gettempdir()).glob("cumberland-spool-*"))
    spool = tmp_path / "spool"
    spool.mkdir()
    result = _fp(path, Settings(in_memory_limit=64 * 1024, spool_dir=str(spool)))
    [child] = result.children
    assert child.result.status == "done" and child.result.media is not None
    assert child.result.media.width == 1200 and child.result.media.pdq is not None
    assert set(Path(tempfile.gettempdir()).glob("cumberland-spool-*")) == spools
    assert list(spool.iterdir()) == []


def _tar_xz(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:xz", preset=1) as tf:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_bomb_member_first_stops_only_itself(tmp_path: Path) -> None:
    """The member crossing the ratio limit is skipped; libarchive walks past its data to the
    next tar header and the photos after it are still items."""
    path = tmp_path / "bomb-first.tar.xz"
    path.write_bytes(_tar_xz({"zeros.bin": bytes(24 * 1024 * 1024),
                              **{f"photo{i}.jpg": jpeg(40 + i) for i in range(3)}}))
    result = _fp(path, Settings(archive_max_ratio=100))
    assert result.status == "done", result.reason
    assert result.reason == "1 member skipped at a limit (expansion ratio > 100)"
    found = _by_chain(result)
    assert (found[("zeros.bin",)].status, found[("zeros.bin",)].reason) == (
        "skipped", "limit: expansion ratio > 100")
    assert found[("zeros.bin",)].media is None
    for i in range(3):
        photo = found[(f"photo{i}.jpg",)]
        assert photo.status == "done" and photo.media is not None
        assert photo.media.pdq is not None


def test_skipped_bomb_data_still_counts_against_the_byte_limit(tmp_path: Path) -> None:
    """Walking past a stopped member decompresses it: those bytes count towards
    archive_max_bytes, so a train of bombs cannot make the walk unbounded."""
    path = tmp_path / "bombs.tar.xz"
    path.write_bytes(_tar_xz({f"zeros{i}.bin": bytes(20 * 1024 * 1024) for i in range(4)}
                             | {"after.jpg": jpeg(50)}))
    result = _fp(path, Settings(archive_max_ratio=100, archive_max_bytes=64 * 1024 * 1024))
    assert (result.status, result.reason) == ("skipped", "limit: expanded bytes > 64 MiB")
    found = _by_chain(result)
    assert found[("zeros0.bin",)].reason == "limit: expansion ratio > 100"
    assert ("after.jpg",) not in found
