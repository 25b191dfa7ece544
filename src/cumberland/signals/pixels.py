"""Bounded, upright copies of decoded pixels, for the signals that look at content (OCR, faces).

A reviewer sees a picture as shot (EXIF orientation applied); text is read and faces found on
the same upright pixels, so the boxes they store lie on the thumbnail and the viewer without
any conversion. Huge pictures are scaled down first: the cost and memory of a detector grow
with the pixels, and the copy is what every box is relative to (boxes are stored as
fractions of its width and height).
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from cumberland.signals import exif
from cumberland.signals.base import Inputs

RGB = NDArray[np.uint8]

# EXIF orientation -> the numpy operation that turns the stored pixels upright
_UPRIGHT = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


def upright(rgb: RGB, orientation: Any) -> RGB:
    """The pixels as the camera meant them to be seen."""
    turn = _UPRIGHT.get(orientation) if isinstance(orientation, int) else None
    return rgb if turn is None else np.ascontiguousarray(turn(rgb))


def upright_of(inputs: Inputs) -> RGB:
    """The one decode of a media's picture, turned upright by its EXIF orientation (the
    ``exif`` signal, which signals calling this must name in ``needs``)."""
    found = inputs.output(exif.SIGNAL.name)
    orientation = found.value.get("orientation") if found and found.value else None
    return upright(inputs.decoded().rgb, orientation)


def bounded(rgb: RGB, max_side: int) -> tuple[RGB, float]:
    """A copy whose longer side is at most ``max_side`` and the scale applied (<= 1)."""
    height, width = rgb.shape[:2]
    longest = max(height, width)
    if longest <= max_side or max_side <= 0:
        return np.ascontiguousarray(rgb), 1.0
    scale = max_side / longest
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    small = np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), np.uint8)
    return small, scale
