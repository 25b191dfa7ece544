"""Thumbs.db read as a container: catalogue names and times, both stream namings, type 1
thumbnails, damaged compound files. Files are written by tests/artefacts/kit.py (an MS-CFB
version 3 writer and the Thumbs.db layout in sources/artefacts/thumbsdb.py)."""

from __future__ import annotations

import io

import pytest

from artefacts import kit
from cumberland.sources.artefacts.thumbsdb import read_thumbs_db
from cumberland.sources.locator import StreamStep
from cumberland.sources.member import ContainerError, Member, Report


def _thumbs() -> list[kit.Thumb]:
    return [
        kit.Thumb(1, "beach.jpg", 1_200_000_000.0, kit.picture(96, 72, 1)),
        kit.Thumb(2, "forest.jpg", 1_250_000_000.0, kit.picture(256, 192, 2)),  # > 4096 bytes
        kit.Thumb(12, None, 1_300_000_000.0, kit.picture(64, 64, 3)),  # not catalogued
        kit.Thumb(3, "old.jpg", 1_100_000_000.0, kit.picture(40, 40, 4), type1=True),
    ]


def _read(data: bytes) -> tuple[list[Member], Report]:
    report = Report()
    return list(read_thumbs_db(io.BytesIO(data), report)), report


def test_thumbnails_carry_their_catalogue_name_time_and_index() -> None:
    thumbs = _thumbs()
    extra = {"256_79dea834bece3f6b": kit.thumbnail_stream(kit.picture(100, 80, 9))}
    members, report = _read(kit.thumbs_db(thumbs, extra))
    by_name = {m.chain[-1]: m for m in members}
    assert set(by_name) == {"beach.jpg", "forest.jpg", "12.jpg", "old.jpg",
                            "256_79dea834bece3f6b.jpg"}
    beach = by_name["beach.jpg"]
    assert beach.blocks is not None and b"".join(beach.blocks()) == thumbs[0].data
    assert beach.times.modified == 1_200_000_000.0
    step = beach.steps[-1]
    assert isinstance(step, StreamStep) and (step.entry, step.source) == ("1", "beach.jpg")
    forest = by_name["forest.jpg"]
    assert forest.blocks is not None and b"".join(forest.blocks()) == thumbs[1].data
    uncatalogued = by_name["12.jpg"].steps[-1]
    assert isinstance(uncatalogued, StreamStep)
    assert (uncatalogued.stream, uncatalogued.entry, uncatalogued.source) == ("21", "12", None)
    newer = by_name["256_79dea834bece3f6b.jpg"].steps[-1]
    assert isinstance(newer, StreamStep) and newer.entry == "79dea834bece3f6b"
    old = by_name["old.jpg"]
    assert old.status == "skipped" and "type 1" in (old.reason or "")
    assert report.meta["cache"]["thumbnails"] == 5
    assert report.meta["cache"]["catalog_entries"] == 3


def test_catalogue_entry_without_its_stream_is_noted() -> None:
    thumbs = _thumbs()[:2]
    data = kit.compound_file({"Catalog": kit.catalog(thumbs),
                              "1": kit.thumbnail_stream(thumbs[0].data)})
    members, report = _read(data)
    assert [m.chain[-1] for m in members] == ["beach.jpg"]
    assert report.meta["cache"]["catalogued_without_stream"] == 1
    assert any("without a thumbnail stream" in n for n in report.notes)


def test_stream_header_past_its_stream_is_an_error_item() -> None:
    bad = b"\xff\x00\x00\x00" + b"\x00" * 20
    members, _ = _read(kit.thumbs_db(_thumbs()[:1], {"2": bad}))
    broken = [m for m in members if m.steps[-1].stream == "2"]  # type: ignore[union-attr]
    assert len(broken) == 1 and broken[0].status == "error"
    assert "header of 255 bytes" in (broken[0].reason or "")


def test_damaged_compound_file_is_a_container_error() -> None:
    data = kit.thumbs_db(_thumbs())
    with pytest.raises(ContainerError, match="OLE"):
        _read(data[:600])
    with pytest.raises(ContainerError, match="OLE"):
        _read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 1000)


def test_catalogue_with_a_broken_entry_keeps_the_entries_before_it() -> None:
    thumbs = _thumbs()[:2]
    catalog = bytearray(kit.catalog(thumbs))
    second = 16 + int.from_bytes(catalog[16:20], "little")
    catalog[second : second + 4] = (10**6).to_bytes(4, "little")
    data = kit.compound_file({"Catalog": bytes(catalog),
                              "1": kit.thumbnail_stream(thumbs[0].data),
                              "2": kit.thumbnail_stream(thumbs[1].data)})
    members, report = _read(data)
    assert [m.chain[-1] for m in members] == ["beach.jpg", "2.jpg"]
    assert any("Catalog entry" in e for e in report.errors)


def test_a_compound_file_that_is_no_thumbnail_cache_has_no_members() -> None:
    """Office documents are compound files too: read as containers, they list nothing."""
    members, report = _read(kit.compound_file({"WordDocument": b"\x00" * 600,
                                               "SummaryInformation": b"\x01" * 80}))
    assert members == [] and report.errors == []
    assert report.meta == {"compound_file": "no thumbnail cache"}
