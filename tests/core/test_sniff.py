"""Content type comes from bytes, never from the name."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from cumberland.signals.sniff import extension_matches, sniff


def _encoded(fmt: str, **opts: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (10, 200, 30)).save(buf, fmt, **opts)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "mime"),
    [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"),
     ("TIFF", "image/tiff"), ("BMP", "image/bmp")],
)
def test_image_formats_are_sniffed(fmt: str, mime: str) -> None:
    assert sniff(_encoded(fmt)).mime == mime


@pytest.mark.parametrize(
    ("head", "mime"),
    [
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"),
        (b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", "image/avif"),
        (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00isommp42", "video/mp4"),
        (b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  ", "video/quicktime"),
        (b"PK\x03\x04" + b"\x00" * 30, "application/zip"),
        (b"7z\xbc\xaf\x27\x1c\x00\x04", "application/x-7z-compressed"),
        (b"EVF\x09\x0d\x0a\xff\x00\x01", "application/x-ewf"),
        (b"", "application/x-empty"),
        (b"hello world\n", "text/plain"),
        (bytes(range(256)), "application/octet-stream"),
    ],
)
def test_containers_and_others(head: bytes, mime: str) -> None:
    assert sniff(head).mime == mime


def test_extension_mismatch_is_detected() -> None:
    png = sniff(_encoded("PNG"))
    assert extension_matches("invoice.pdf", png) is False
    assert extension_matches("photo.PNG", png) is True
    assert extension_matches("no_extension", png) is None
