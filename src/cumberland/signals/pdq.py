"""PDQ hashing on decoded pixels, in Meta's byte order.

pdqhash returns 256 bits with bit 255 first, which is exactly the order of Meta's hex
strings, so ``np.packbits`` yields the 32 bytes whose ``.hex()`` equals the reference output.
"""

from __future__ import annotations

import numpy as np
import pdqhash
from numpy.typing import NDArray

MIN_SIDE = 5  # the reference returns a zero hash of quality 0 below this


def pdq_from_rgb(pixels: NDArray[np.uint8]) -> tuple[bytes, int]:
    """PDQ hash (32 bytes) and quality of an H x W x 3 uint8 RGB array."""
    if pixels.shape[0] < MIN_SIDE or pixels.shape[1] < MIN_SIDE:
        return bytes(32), 0
    bits, quality = pdqhash.compute(np.ascontiguousarray(pixels))
    return np.packbits(bits.astype(np.uint8)).tobytes(), int(quality)


def pdq_dihedral_from_rgb(pixels: NDArray[np.uint8]) -> tuple[list[bytes], int]:
    """The 8 dihedral variants (original, rot90, rot180, rot270, flips) in pdqhash's order."""
    if pixels.shape[0] < MIN_SIDE or pixels.shape[1] < MIN_SIDE:
        return [bytes(32)] * 8, 0
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(pixels))
    return [np.packbits(v.astype(np.uint8)).tobytes() for v in vectors], int(quality)


def hamming(a: bytes, b: bytes) -> int:
    return (int.from_bytes(a, "big") ^ int.from_bytes(b, "big")).bit_count()
