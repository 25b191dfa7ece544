"""Hostile input: every problem is a one-line error in the report, never an exception."""

from __future__ import annotations

import gzip
import struct
import zlib

import pytest
from prov_helpers import (
    A1111_TEXT,
    encode,
    gradient,
    jpeg_with_segments,
    png_chunk,
    png_with,
    stealth_image,
    text_chunk,
    tiff_block,
    webp_with_chunks,
    xmp_packet,
)

from cumberland.signals.provenance import assess
from cumberland.signals.provenance.containers import MAX_TEXT_BYTES


def _bomb(size: int = 64 * 1024 * 1024) -> bytes:
    return zlib.compress(b"\x00" * size, 9)


def _errors(data: bytes) -> list[str]:
    report = assess(data, None)
    for e in report.errors:
        assert "\n" not in e and len(e) < 400
    return report.errors


def test_huge_text_chunk_skipped() -> None:
    chunk = png_chunk(b"tEXt", b"parameters\x00" + b"a" * (MAX_TEXT_BYTES + 10))
    errors = _errors(png_with([chunk]))
    assert any("over the" in e and "cap" in e for e in errors)


def test_zlib_bomb_in_ztxt_and_itxt() -> None:
    ztxt = png_chunk(b"zTXt", b"parameters\x00\x00" + _bomb())
    itxt = png_chunk(b"iTXt", b"prompt\x00\x01\x00\x00\x00" + _bomb())
    errors = _errors(png_with([ztxt, itxt]))
    assert sum("decompresses past" in e for e in errors) == 2


def test_gzip_bomb_in_stealth_payload() -> None:
    payload = gzip.compress(b"\x00" * (MAX_TEXT_BYTES * 4))
    image = stealth_image(payload, b"stealth_pngcomp", size=(512, 512))
    report = assess(encode(image, "PNG"), image)
    assert any("decompresses past" in e for e in report.errors)


def test_bad_stealth_length() -> None:
    image = stealth_image(b"", b"stealth_pnginfo")  # magic, then a zero-length payload
    report = assess(encode(image, "PNG"), image)
    assert any("stealth payload length" in e for e in report.errors)


def test_bad_json_recorded() -> None:
    data = png_with(
        [
            text_chunk("prompt", "{not json"),
            text_chunk("invokeai_metadata", "[1, 2"),
            text_chunk("parameters", "{" + "[" * 100_000),
            text_chunk("Software", "NovelAI"),
            text_chunk("Comment", "{"),
        ]
    )
    errors = _errors(data)
    assert sum("not valid JSON" in e for e in errors) >= 3


def test_one_bad_chunk_does_not_hide_another() -> None:
    data = png_with([text_chunk("prompt", "{oops"), text_chunk("parameters", A1111_TEXT)])
    report = assess(data, None)
    assert report.level == "strong" and report.errors


def test_oversized_json_capped() -> None:
    data = png_with([text_chunk("invokeai_metadata", '{"a": "' + "x" * 3_000_000 + '"}')])
    assert any("JSON" in e and "cap" in e for e in _errors(data))


def test_bad_exif_block() -> None:
    data = jpeg_with_segments([(0xE1, b"Exif\x00\x00II*\x00\xff\xff\xff\x7f garbage")])
    report = assess(data, None)
    assert report.level == "none"


def test_exif_with_absurd_counts() -> None:
    """An entry claiming 2 GiB of data is skipped (not read, not trusted) and the report
    says so; the same block with an honest count names the camera."""
    honest = tiff_block([(0x010F, "ascii", "Canon")])
    block = bytearray(honest)
    block[10 + 4 : 10 + 8] = struct.pack("<I", 0x7FFFFFFF)  # count of the Make entry
    report = assess(jpeg_with_segments([(0xE1, b"Exif\x00\x00" + bytes(block))]), None)
    assert report.errors == ["exif: Tag data larger than file. Skipping tag 271"]
    assert report.level == "none" and not report.findings
    camera = assess(jpeg_with_segments([(0xE1, b"Exif\x00\x00" + honest)]), None)
    assert camera.level == "camera-metadata" and not camera.errors


def _samples() -> list[bytes]:
    img = gradient(80, 60)
    block = tiff_block(
        [(0x010F, "ascii", "Canon")], exif=[(0x9286, "undefined", b"ASCII\x00\x00\x00hi")]
    )
    return [
        png_with([text_chunk("parameters", A1111_TEXT, "zTXt")], img),
        jpeg_with_segments([(0xE1, b"Exif\x00\x00" + block)], img),
        webp_with_chunks([(b"XMP ", xmp_packet(""))], img),
        encode(img, "GIF"),
        encode(img, "TIFF"),
    ]


LEVELS = ("none", "camera-metadata", "weak", "strong", "declared-ai")


@pytest.mark.parametrize("index", range(5))
def test_truncated_files_never_raise(index: int) -> None:
    """Cut anywhere, a file gives a report of one-line errors; once the cut is inside its
    picture data the truncation is recorded; and it never gains evidence it did not have."""
    data = _samples()[index]
    whole = assess(data, None)
    for cut in sorted({1, 2, 8, 16, 33, 64, len(data) // 3, len(data) // 2, len(data) - 5}):
        report = assess(data[:cut], None)
        assert all("\n" not in e and len(e) < 400 for e in report.errors)
        if cut >= len(data) // 3:
            assert any("truncated" in e or "past the end" in e or "decoder" in e
                       for e in report.errors), (cut, report.errors)
        assert LEVELS.index(report.level) <= LEVELS.index(whole.level)


def test_truncated_png_reported() -> None:
    data = png_with([text_chunk("parameters", A1111_TEXT)])
    errors = _errors(data[: len(data) // 2])
    assert any("png:" in e for e in errors)


def test_garbage_and_empty() -> None:
    for data in (
        b"",
        b"\x00",
        b"\x89PNG\r\n\x1a\n",
        b"\xff\xd8\xff",
        b"RIFF\xff\xff\xff\xffWEBP",
        b"II*\x00\xff\xff\xff\xff",
        bytes(range(256)) * 40,
    ):
        report = assess(data, None)
        assert report.level == "none"


def test_many_tiny_chunks_stop() -> None:
    chunks = [png_chunk(b"tEXt", b"k\x00v")] * 120_000
    errors = _errors(png_with(chunks))
    assert any("more than" in e for e in errors)
