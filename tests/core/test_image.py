"""Decode once: PDQ equals pdqhash on the same pixels; variants stay within the radius."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import pdqhash
import pytest
from PIL import Image

from cumberland.demo import synthetic_image
from cumberland.records import Output
from cumberland.settings import Settings
from cumberland.signals.image import ImageLimitError, decode_image
from cumberland.signals.pdq import hamming
from cumberland.signals.registry import describe
from golden.patterns import golden_dir


def _jpeg(image: Image.Image, quality: int = 90, **opts: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, **opts)
    return buf.getvalue()


def _signal(data: bytes, name: str, settings: Settings | None = None) -> Output:
    out = describe(data, settings or Settings(), {name})[name]
    assert out is not None
    return out


def _pdq(data: bytes, settings: Settings | None = None) -> tuple[bytes, int]:
    pdq = _signal(data, "pdq", settings).pdq
    assert pdq is not None
    return pdq


def test_pdq_equals_pdqhash_on_the_same_pixels() -> None:
    data = _jpeg(synthetic_image(7, (900, 700)))
    decoded = decode_image(data, Settings())
    bits, quality = pdqhash.compute(decoded.rgb)
    assert _pdq(data) == (np.packbits(bits.astype(np.uint8)).tobytes(), quality)


def test_pdq_hex_is_meta_order() -> None:
    """The hex of the digest is the string Meta publishes for the same picture: ThreatExchange's
    square-128x128.jpg (pdq/python/README.md; pdq-photo-hasher prints it too), so hashes
    exchange with Meta's tools as text in either direction."""
    data = (golden_dir() / "pdq" / "square-128x128.jpg").read_bytes()
    pdq, quality = _pdq(data)
    assert pdq.hex() == "d8f8f1eec0f4a84f0e37022a078f63f0b36e2ed596621e1d33e6239c4e9c9b22"
    assert quality == 100


def test_draft_decode_stays_close_to_full_resolution() -> None:
    big = synthetic_image(11, (2400, 1800))
    data = _jpeg(big, 92)
    fast = decode_image(data, Settings(pdq_draft_min_side=512))
    full = decode_image(data, Settings(pdq_draft_min_side=0))
    assert fast.facts.decode_scale == 2
    assert fast.facts.width == full.facts.width == 2400
    fast_pdq = _pdq(data, Settings(pdq_draft_min_side=512))[0]
    assert hamming(fast_pdq, _pdq(data, Settings(pdq_draft_min_side=0))[0]) <= 10


@pytest.mark.parametrize("variant", ["resized", "reencoded"])
def test_resized_or_reencoded_copy_matches_within_31(variant: str) -> None:
    original = synthetic_image(21)
    copy = original.resize((320, 240)) if variant == "resized" else original
    a, quality = _pdq(_jpeg(original, 95))
    b, _ = _pdq(_jpeg(copy, 40))
    assert quality >= 50
    assert hamming(a, b) <= 31


def test_unrelated_images_are_far_apart() -> None:
    a, _ = _pdq(_jpeg(synthetic_image(1)))
    b, _ = _pdq(_jpeg(synthetic_image(2)))
    assert hamming(a, b) > 31


def test_exif_fields_and_upright_thumbnail() -> None:
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    exif[0x0110] = "DC-1"
    exif[0x0112] = 6  # rotated: the thumbnail must come out portrait
    exif[0x8825] = {1: "S", 2: (33.0, 51.0, 36.0), 3: "W", 4: (70.0, 0.0, 0.0)}
    data = _jpeg(synthetic_image(5, (400, 300)), exif=exif)
    found = _signal(data, "exif").value
    assert found["make"] == "DemoCam"
    assert found["model"] == "DC-1"
    assert found["orientation"] == 6
    assert found["gps"]["lat"] == pytest.approx(-33.86, abs=0.01)
    assert found["gps"]["lon"] == pytest.approx(-70.0, abs=0.01)
    thumbnail = _signal(data, "thumbnail").thumbnail
    assert thumbnail is not None
    thumb = Image.open(io.BytesIO(thumbnail))
    assert thumb.height > thumb.width
    assert max(thumb.size) == 256


def test_decompression_bomb_is_refused() -> None:
    buf = io.BytesIO()
    Image.new("L", (4000, 4000)).save(buf, "PNG")
    with pytest.raises(ImageLimitError):
        decode_image(buf.getvalue(), Settings(max_image_pixels=1_000_000))


def test_tiny_image_gets_zero_quality() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (3, 3), (1, 2, 3)).save(buf, "PNG")
    assert _pdq(buf.getvalue()) == (bytes(32), 0)


def _with_segment(data: bytes, marker: int, payload: bytes) -> bytes:
    segment = bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload
    return data[:2] + segment + data[2:]


def _jpeg_with_dpi(seed: int) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed, (320, 240)).save(buf, "JPEG", quality=90, dpi=(300, 300))
    return buf.getvalue()


def test_garbage_exif_costs_the_metadata_not_the_pixels() -> None:
    """Random bytes after ``Exif\\0\\0`` made Pillow's EXIF parser raise SyntaxError and the
    image an error: anyone could evade perceptual matching that way."""
    clean = _jpeg_with_dpi(5)
    rng = np.random.default_rng(7)
    hostile = _with_segment(clean, 0xE1, b"Exif\0\0" + rng.bytes(1024))
    hostile = _with_segment(hostile, 0xE2, b"MPF\0" + rng.bytes(4096))
    exif = _signal(hostile, "exif")
    assert exif.value == {} and exif.meta is not None
    assert "not a TIFF file" in exif.meta["metadata_error"]
    assert _pdq(hostile) == _pdq(clean) and _signal(hostile, "thumbnail").thumbnail


def _png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("L", (width, height)).save(buf, "PNG")
    return buf.getvalue()


def test_limit_reasons_name_cumberlands_own_settings() -> None:
    """Pillow's own bomb error quotes twice its MAX_IMAGE_PIXELS; the reason must name the
    setting the examiner can change, with its value."""
    with pytest.raises(ImageLimitError) as caught:
        decode_image(_png(3000, 3000), Settings(max_image_pixels=1_000_000))
    assert str(caught.value) == "3000x3000 pixels > max_image_pixels 1000000"
    with pytest.raises(ImageLimitError) as caught:
        decode_image(_png(1200, 1000), Settings(max_image_pixels=1_000_000))
    assert str(caught.value) == "1200x1000 pixels > max_image_pixels 1000000"


def test_images_that_cannot_be_reduced_while_decoding_have_a_pixel_budget() -> None:
    """A PNG decodes at full size (no DCT-domain reduction as for JPEG): above
    max_decode_pixels it is refused before any pixel is decoded."""
    with pytest.raises(ImageLimitError) as caught:
        decode_image(_png(1000, 500), Settings(max_decode_pixels=400_000))
    assert str(caught.value) == "1000x500 pixels > max_decode_pixels 400000 (PNG decodes at " \
        "full size)"
    assert decode_image(_png(600, 500), Settings(max_decode_pixels=400_000)).facts.width == 600


def test_large_jpeg_fits_the_pixel_budget_by_decoding_reduced() -> None:
    buf = io.BytesIO()
    synthetic_image(9, (2400, 1600)).save(buf, "JPEG", quality=85)
    facts = decode_image(buf.getvalue(), Settings(max_decode_pixels=1_000_000)).facts
    assert facts.decode_scale == 2 and facts.width == 2400
    with pytest.raises(ImageLimitError) as caught:
        decode_image(buf.getvalue(), Settings(max_decode_pixels=1_000_000, pdq_draft_min_side=0))
    assert str(caught.value) == ("2400x1600 pixels > max_decode_pixels 1000000 (JPEG decodes "
                                 "at full size)")


def test_reasons_carry_no_memory_addresses(tmp_path: Path) -> None:
    """Pillow names an unidentified in-memory file by its repr (``<_io.BytesIO object at
    0x7f...>``): two runs of the same input gave different reasons."""
    from cumberland.errors import one_line
    from cumberland.pipeline.fingerprint import fingerprint
    from cumberland.records import Task
    from sources.evidence_kit import heic

    path = tmp_path / "cut.heic"
    path.write_bytes(heic(3)[:64])
    reasons = {fingerprint(Task(1, os.fsencode(path), path.name, None), Settings()).reason
               for _ in range(2)}
    assert reasons == {"corrupt image: UnidentifiedImageError: cannot identify image file "
                       "<_io.BytesIO>"}
    assert one_line(OSError(f"object {object()!r} at 0x1f")) == \
        "OSError: object <object> at 0x1f"
