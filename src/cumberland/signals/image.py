"""Decode an image once and derive everything triage needs from those pixels.

JPEGs are decoded in the DCT domain at 1/2, 1/4 or 1/8 scale when the result keeps the
shorter side above ``Settings.pdq_draft_min_side``: PDQ box-filters the picture down to
64x64 anyway, so the drift is a few bits while the decode is several times cheaper
(measured in bench/ingest.py against full-resolution pdqhash).

The same pixels give the query-side PDQ variants the robust cascade searches with (the
8 rotations/mirrors come with the plain hash at no extra cost; unpadded and central-region
hashes only for hashes good enough to be matched at all), so matching never decodes again.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
import pillow_heif
from numpy.typing import NDArray
from PIL import Image

from cumberland.errors import one_line
from cumberland.settings import Settings
from cumberland.signals.exif import extract_exif
from cumberland.signals.pdq import HashGroup, pdq_dihedral_from_rgb, query_groups

pillow_heif.register_heif_opener()
warnings.simplefilter("error", Image.DecompressionBombWarning)  # other opens in the process

THUMB_QUALITY = 82


class ImageLimitError(ValueError):
    """The image declares more pixels than the configured limit (a decompression bomb)."""


@dataclass(slots=True)
class ImageFacts:
    """What one decode of an image yields; JSON-friendly except thumbnail and variants."""

    format: str
    width: int
    height: int
    mode: str
    animated: bool = False
    frames: int = 1
    decode_scale: int = 1
    pdq: bytes | None = None
    pdq_quality: int | None = None
    exif: dict[str, Any] = field(default_factory=dict)
    metadata_error: str | None = None  # metadata that did not parse; the pixels still did
    thumbnail: bytes | None = None
    # query-side variants (signals/pdq.py); empty when pdq_quality is below the minimum
    pdq_variants: list[HashGroup] = field(default_factory=list)


@dataclass(slots=True)
class DecodedImage:
    """The decoded picture handed to every signal, so none decodes the file again."""

    facts: ImageFacts
    image: Image.Image  # as loaded (mode kept, e.g. alpha), possibly at draft scale
    rgb: np.ndarray[Any, np.dtype[np.uint8]]


def _draft_request(width: int, height: int, min_side: int) -> tuple[int, int] | None:
    short = min(width, height)
    if min_side <= 0 or short < 2 * min_side:
        return None
    factor = short / min_side
    return (math.ceil(width / factor), math.ceil(height / factor))


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(image, dtype=np.float64)
        peak = arr.max() if arr.size else 0.0
        scale = 255.0 / peak if peak > 255 else 1.0
        image = Image.fromarray(np.clip(arr * scale, 0, 255).astype(np.uint8), "L")
    elif image.mode == "F":
        arr = np.nan_to_num(np.asarray(image, dtype=np.float64))
        image = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "L")
    return image.convert("RGB")


_ORIENT = {
    2: (Image.Transpose.FLIP_LEFT_RIGHT,),
    3: (Image.Transpose.ROTATE_180,),
    4: (Image.Transpose.FLIP_TOP_BOTTOM,),
    5: (Image.Transpose.TRANSPOSE,),
    6: (Image.Transpose.ROTATE_270,),
    7: (Image.Transpose.TRANSVERSE,),
    8: (Image.Transpose.ROTATE_90,),
}


def _thumbnail(rgb: Image.Image, size: int, orientation: Any) -> bytes:
    """A small JPEG, turned upright by the EXIF orientation so reviewers see it as shot."""
    thumb = rgb.copy()
    thumb.thumbnail((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    for op in _ORIENT.get(orientation, ()) if isinstance(orientation, int) else ():
        thumb = thumb.transpose(op)
    out = io.BytesIO()
    thumb.save(out, "JPEG", quality=THUMB_QUALITY)
    return out.getvalue()


def _open(source: bytes | BinaryIO, settings: Settings) -> Image.Image:
    """Open (header only); ImageLimitError for decompression bombs.

    Pillow's own check is off while the header is read (nothing is decoded yet): its error
    quotes twice its limit, the reason must quote the setting the examiner can change."""
    stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    Image.MAX_IMAGE_PIXELS = None
    try:
        image = Image.open(stream)
    finally:
        Image.MAX_IMAGE_PIXELS = settings.max_image_pixels
    width, height = image.size
    if width * height > settings.max_image_pixels:
        raise ImageLimitError(
            f"{width}x{height} pixels > max_image_pixels {settings.max_image_pixels}")
    return image


def _pixels(image: Image.Image, settings: Settings) -> tuple[Image.Image, int]:
    """Decode to RGB, a JPEG in the DCT domain at the smallest scale keeping
    ``pdq_draft_min_side``; returns the RGB image and the scale it was decoded at.

    What is decoded must fit ``max_decode_pixels`` (memory grows with it, ~30 bytes a pixel
    through hashing): only JPEG can be reduced while decoding, anything else larger is
    refused before a pixel is decoded (ImageLimitError; the digests are kept)."""
    width, height = image.size
    scale = 1
    if image.format == "JPEG":
        request = _draft_request(width, height, settings.pdq_draft_min_side)
        if request is not None:
            image.draft("RGB", request)
            scale = max(1, round(width / image.size[0]))
    decoded_w, decoded_h = image.size
    if decoded_w * decoded_h > settings.max_decode_pixels:
        how = f"decoded at 1/{scale}: {decoded_w}x{decoded_h}" if scale > 1 else \
            "decodes at full size"
        raise ImageLimitError(f"{width}x{height} pixels > max_decode_pixels "
                              f"{settings.max_decode_pixels} ({image.format} {how})")
    image.load()
    return _to_rgb(image), scale


def decode_pixels(source: bytes | BinaryIO, settings: Settings) -> NDArray[np.uint8]:
    """The pixels ingest hashed, decoded the same way, without hashing or a thumbnail: what
    matching needs when it must look at a picture again (keypoints)."""
    return np.asarray(_pixels(_open(source, settings), settings)[0], dtype=np.uint8)


def decode_image(source: bytes | BinaryIO, settings: Settings) -> DecodedImage:
    """Decode once; raise ImageLimitError for bombs and Pillow's errors for corrupt data."""
    image = _open(source, settings)
    width, height = image.size
    facts = ImageFacts(
        format=image.format or "unknown",
        width=width,
        height=height,
        mode=image.mode,
        animated=bool(getattr(image, "is_animated", False)),
        frames=int(getattr(image, "n_frames", 1) or 1),
    )
    try:
        facts.exif = extract_exif(image)
    except Exception as exc:  # garbage EXIF must not cost the pixels (matching)
        facts.metadata_error = f"EXIF unreadable: {one_line(exc)}"
    rgb_image, facts.decode_scale = _pixels(image, settings)
    rgb = np.asarray(rgb_image, dtype=np.uint8)
    dihedral, quality = pdq_dihedral_from_rgb(rgb)
    facts.pdq, facts.pdq_quality = dihedral[0], quality
    if quality >= settings.pdq_min_quality:
        facts.pdq_variants = query_groups(rgb, regions=True, whole=(dihedral, quality))
    facts.thumbnail = _thumbnail(rgb_image, settings.thumb_size, facts.exif.get("orientation"))
    return DecodedImage(facts=facts, image=image, rgb=rgb)
