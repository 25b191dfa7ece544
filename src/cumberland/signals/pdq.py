"""PDQ hashing on decoded pixels, in Meta's byte order, and the query-side variants.

pdqhash returns 256 bits with bit 255 first, which is exactly the order of Meta's hex
strings, so ``np.packbits`` yields the 32 bytes whose ``.hex()`` equals the reference output.

The variants (the 8 rotations/mirrors, the picture without uniform or blurred borders, its
central regions) are what the robust cascade (matching/robust.py) searches with. They are
computed here, from the pixels of the single decode at ingest, and stored per media as the
``pdq-variants`` signal, so matching never decodes a file again to vary a query.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
import pdqhash
from numpy.typing import NDArray

RGB = NDArray[np.uint8]

MIN_SIDE = 5  # the reference returns a zero hash of quality 0 below this
HASH_SIDE = 512  # PDQ reduces to 64x64 anyway; hashing smaller copies is faster
QUERY_REGIONS = (0.85, 0.75)  # query centres: a padded query's centre is the reference
UNIFORM_DETAIL = 2.0  # gradient + 0.1 x colour spread below which a line is a flat border
BLURRED_DETAIL = 1.5  # gradient alone below which a line is a blurred border
SAME_BOX = 2  # border boxes within this many pixels (at 256 px) are one crop
EDGE_LINES = 2  # outermost lines (at 256 px) left out when looking for detail
MIN_TRIM = 0.02  # unpad only when at least this share of a side is border
VARIANTS_SIGNAL = "pdq-variants"
VARIANTS_VERSION = 1


def pdq_from_rgb(pixels: RGB) -> tuple[bytes, int]:
    """PDQ hash (32 bytes) and quality of an H x W x 3 uint8 RGB array."""
    if pixels.shape[0] < MIN_SIDE or pixels.shape[1] < MIN_SIDE:
        return bytes(32), 0
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def pdq_dihedral_from_rgb(pixels: RGB) -> tuple[list[bytes], int]:
    """The 8 dihedral variants (original, rot90, rot180, rot270, flips) in pdqhash's order.

    Costs what one ``pdq_from_rgb`` does (the DCT is shared) and the first equals it.
    """
    if pixels.shape[0] < MIN_SIDE or pixels.shape[1] < MIN_SIDE:
        return [bytes(32)] * 8, 0
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(pixels))
    return [np.packbits(v.astype(np.uint8)).tobytes() for v in vectors], int(quality)


def hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()


def shrink(rgb: RGB, side: int) -> RGB:
    """At most ``side`` pixels on the longer side. Down to half size bilinear is enough for
    PDQ (within a bit of area averaging at a fifth of the cost); further, area averaging."""
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    method = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
    return np.asarray(cv2.resize(rgb, size, interpolation=method), dtype=np.uint8)


def central(rgb: RGB, fraction: float) -> RGB:
    h, w = rgb.shape[:2]
    dh, dw = round(h * (1 - fraction) / 2), round(w * (1 - fraction) / 2)
    return rgb[dh:h - dh, dw:w - dw]


def corners(rgb: RGB, fraction: float) -> list[RGB]:
    h, w = rgb.shape[:2]
    ch, cw = round(h * fraction), round(w * fraction)
    return [rgb[:ch, :cw], rgb[:ch, w - cw:], rgb[h - ch:, :cw], rgb[h - ch:, w - cw:]]


def _details(lines: NDArray[np.float32]) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Per line (axis 0): (uniform, blurred) detail measures.

    Both start from the mean absolute difference between neighbours. The uniform measure
    adds the colour spread along the line (per channel, then averaged: spread across the
    channels would make a flat border of a saturated colour, pure red, look like detail), so
    smooth picture areas (a sky) are not mistaken for a flat border. A blurred border (the
    picture itself, enlarged and blurred, behind it) varies in colour along a line but has
    almost no gradient: only the gradient alone finds it."""
    grad = np.abs(np.diff(lines, axis=1)).mean(axis=(1, 2))
    # std over a contiguous last axis: ten times faster than over the strided middle one
    spread = np.ascontiguousarray(lines.transpose(0, 2, 1)).std(axis=2).mean(axis=1)
    return (np.asarray(grad + 0.1 * spread, dtype=np.float32),
            np.asarray(grad, dtype=np.float32))


Box = tuple[int, int, int, int]  # top, bottom, left, right


def _box(rows: NDArray[np.bool_], cols: NDArray[np.bool_]) -> Box | None:
    """The span of detailed lines, if it trims enough and leaves enough."""
    if not rows.any() or not cols.any():
        return None
    sh, sw = len(rows), len(cols)
    top, bottom = int(np.argmax(rows)), sh - int(np.argmax(rows[::-1]))
    left, right = int(np.argmax(cols)), sw - int(np.argmax(cols[::-1]))
    if max(top, sh - bottom) < MIN_TRIM * sh and max(left, sw - right) < MIN_TRIM * sw:
        return None
    if bottom - top < sh // 4 or right - left < sw // 4:
        return None
    return top, bottom, left, right


def _inner(detailed: NDArray[np.bool_]) -> NDArray[np.bool_]:
    """The outermost lines do not count as detail: a blur's edge handling, a JPEG edge block
    or a one-pixel frame must not hide the border inside them (ignoring them trims at most
    EDGE_LINES, under MIN_TRIM, from a picture with detail up to its edges)."""
    out = detailed.copy()
    out[:EDGE_LINES] = False
    out[len(out) - EDGE_LINES:] = False
    return out


def unpad(rgb: RGB) -> list[RGB]:
    """The picture without its borders/letterboxing: one crop per kind of border found
    (flat, blurred) when they differ; empty when there are none."""
    if min(rgb.shape[:2]) < 16:
        return []
    small = shrink(rgb, 256).astype(np.float32)
    row_measures = _details(small)
    col_measures = _details(np.ascontiguousarray(small.transpose(1, 0, 2)))
    boxes: list[Box] = []
    for rows, cols, threshold in zip(row_measures, col_measures,
                                     (UNIFORM_DETAIL, BLURRED_DETAIL), strict=True):
        box = _box(_inner(rows >= threshold), _inner(cols >= threshold))
        if box is not None and all(max(abs(a - b) for a, b in zip(box, other, strict=True))
                                   > SAME_BOX for other in boxes):
            boxes.append(box)
    h, w = rgb.shape[:2]
    fy, fx = h / small.shape[0], w / small.shape[1]
    return [rgb[round(top * fy):round(bottom * fy), round(left * fx):round(right * fx)]
            for top, bottom, left, right in boxes]


@dataclass(frozen=True, slots=True)
class HashGroup:
    """The 8 dihedral hashes (original first) of one view of a picture.

    ``view``: ``pdq`` (the whole picture), ``pdq-unpadded`` (borders removed) or
    ``pdq-region`` (a central region); the cascade's method names.
    """

    view: str
    hashes: tuple[bytes, ...]
    quality: int


def _group(view: str, rgb: RGB) -> HashGroup:
    hashes, quality = pdq_dihedral_from_rgb(rgb)
    return HashGroup(view, tuple(hashes), quality)


def query_groups(rgb: RGB, regions: bool = True,
                 whole: tuple[list[bytes], int] | None = None) -> list[HashGroup]:
    """Query-side hashes of a picture: dihedral of the whole, of the unpadded picture (one
    view per kind of border it has) and, with ``regions``, of its central regions.

    ``whole``: the whole picture's dihedral hashes when already computed (at ingest they
    come with the plain PDQ at no extra cost); the rest is hashed on a HASH_SIDE copy.
    """
    small = shrink(rgb, HASH_SIDE)
    out = [HashGroup("pdq", tuple(whole[0]), whole[1]) if whole else _group("pdq", small)]
    out += [_group("pdq-unpadded", inner) for inner in unpad(small)]
    if regions:
        out += [_group("pdq-region", central(small, f)) for f in QUERY_REGIONS]
    return out


def groups_to_json(groups: list[HashGroup]) -> dict[str, Any]:
    """Compact JSON (base64 of the 8 x 32 bytes per view) for the ``pdq-variants`` signal."""
    return {"groups": [{"view": g.view, "quality": g.quality,
                        "hashes": base64.b64encode(b"".join(g.hashes)).decode()}
                       for g in groups]}


def groups_from_json(data: dict[str, Any]) -> list[HashGroup]:
    out = []
    for g in data.get("groups", []):
        raw = base64.b64decode(g["hashes"])
        out.append(HashGroup(str(g["view"]), tuple(raw[i:i + 32] for i in range(0, len(raw), 32)),
                             int(g["quality"])))
    return out
