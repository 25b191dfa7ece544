"""Recycle-bin records: $I versions 1 and 2, INFO2 with 280- and 800-byte records, trashinfo;
written by tests/artefacts/kit.py from Joachim Metz's dtformats descriptions and the
freedesktop.org Trash specification."""

from __future__ import annotations

import pytest

from artefacts import kit
from cumberland.sources.artefacts.recycle import (
    I_MIME,
    INFO2_MIME,
    TRASHINFO_MIME,
    RecycleError,
    parse_record_file,
)

WHEN = 1_600_000_000.0


@pytest.mark.parametrize("version", [1, 2])
def test_i_file_gives_path_size_time_and_its_r_file(version: int) -> None:
    path = "C:\\Users\\Ann\\Pictures\\Holiday\\beach 01.jpg"
    parsed = parse_record_file("$IAB12CD.jpg", kit.i_file(version, path, 123_456, WHEN))
    assert parsed is not None and parsed.mime == I_MIME
    assert parsed.format == f"$I version {version}"
    (record,) = parsed.records
    assert (record.content, record.original_path, record.size) == ("$RAB12CD.jpg", path,
                                                                   123_456)
    assert record.deleted_at == WHEN


@pytest.mark.parametrize("data,reason", [
    (b"\x01" + b"\x00" * 10, "shorter than its header"),
    (kit.i_file(1, "C:\\a.jpg", 1, WHEN)[:300], "544 expected"),
    (kit.i_file(2, "C:\\a.jpg", 1, WHEN)[:30], "path of 9 characters"),
    (b"\x03" + kit.i_file(2, "C:\\a.jpg", 1, WHEN)[1:], "format version 3"),
    (kit.i_file(2, "", 1, WHEN), "without an original path"),
], ids=["short", "v1-cut", "v2-cut", "v3", "no-path"])
def test_malformed_i_files_say_what_is_wrong(data: bytes, reason: str) -> None:
    with pytest.raises(RecycleError, match=reason):
        parse_record_file("$IXYZ.jpg", data)


@pytest.mark.parametrize("size", [280, 800])
def test_info2_records_name_their_dc_files(size: int) -> None:
    rows = [(1, 2, "C:\\Documents and Settings\\bo\\My Documents\\cat.jpg", WHEN, 4096),
            (2, 3, "D:\\photos\\dog.png", WHEN + 60, 8192),
            (3, 2, "C:\\tmp\\restored.gif", WHEN + 120, 4096)]
    parsed = parse_record_file("INFO2", kit.info2(rows, size, zeroed=(3,)))
    assert parsed is not None and parsed.mime == INFO2_MIME
    contents = [(r.content, r.original_path, r.deleted_at) for r in parsed.records]
    assert contents[:2] == [("Dc1.jpg", rows[0][2], WHEN), ("Dd2.png", rows[1][2], WHEN + 60)]
    restored = parsed.records[2]
    assert restored.content == "Dc3.gif" and "zeroed" in (restored.note or "")
    # the 800-byte record keeps the full path in UTF-16; the 280-byte one lost its first letter
    assert restored.original_path == (rows[2][2] if size == 800 else "?" + rows[2][2][1:])


def test_info2_cut_inside_a_record_keeps_the_whole_ones() -> None:
    rows = [(1, 2, "C:\\a.jpg", WHEN, 1), (2, 2, "C:\\b.jpg", WHEN, 1)]
    parsed = parse_record_file("INFO2", kit.info2(rows)[:-100])
    assert parsed is not None and [r.content for r in parsed.records] == ["Dc1.jpg"]
    assert parsed.notes and "ends inside a record" in parsed.notes[0]


def test_info2_with_an_unknown_record_size_is_refused() -> None:
    data = bytearray(kit.info2([(1, 2, "C:\\a.jpg", WHEN, 1)]))
    data[12:16] = (123).to_bytes(4, "little")
    with pytest.raises(RecycleError, match="record size 123"):
        parse_record_file("INFO2", bytes(data))


def test_trashinfo_gives_the_unescaped_path_and_time() -> None:
    parsed = parse_record_file("a b.jpg.trashinfo",
                               kit.trashinfo("/home/u/Pictures/a b.jpg", "2020-09-13T12:26:40"))
    assert parsed is not None and parsed.mime == TRASHINFO_MIME
    (record,) = parsed.records
    assert record.content == "../files/a b.jpg"
    assert record.original_path == "/home/u/Pictures/a b.jpg"
    assert record.deleted_at == WHEN


def test_not_a_trashinfo() -> None:
    with pytest.raises(RecycleError, match="Trash Info"):
        parse_record_file("x.trashinfo", b"hello\n")
    assert parse_record_file("photo.jpg", b"\xff\xd8") is None
