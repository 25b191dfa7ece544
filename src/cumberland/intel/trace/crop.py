"""Cutting an object out of a picture's own pixels, and encoding it with nothing but pixels.

What leaves the agency is rebuilt from an array: Pillow gets a fresh image with no info of the
source, and the JPEG it writes is then walked marker by marker so that no application segment
(JFIF, EXIF, XMP, ICC, IPTC/Photoshop, Adobe, C2PA/JUMBF) and no comment remains. Outside the
drawn polygon the crop is painted over (a flat grey, or a blur heavy enough that nothing in
it can be recognised), so only the object itself is shown.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

RGB = NDArray[np.uint8]

MAX_SIDE = 1024  # longest side of a published picture
MIN_SIDE = 16  # smallest region worth publishing
MAX_POINTS = 200
FILLS = ("flat", "blur")
FLAT = (128, 128, 128)
BLUR_CELLS = 12  # a blurred background keeps at most this many cells along its longer side
JPEG_QUALITY = 90
_NUMBER = re.compile(r"-?\d{1,6}")


class CropError(ValueError):
    """A region or polygon that cannot be cut (one line)."""


@dataclass(frozen=True, slots=True)
class Region:
    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]


def _numbers(text: str, what: str) -> list[int]:
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not parts or not all(_NUMBER.fullmatch(p) for p in parts):
        raise CropError(f"{what} must be whole numbers separated by commas, not {text[:60]!r}")
    return [int(p) for p in parts]


def parse_region(text: str) -> Region:
    """``x,y,w,h`` in pixels of the upright picture."""
    values = _numbers(text, "region")
    if len(values) != 4:
        raise CropError("region must be x,y,w,h")
    x, y, w, h = values
    if x < 0 or y < 0 or w < MIN_SIDE or h < MIN_SIDE:
        raise CropError(f"region must start at or after 0,0 and be at least {MIN_SIDE} px a side")
    return Region(x, y, w, h)


def parse_polygon(text: str) -> list[tuple[int, int]]:
    """``x1,y1 x2,y2 ...`` (or all comma-separated): at least three corners, picture pixels."""
    values = _numbers(text, "polygon")
    if len(values) % 2 or not 3 <= len(values) // 2 <= MAX_POINTS:
        raise CropError(f"polygon needs 3 to {MAX_POINTS} x,y corners")
    points = list(zip(values[0::2], values[1::2], strict=True))
    if any(x < 0 or y < 0 for x, y in points):
        raise CropError("polygon corners must lie in the picture")
    return points


ORIENTED = {  # EXIF orientation -> numpy steps turning the stored pixels upright
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1, :],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, -1),
    7: lambda a: a.transpose(1, 0, 2)[::-1, ::-1],
    8: lambda a: np.rot90(a, 1),
}


def upright(pixels: RGB, orientation: object) -> RGB:
    """The pixels as the picture is shown (regions are drawn on what the investigator saw)."""
    turn = ORIENTED.get(orientation) if isinstance(orientation, int) else None
    return np.ascontiguousarray(turn(pixels) if turn else pixels)


def _background(crop: RGB, fill: str) -> RGB:
    h, w = crop.shape[:2]
    if fill == "flat":
        return np.full_like(crop, FLAT)
    scale = BLUR_CELLS / max(h, w)
    small = cv2.resize(crop, (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA)
    wide = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    sigma = max(h, w) / BLUR_CELLS
    return np.asarray(cv2.GaussianBlur(wide, (0, 0), sigma), dtype=np.uint8)


def cut(pixels: RGB, region: Region, polygon: list[tuple[int, int]] | None, fill: str) -> RGB:
    """The region of the upright picture, painted over outside the polygon."""
    if fill not in FILLS:
        raise CropError(f"fill must be one of {', '.join(FILLS)}")
    height, width = pixels.shape[:2]
    if region.x + region.w > width or region.y + region.h > height:
        raise CropError(f"region {region.x},{region.y},{region.w},{region.h} lies outside the "
                        f"{width}x{height} picture")
    crop = np.ascontiguousarray(pixels[region.y:region.y + region.h,
                                       region.x:region.x + region.w])
    if not polygon:
        return crop
    if any(x > width or y > height for x, y in polygon):
        raise CropError("polygon corners must lie in the picture")
    mask = np.zeros(crop.shape[:2], np.uint8)
    corners = np.array([[x - region.x, y - region.y] for x, y in polygon], np.int32)
    cv2.fillPoly(mask, [corners], 255)
    if int(np.count_nonzero(mask)) < MIN_SIDE * MIN_SIDE:
        raise CropError("the polygon covers almost none of the region")
    inside = mask.astype(bool)[:, :, None]
    return np.where(inside, crop, _background(crop, fill)).astype(np.uint8)


def fit(pixels: RGB, side: int = MAX_SIDE) -> RGB:
    h, w = pixels.shape[:2]
    if max(h, w) <= side:
        return pixels
    scale = side / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(pixels, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def strip_segments(jpeg: bytes) -> bytes:
    """The JPEG without APP0-APP15 and COM segments (everything before the scan is walked;
    the entropy-coded data and what follows are kept as they are)."""
    if jpeg[:2] != b"\xff\xd8":
        raise CropError("not a JPEG")
    out = bytearray(jpeg[:2])
    pos = 2
    while pos + 4 <= len(jpeg):
        if jpeg[pos] != 0xFF:
            raise CropError("malformed JPEG marker")
        marker = jpeg[pos + 1]
        length = int.from_bytes(jpeg[pos + 2:pos + 4], "big")
        segment = jpeg[pos:pos + 2 + length]
        if marker == 0xDA:  # start of scan: the rest is image data
            out += jpeg[pos:]
            return bytes(out)
        if not (0xE0 <= marker <= 0xEF or marker == 0xFE):
            out += segment
        pos += 2 + length
    raise CropError("JPEG without image data")


def encode(pixels: RGB) -> bytes:
    """A baseline JPEG of the pixels and nothing else (same pixels, same bytes)."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels), "RGB").save(
        out, "JPEG", quality=JPEG_QUALITY, subsampling=0, optimize=False, progressive=False)
    return strip_segments(out.getvalue())
