"""Decoder for invisible-watermark's `dwtDct` method, as used by Stable Diffusion scripts.

Written from the published algorithm (imwatermark/maxDct.py), with numpy and OpenCV only (the
package itself imports torch). The reference:

* converts BGR to YUV with OpenCV and crops to a multiple of 4;
* loops over the first two channels with scales (0, 36, 36): Y has scale 0 and is skipped and V
  is never reached, so in practice only U carries the mark; this decoder keeps that behaviour;
* takes a 1-level Haar DWT of the channel (PyWavelets `dwt2(..., "haar")`; only the approximation
  band is used) and walks it in 4x4 blocks, row by row; block n carries bit n mod L. Despite the
  method's name, the released code reads the block coefficients directly (no DCT is applied to
  the block): the coefficient with the largest magnitude, excluding the block's first, holds the
  bit as (|v| mod 36) > 18;
* averages each bit's votes and thresholds at 127/255.

This decoder gets the same votes in integers: U comes from the same OpenCV conversion (a
vectorised numpy formula for U alone, bit-exact with OpenCV's fixed point, was measured several
times slower than cvtColor's SIMD path for all three channels); the Haar approximation
coefficient is half the 2x2 pixel sum S (never negative, so |v| = S/2) and (S/2 mod 36) > 18 is
(S mod 72) > 36. Tests check the votes against PyWavelets' float pipeline. Only the pixels the
reference reads are converted: the top rows and left columns that fill whole 4x4 blocks.

Known payloads, scored by counting agreeing bits: SD v1 scripts "StableDiffusionV1" (136 bits),
SD 2 scripts "SDV2" (32 bits), SDXL 0xB3EC907BB19E (48 bits). Thresholds come from the 48-bit
SDXL practice (<= 27 none, 28-33 partial, 34-35 likely, >= 36 very likely; unmarked photos score
~20-29) and are scaled proportionally (as a fraction of the bit count, rounded up) for the other
lengths: 136 bits -> 80 / 97 / 102, 32 bits -> 19 / 23 / 24. Proportional scaling is stricter than
the 48-bit rule for 136 bits and looser for 32 bits, where chance agreement is likelier: 23/32
happens by chance with p ~ 0.01 (2 of 546 ImageNet photos reached it, one reached 24). A verdict of
"likely" or better counts as strong evidence, except that the 32-bit SD 2 payload also needs
26/32 agreeing bits, whose chance probability (~3e-4) matches SDXL's 36/48.

The mark survives JPEG q98, usually not q90, crops (block grid shifts) or resizing: a miss proves
nothing. Pixels must be full resolution (not a JPEG draft/reduced decode).

Cost control: images whose width is not a multiple of 8 are not checked. Stable Diffusion
pipelines emit multiples of 8 (the VAE's factor) and any later change of width reorders the
blocks and destroys the mark, so such an image cannot carry a readable one. Only the top rows up
to MAX_PIXELS are decoded (whole block rows, so every block keeps its bit index). There is no
early exit after the first blocks: after JPEG q85-q90 only ~54-57% of the block votes still
agree with the payload, which the whole image's votes decode ("very likely" on 512x512 in the
tests' measurements) but the first few hundred blocks cannot tell from chance.
"""

from __future__ import annotations

import math
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from .model import Finding, Level

NAME = "invisible-watermark"
VERSION = 1

SCALE = 36  # the reference's scale for U (Y has 0, V is never reached)
BLOCK = 4
#: The reference refuses images under 256x256 pixels; so do we.
MIN_PIXELS = 256 * 256
#: Only the top rows up to this many pixels are decoded: the block order is row-major from the
#: top-left, so a crop of whole rows keeps every block's bit index, and the cost stays bounded.
MAX_PIXELS = 1_000_000
#: SD pipelines emit widths that are multiples of this; other widths cannot hold a readable mark.
WIDTH_MULTIPLE = 8


def _bits_of(payload: bytes) -> NDArray[np.uint8]:
    return np.unpackbits(np.frombuffer(payload, dtype=np.uint8))


PATTERNS: dict[str, NDArray[np.uint8]] = {
    "StableDiffusionV1": _bits_of(b"StableDiffusionV1"),
    "SDV2": _bits_of(b"SDV2"),
    "SDXL": _bits_of((0xB3EC907BB19E).to_bytes(6, "big")),
}
#: Fractions of agreeing bits for partial / likely / very likely, from the 48-bit rule.
FRACTIONS = {"partial": 28 / 48, "likely": 34 / 48, "very likely": 36 / 48}
#: Payloads too short for "likely" to mean much: agreeing bits also needed to count as strong.
MIN_STRONG_AGREE = {"SDV2": 26}
_ORDER = ("none", "partial", "likely", "very likely")


def thresholds(length: int) -> dict[str, int]:
    """Agreeing-bit counts needed for each verdict at this payload length."""
    return {name: math.ceil(frac * length - 1e-9) for name, frac in FRACTIONS.items()}


def verdict(agree: int, length: int) -> str:
    """ "none" | "partial" | "likely" | "very likely" for `agree` of `length` bits."""
    result = "none"
    for name, needed in thresholds(length).items():
        if agree >= needed:
            result = name
    return result


def pair_sums(plane: NDArray[np.uint8]) -> NDArray[np.uint16]:
    """2x2 pixel sums: twice the 1-level Haar approximation band (exact, in integers)."""
    h, w = plane.shape[0] // 2 * 2, plane.shape[1] // 2 * 2
    rows = plane[0:h:2, :w].astype(np.uint16) + plane[1:h:2, :w]
    return np.asarray(rows[:, 0::2] + rows[:, 1::2])


def block_votes(u: NDArray[np.uint8]) -> NDArray[np.uint8]:
    """0/1 vote of every 4x4 approximation block of the U plane, in the reference's order.

    The reference's "largest magnitude except the first coefficient" is the block's maximum
    over its other 15 sums (none is negative), so its position is never needed.
    """
    sums = pair_sums(u)
    br, bc = sums.shape[0] // BLOCK, sums.shape[1] // BLOCK
    b = sums[: br * BLOCK, : bc * BLOCK].reshape(br, BLOCK, bc, BLOCK)
    lower = np.maximum(np.maximum(b[:, 1], b[:, 2]), b[:, 3]).max(axis=2)  # rows 1-3
    top = np.maximum(np.maximum(b[:, 0, :, 1], b[:, 0, :, 2]), b[:, 0, :, 3])  # row 0 less (0,0)
    value = np.maximum(lower, top).ravel()
    return np.asarray(value % (2 * SCALE) > SCALE, dtype=np.uint8)


def decode_bits(votes: NDArray[np.uint8], length: int) -> NDArray[np.uint8] | None:
    """Average each bit's votes over its blocks; None if some bit got no vote."""
    idx = np.arange(votes.shape[0]) % length
    ones = np.bincount(idx, weights=votes, minlength=length)
    counts = np.bincount(idx, minlength=length)
    if np.any(counts == 0):
        return None
    return np.asarray(ones * 255 > 127 * counts, dtype=np.uint8)


def u_pixels(image: Image.Image) -> NDArray[np.uint8] | None:
    """U plane of the pixels the reference reads (top rows up to MAX_PIXELS, whole blocks),
    or None when the mark cannot be there (size, width, grey)."""
    if image.width * image.height < MIN_PIXELS or image.width % WIDTH_MULTIPLE:
        return None
    if image.mode in ("1", "L", "LA", "I", "I;16", "F"):
        return None
    span = 2 * BLOCK  # pixels per block side: 4x4 blocks of the half-size Haar band
    cols = image.width // span * span
    rows = min(image.height, max(span, MAX_PIXELS // max(1, cols))) // span * span
    region = image.crop((0, 0, cols, rows)) if (cols, rows) != image.size else image
    rgb = np.asarray(region if region.mode == "RGB" else region.convert("RGB"))
    return np.asarray(cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV)[..., 1])


def score(image: Image.Image) -> dict[str, dict[str, Any]] | None:
    """Agreeing bits and verdict per known payload; None when the image cannot be checked."""
    u = u_pixels(image)
    if u is None:
        return None
    votes = block_votes(u)
    out: dict[str, dict[str, Any]] = {}
    for name, pattern in PATTERNS.items():
        bits = decode_bits(votes, pattern.size)
        if bits is None:
            continue
        agree = int(np.count_nonzero(bits == pattern))
        out[name] = {
            "bits": int(pattern.size),
            "agree": agree,
            "verdict": verdict(agree, pattern.size),
        }
    return out


def evidence_level(name: str, result: dict[str, Any]) -> Level:
    """``strong`` for a "very likely" payload (and MIN_STRONG_AGREE), ``weak`` for "likely".

    A "likely" SDXL score (34-35 of 48 bits) arises by chance about once in a thousand
    unmarked pictures; calling that strong would push real photos down the review queue, the
    costly mistake, so it only ranks as weak evidence.
    """
    verdict = _ORDER.index(str(result["verdict"]))
    if verdict >= _ORDER.index("very likely") and int(result["agree"]) >= MIN_STRONG_AGREE.get(
            name, 0):
        return "strong"
    return "weak" if verdict >= _ORDER.index("likely") else "none"


def detect(image: Image.Image | None) -> list[Finding]:
    """One finding with every payload's score (level strong when one counts as strong)."""
    if image is None:
        return []
    scores = score(image)
    if not scores:
        return []
    best = max(scores, key=lambda n: (_ORDER.index(scores[n]["verdict"]), scores[n]["agree"]))
    levels = {evidence_level(n, r) for n, r in scores.items()}
    level: Level = "strong" if "strong" in levels else "weak" if "weak" in levels else "none"
    data: dict[str, Any] = {"method": "dwtDct", "payloads": scores, "best": best}
    return [
        Finding(NAME, VERSION, "invisible-watermark", data, level=level)
    ]


def reasons(finding: Finding) -> list[str]:
    """Sentences for payloads that reached at least "partial"."""
    out = []
    for name, r in finding.data["payloads"].items():
        if r["verdict"] != "none":
            counted = {"strong": "strong evidence", "weak": "weak evidence only",
                       "none": "not counted"}[evidence_level(name, r)]
            out.append(
                f"invisible-watermark dwtDct {name} payload: {r['agree']}/{r['bits']} bits agree "
                f"({r['verdict']}: {counted})"
            )
    return out
