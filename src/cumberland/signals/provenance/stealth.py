"""AUTOMATIC1111/NovelAI "stealth" metadata hidden in the alpha channel's least significant bits.

Layout (sd-webui-stealth-pnginfo, also used by NovelAI): bits are read column by column (x outer,
y inner) from alpha & 1; the first 120 bits are the ASCII magic `stealth_pnginfo` (plain) or
`stealth_pngcomp` (gzip), the next 32 bits the payload length in bits, then the payload.
Only the few columns needed are touched until the magic matches, so unmarked images cost little.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from .containers import MAX_TEXT_BYTES, LimitExceeded, inflate

MAGICS = {b"stealth_pnginfo": False, b"stealth_pngcomp": True}
_MAGIC_BITS = 15 * 8
_HEADER_BITS = _MAGIC_BITS + 32


def _bits(alpha: np.ndarray, count: int) -> np.ndarray:
    """The first `count` LSBs of the alpha plane in column-major order."""
    h = alpha.shape[0]
    cols = -(-count // h)
    return (alpha[:, :cols].T & 1).ravel()[:count].astype(np.uint8)


def read_stealth(image: Image.Image) -> tuple[str, str] | None:
    """(magic, payload text) when the alpha channel carries stealth metadata, else None.

    Raises ValueError (LimitExceeded for bombs) when the magic is there but the payload is bad.
    """
    if "A" not in image.getbands():
        return None
    alpha = np.asarray(image.getchannel("A"))
    if alpha.ndim != 2 or alpha.size < _HEADER_BITS:
        return None
    head = _bits(alpha, _HEADER_BITS)
    magic = np.packbits(head[:_MAGIC_BITS]).tobytes()
    if magic not in MAGICS:
        return None
    length = int("".join(map(str, head[_MAGIC_BITS:])), 2)
    if length <= 0 or length > alpha.size - _HEADER_BITS:
        raise ValueError(f"stealth payload length {length} bits does not fit the image")
    if length > MAX_TEXT_BYTES * 8:
        raise LimitExceeded(f"stealth payload of {length // 8} bytes over the cap")
    payload = np.packbits(_bits(alpha, _HEADER_BITS + length)[_HEADER_BITS:]).tobytes()
    if MAGICS[magic]:
        payload = inflate(payload, "stealth_pngcomp payload", gzip=True)
    return magic.decode(), payload.decode("utf-8", "replace")
