"""Decode an image once: the pixels every pixel-consuming signal reads (``signals/base.py``).

JPEGs are decoded in the DCT domain at 1/2, 1/4 or 1/8 scale when the result keeps the
shorter side above ``Settings.pdq_draft_min_side``: PDQ box-filters the picture down to
64x64 anyway, so the drift is a few bits while the decode is several times cheaper
(measured in bench/ingest.py against full-resolution pdqhash).

Nothing is derived here: EXIF, PDQ and its variants, the thumbnail and the provenance
signals are registered signals (``signals/registry.py``) that read these pixels.
"""

from __future__ import annotations

import io
import math
import warnings
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np
import pillow_heif
from numpy.typing import NDArray
from PIL import Image

from cumberland.settings import Settings

pillow_heif.register_heif_opener()
warnings.simplefilter("error", Image.DecompressionBombWarning)  # other opens in the process

class ImageLimitError(ValueError):
    """The image declares more pixels than the configured limit (a decompression bomb)."""


@dataclass(slots=True)
class ImageFacts:
    """What the decode itself tells about an image (JSON-friendly; kept in media.meta)."""

    format: str
    width: int
    height: int
    mode: str
    animated: bool = False
    frames: int = 1
    decode_scale: int = 1

    def meta(self) -> dict[str, Any]:
        return {"format": self.format, "mode": self.mode, "animated": self.animated,
                "frames": self.frames, "decode_scale": self.decode_scale}


@dataclass(slots=True)
class DecodedImage:
    """The decoded picture handed to every signal, so none decodes the file again."""

    facts: ImageFacts
    image: Image.Image  # as loaded (mode kept, e.g. alpha), possibly at draft scale
    picture: Image.Image  # the same pixels in RGB
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
    picture, facts.decode_scale = _pixels(image, settings)
    return DecodedImage(facts, image, picture, np.asarray(picture, dtype=np.uint8))
