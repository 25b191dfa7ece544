"""Data after an image's end (a known hiding place: ``cat photo.jpg stash.zip > photo.jpg``)
is flagged on the image, and becomes an item of its own, opened as a container when it is
one."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image

from cumberland.demo import synthetic_image
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.records import Result, Task
from cumberland.settings import Settings
from cumberland.signals.trailing import image_end
from sources.evidence_kit import jpeg, zip_bytes


def _fp(path: Path) -> Result:
    return fingerprint(Task(1, os.fsencode(path), path.name, None), Settings())


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed, (120, 90)).save(buf, "PNG")
    return buf.getvalue()


def test_image_end_of_jpeg_png_and_webp() -> None:
    photo = jpeg(1)
    assert image_end(photo) == len(photo)
    assert image_end(photo + b"PK\x03\x04 rest") == len(photo)
    picture = _png(2)
    assert image_end(picture + b"tail") == len(picture)
    buf = io.BytesIO()
    synthetic_image(3, (120, 90)).save(buf, "WEBP")
    assert image_end(buf.getvalue() + b"tail") == len(buf.getvalue())
    progressive = io.BytesIO()
    synthetic_image(4, (200, 150)).save(progressive, "JPEG", progressive=True)
    assert image_end(progressive.getvalue() + b"x" * 10) == len(progressive.getvalue())
    assert image_end(b"not an image") is None


def test_jpeg_with_a_zip_appended_is_flagged_and_the_zip_opened(tmp_path: Path) -> None:
    photo = jpeg(5)
    stash = zip_bytes({"hidden/a.jpg": jpeg(6), "notes.txt": b"benign\n"})
    path = tmp_path / "holiday.jpg"
    path.write_bytes(photo + stash)
    result = _fp(path)
    assert result.status == "done" and result.media is not None
    assert result.media.pdq is not None  # the picture itself is still hashed and matched
    assert result.media.meta["trailing_bytes"] == len(stash)
    label = f"(appended data at byte {len(photo)})"
    assert result.reason == f"{len(stash)} bytes after the image's end: {label}"
    found = {tuple(c.chain): c for c in result.children}
    appended = found[(label,)]
    assert appended.parent == -1
    assert appended.result.media is not None and appended.result.media.kind == "archive"
    inner = found[(label, "hidden/a.jpg")]
    assert inner.result.status == "done" and inner.result.media is not None
    assert inner.result.media.pdq is not None
    assert (label, "notes.txt") in found


def test_padding_after_the_end_is_not_flagged(tmp_path: Path) -> None:
    path = tmp_path / "padded.png"
    path.write_bytes(_png(7) + bytes(2048))
    result = _fp(path)
    assert (result.status, result.reason, result.children) == ("done", None, [])
    assert "trailing_bytes" not in result.media.meta  # type: ignore[union-attr]
    Image.open(path).verify()
