"""Camera metadata: make/model/lens, maker notes, GPS, EXIF thumbnail aspect."""

from __future__ import annotations

from prov_helpers import encode, gradient, jpeg_with_segments, tiff_block

from cumberland.signals.provenance import assess

IFD0 = [(0x010F, "ascii", "Nikon"), (0x0110, "ascii", "D70")]
EXIF = [(0xA434, "ascii", "18-70mm f/3.5-4.5"), (0x927C, "undefined", b"Nikon\x00\x02\x10\x00\x00")]
GPS = [(0x0000, "undefined", b"\x02\x02\x00\x00"), (0x0001, "ascii", "N")]


def _jpeg(thumb_size: tuple[int, int], image_size: tuple[int, int] = (96, 64)) -> bytes:
    thumb = encode(gradient(*thumb_size), "JPEG", quality=70)
    block = tiff_block(IFD0, exif=EXIF, gps=GPS, thumbnail=thumb)
    return jpeg_with_segments([(0xE1, b"Exif\x00\x00" + block)], gradient(*image_size))


def test_camera_fields_and_consistent_thumbnail() -> None:
    report = assess(_jpeg((48, 32)), None)
    assert report.level == "camera-metadata"
    d = report.findings[0].data
    assert (d["make"], d["model"], d["lens"]) == ("Nikon", "D70", "18-70mm f/3.5-4.5")
    assert d["maker_notes_present"] and d["gps_present"]
    assert d["thumbnail"] == {
        "present": True,
        "bytes": d["thumbnail"]["bytes"],
        "width": 48,
        "height": 32,
        "aspect_consistent": True,
    }
    assert any("camera metadata can be forged" in r for r in report.reasons)
    assert not any("real" in r.lower().split() for r in report.reasons)


def test_thumbnail_aspect_mismatch_reported() -> None:
    report = assess(_jpeg((40, 40)), None)
    assert report.findings[0].data["thumbnail"]["aspect_consistent"] is False
    assert any("different aspect ratio" in r for r in report.reasons)


def test_no_make_or_model_no_camera_finding() -> None:
    block = tiff_block([(0x0131, "ascii", "GIMP 2.10")])
    report = assess(jpeg_with_segments([(0xE1, b"Exif\x00\x00" + block)]), None)
    assert report.level == "none" and not report.findings
