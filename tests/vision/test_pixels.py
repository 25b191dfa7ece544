"""Upright copies agree with Pillow's EXIF transposes; bounded copies keep the aspect."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageOps

from cumberland.signals.pixels import bounded, upright


@pytest.mark.parametrize("orientation", range(1, 9))
def test_upright_matches_pillow(orientation: int) -> None:
    rgb = np.random.default_rng(orientation).integers(0, 255, (5, 7, 3), dtype=np.uint8)
    image = Image.fromarray(rgb)
    exif = image.getexif()
    exif[0x0112] = orientation
    image.info["exif"] = exif.tobytes()
    expected = np.asarray(ImageOps.exif_transpose(image))
    assert np.array_equal(upright(rgb, orientation), expected)


def test_bounded() -> None:
    rgb = np.zeros((3000, 4000, 3), np.uint8)
    copy, scale = bounded(rgb, 1000)
    assert copy.shape == (750, 1000, 3) and scale == 0.25
    same, one = bounded(copy, 1000)
    assert same.shape == copy.shape and one == 1.0
