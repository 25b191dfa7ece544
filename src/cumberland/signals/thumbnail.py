"""The reviewer's thumbnail of a picture: small, JPEG, turned upright by its EXIF orientation.

Stored beside the workspace (content-addressed) and shown blurred until a reviewer asks.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from cumberland.records import Output
from cumberland.signals import exif
from cumberland.signals.base import Consumes, Inputs, Signal

THUMB_QUALITY = 82

_ORIENT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def thumbnail(rgb: Image.Image, size: int, orientation: Any) -> bytes:
    """A small JPEG, turned upright by the EXIF orientation so reviewers see it as shot."""
    thumb = rgb.copy()
    thumb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    for op in _ORIENT.get(orientation, ()) if isinstance(orientation, int) else ():
        thumb = thumb.transpose(op)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


def _compute(inputs: Inputs) -> Output:
    found = inputs.output(exif.SIGNAL.name)
    orientation = found.value.get("orientation") if found and found.value else None
    picture = inputs.decoded().picture
    return Output(thumbnail=thumbnail(picture, inputs.settings.thumb_size, orientation))


SIGNAL = Signal.define(
    "thumbnail", 1, ["image"], [Consumes.PIXELS, Consumes.SIGNALS], _compute,
    "reviewer thumbnail (JPEG, upright by EXIF orientation)", needs=[exif.SIGNAL.name])
