"""Decode once: PDQ equals pdqhash on the same pixels; variants stay within the radius."""

from __future__ import annotations

import io

import numpy as np
import pdqhash
import pytest
from PIL import Image

from cumberland.demo import synthetic_image
from cumberland.settings import Settings
from cumberland.signals.image import ImageLimitError, decode_image
from cumberland.signals.pdq import hamming
from golden.patterns import golden_dir


def _jpeg(image: Image.Image, quality: int = 90, **opts: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, **opts)
    return buf.getvalue()


def test_pdq_equals_pdqhash_on_the_same_pixels() -> None:
    data = _jpeg(synthetic_image(7, (900, 700)))
    decoded = decode_image(data, Settings())
    bits, quality = pdqhash.compute(decoded.rgb)
    assert decoded.facts.pdq == np.packbits(bits.astype(np.uint8)).tobytes()
    assert decoded.facts.pdq_quality == quality


def test_pdq_hex_is_meta_order() -> None:
    """The hex of the digest is the string Meta publishes for the same picture: ThreatExchange's
    square-128x128.jpg (pdq/python/README.md; pdq-photo-hasher prints it too), so hashes
    exchange with Meta's tools as text in either direction."""
    data = (golden_dir() / "pdq" / "square-128x128.jpg").read_bytes()
    facts = decode_image(data, Settings()).facts
    assert facts.pdq is not None
    assert facts.pdq.hex() == "d8f8f1eec0f4a84f0e37022a078f63f0b36e2ed596621e1d33e6239c4e9c9b22"
    assert facts.pdq_quality == 100


def test_draft_decode_stays_close_to_full_resolution() -> None:
    big = synthetic_image(11, (2400, 1800))
    data = _jpeg(big, 92)
    fast = decode_image(data, Settings(pdq_draft_min_side=512))
    full = decode_image(data, Settings(pdq_draft_min_side=0))
    assert fast.facts.decode_scale == 2
    assert fast.facts.width == full.facts.width == 2400
    assert fast.facts.pdq and full.facts.pdq
    assert hamming(fast.facts.pdq, full.facts.pdq) <= 10


@pytest.mark.parametrize("variant", ["resized", "reencoded"])
def test_resized_or_reencoded_copy_matches_within_31(variant: str) -> None:
    original = synthetic_image(21)
    copy = original.resize((320, 240)) if variant == "resized" else original
    a = decode_image(_jpeg(original, 95), Settings()).facts
    b = decode_image(_jpeg(copy, 40), Settings()).facts
    assert a.pdq and b.pdq
    assert (a.pdq_quality or 0) >= 50
    assert hamming(a.pdq, b.pdq) <= 31


def test_unrelated_images_are_far_apart() -> None:
    a = decode_image(_jpeg(synthetic_image(1)), Settings()).facts
    b = decode_image(_jpeg(synthetic_image(2)), Settings()).facts
    assert a.pdq and b.pdq
    assert hamming(a.pdq, b.pdq) > 31


def test_exif_fields_and_upright_thumbnail() -> None:
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    exif[0x0110] = "DC-1"
    exif[0x0112] = 6  # rotated: the thumbnail must come out portrait
    exif[0x8825] = {1: "S", 2: (33.0, 51.0, 36.0), 3: "W", 4: (70.0, 0.0, 0.0)}
    data = _jpeg(synthetic_image(5, (400, 300)), exif=exif)
    facts = decode_image(data, Settings()).facts
    assert facts.exif["make"] == "DemoCam"
    assert facts.exif["model"] == "DC-1"
    assert facts.exif["orientation"] == 6
    assert facts.exif["gps"]["lat"] == pytest.approx(-33.86, abs=0.01)
    assert facts.exif["gps"]["lon"] == pytest.approx(-70.0, abs=0.01)
    assert facts.thumbnail is not None
    thumb = Image.open(io.BytesIO(facts.thumbnail))
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
    facts = decode_image(buf.getvalue(), Settings()).facts
    assert facts.pdq == bytes(32)
    assert facts.pdq_quality == 0
