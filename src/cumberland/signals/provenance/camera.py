"""Camera-origin metadata: make, model, lens, maker notes, GPS and the embedded EXIF thumbnail.

Weak evidence by design: every one of these fields can be written by any tool, and generated
images are sometimes given camera EXIF on purpose. Its use is ranking (camera-original material
first) and spotting conflicts (camera EXIF beside a generator's chunk), never clearing an image.
The embedded thumbnail is checked against the main image's aspect ratio: a mismatch can mean the
image was cropped or replaced after capture (or a camera that letterboxes its thumbnails).
"""

from __future__ import annotations

import io
import math
import warnings
from typing import Any

from PIL import Image

from .evidence import Evidence
from .exifview import (
    LENS_MAKE,
    LENS_MODEL,
    MAKE,
    MAKER_NOTE,
    MODEL,
    SOFTWARE,
    THUMB_LENGTH,
    THUMB_OFFSET,
    ExifView,
)
from .model import Finding

NAME = "camera-metadata"
VERSION = 1

#: Relative aspect-ratio difference tolerated between thumbnail and image (rounding of sizes).
ASPECT_TOLERANCE = 0.03


def _thumbnail(exif: ExifView, image_size: tuple[int, int] | None) -> dict[str, Any] | None:
    offset, length = exif.ifd1.get(THUMB_OFFSET), exif.ifd1.get(THUMB_LENGTH)
    if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
        return None
    info: dict[str, Any] = {"present": True, "bytes": length}
    blob = exif.raw[offset : offset + length]
    if len(blob) < length:
        info["error"] = "thumbnail runs past the EXIF block"
        return info
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            thumb = Image.open(io.BytesIO(blob))
            tw, th = thumb.size
    except Exception as exc:  # any decoder complaint: the thumbnail is not a readable image
        info["error"] = f"thumbnail unreadable ({type(exc).__name__})"
        return info
    info.update(width=tw, height=th)
    if image_size and min(tw, th, *image_size) > 0:
        ratio = (tw / th) / (image_size[0] / image_size[1])
        info["aspect_consistent"] = abs(math.log(ratio)) <= ASPECT_TOLERANCE
    return info


def detect(ev: Evidence) -> list[Finding]:
    """One finding when the EXIF names a camera make or model."""
    exif = ev.exif
    if exif is None:
        return []
    make, model = exif.text(MAKE, 200), exif.text(MODEL, 200)
    if not make and not model:
        return []
    size = ev.size
    data: dict[str, Any] = {
        "make": make,
        "model": model,
        "lens": exif.text(LENS_MODEL, 200) or exif.text(LENS_MAKE, 200),
        "software": exif.text(SOFTWARE, 200),
        "maker_notes_present": exif.get(MAKER_NOTE) is not None,
        "gps_present": bool(exif.gps),
        "thumbnail": _thumbnail(exif, size),
    }
    return [Finding(NAME, VERSION, "camera-metadata", data, level="camera-metadata")]


def reasons(finding: Finding) -> list[str]:
    """Sentence naming the camera and what backs it, with the standing caveat."""
    d = finding.data
    camera = " ".join(x for x in (d.get("make"), d.get("model")) if x)
    extras = [
        label
        for label, present in (
            (f"lens {d.get('lens')}", bool(d.get("lens"))),
            ("maker notes", d.get("maker_notes_present")),
            ("GPS", d.get("gps_present")),
            ("EXIF thumbnail", bool(d.get("thumbnail"))),
        )
        if present
    ]
    out = [
        f"Camera EXIF names {camera}"
        + (f" ({', '.join(extras)})" if extras else "")
        + "; camera metadata can be forged, so this is weak evidence"
    ]
    thumb = d.get("thumbnail") or {}
    if thumb.get("aspect_consistent") is False:
        out.append(
            f"EXIF thumbnail {thumb['width']}x{thumb['height']} has a different aspect ratio from "
            "the image (cropped or replaced after capture, or a letterboxing camera)"
        )
    return out
