"""thumbcache_*.db read as a container: every version's layout, and hostile files.

Files are written by tests/artefacts/kit.py from Joachim Metz's description of the format
(libwtcdb, "Windows Explorer Thumbnail Cache database format") and, for the first-entry
offset of versions 30 and later, from Eric Kutcher's Thumbcache Viewer too.
"""

from __future__ import annotations

import io
import struct

import pytest

from artefacts import kit
from cumberland.sources.artefacts.thumbcache import WINDOWS, cache_type, read_thumbcache
from cumberland.sources.locator import SliceStep
from cumberland.sources.member import ContainerError, Report

VERSIONS = (20, 21, 30, 31, 32)


def _entries() -> list[kit.CacheEntry]:
    return [
        kit.CacheEntry(0x1F2E3D4C5B6A7988, kit.picture(96, 72, 1), width=96, height=72),
        kit.CacheEntry(0x0000000000ABCDEF),  # an entry without data (an icon reference)
        kit.CacheEntry(0x1122334455667788, kit.picture(48, 48, 2, "PNG"), padding=6),
        kit.CacheEntry(0x99AABBCCDDEEFF00, kit.picture(32, 32, 3, "BMP")),
    ]


def _read(data: bytes) -> tuple[list[tuple[str, bytes | None, object]], Report]:
    report = Report()
    out = []
    for member in read_thumbcache(io.BytesIO(data), report):
        content = b"".join(member.blocks()) if member.blocks else None
        out.append((member.chain[-1], content, member.steps[-1]))
    return out, report


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("kutcher", [False, True])
def test_every_version_yields_every_thumbnail_with_its_hash(version: int, kutcher: bool
                                                             ) -> None:
    entries = _entries()
    members, report = _read(kit.thumbcache(version, entries, cache_type=4,
                                           kutcher_header=kutcher, free_tail=128))
    with_data = [e for e in entries if e.data]
    assert [m[1] for m in members] == [e.data for e in with_data]
    assert [m[0] for m in members] == [f"{e.hash:016x}.{ext}" for e, ext in
                                       zip(with_data, ("jpg", "png", "bmp"), strict=True)]
    step = members[0][2]
    assert isinstance(step, SliceStep)
    assert step.entry == f"{with_data[0].hash:016x}"
    assert step.source == f"{with_data[0].hash:x}"  # the identifier string Windows wrote
    facts = report.meta["cache"]
    assert facts["version"] == version and facts["windows"] == WINDOWS[version]
    assert facts["cache_type"] == cache_type(version, 4)
    assert facts["thumbnails"] == 3 and facts["without_data"] == 2  # + the free tail
    assert report.errors == []


def test_cache_types_by_version() -> None:
    assert cache_type(21, 2) == "thumbcache_256.db"
    assert cache_type(30, 5) == "thumbcache_1024.db"
    assert cache_type(31, 6) == "thumbcache_1600.db"
    assert cache_type(32, 8) == "thumbcache_2560.db"
    assert cache_type(32, 99) == "type 99"


def test_truncated_file_keeps_what_is_there_and_says_so() -> None:
    data = kit.thumbcache(32, _entries())
    cut = data[: len(data) - 500]  # into the BMP's data
    members, report = _read(cut)
    assert len(members) == 3  # the cut thumbnail is still an item, with what remains
    _name, content, step = members[-1]
    assert isinstance(step, SliceStep) and content is not None
    assert len(content) == step.size == len(_entries()[3].data) - 500
    assert any("beyond" in e for e in report.errors)


def test_header_cut_before_its_end_is_a_container_error() -> None:
    with pytest.raises(ContainerError, match="truncated header"):
        _read(kit.thumbcache(21, _entries())[:20])


def test_bad_first_offset_falls_back_or_fails_cleanly() -> None:
    data = bytearray(kit.thumbcache(21, _entries()))
    struct.pack_into("<I", data, 12, 10**9)  # points beyond the file
    with pytest.raises(ContainerError, match="no cache entry"):
        _read(bytes(data))
    data32 = bytearray(kit.thumbcache(32, _entries()))
    struct.pack_into("<I", data32, 12, 7)  # Metz's field wrong, Kutcher's absent: header end
    struct.pack_into("<I", data32, 16, 3)
    members, _ = _read(bytes(data32))
    assert len(members) == 3


def test_entry_size_zero_does_not_loop_and_the_rest_is_found() -> None:
    entries = _entries()
    data = bytearray(kit.thumbcache(21, entries))
    struct.pack_into("<I", data, 24 + 4, 0)  # the first entry claims 0 bytes
    members, report = _read(bytes(data))
    # the first entry's data is still found where its header says; the walk resynchronises
    assert [m[1] for m in members] == [e.data for e in entries if e.data]
    assert any("declares 0 bytes" in e for e in report.errors)


def test_entry_data_larger_than_the_file_is_recorded() -> None:
    entries = _entries()
    data = bytearray(kit.thumbcache(30, entries))
    first_size = struct.unpack_from("<I", data, 24 + 4)[0]
    struct.pack_into("<I", data, 24 + 4, 10**8)  # entry size far past the end
    struct.pack_into("<I", data, 24 + 24, 10**8 - 200)  # and its data too
    members, report = _read(bytes(data))
    first = members[0]
    assert first[1] is not None and len(first[1]) == len(data) - (24 + 56 + 2 * 16)
    assert len(members) == 3  # after resynchronising, the PNG and the BMP
    assert any("beyond" in e for e in report.errors)
    assert first_size > 0


def test_garbage_between_entries_is_skipped_to_the_next_signature() -> None:
    entries = _entries()
    good = kit.thumbcache(31, entries[:1])
    rest = b"".join(kit.cache_entry(31, e) for e in entries[1:])
    members, report = _read(good + b"\x07" * 333 + rest)
    assert [m[1] for m in members] == [e.data for e in entries if e.data]
    assert any("no entry signature" in e for e in report.errors)


def test_unknown_version_is_refused() -> None:
    data = bytearray(kit.thumbcache(32, _entries()))
    struct.pack_into("<I", data, 4, 99)
    with pytest.raises(ContainerError, match="unknown format version 99"):
        _read(bytes(data))
