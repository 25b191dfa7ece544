"""Test-only embedder for the dwtDct watermark (Cumberland ships no image-altering code).

Mirrors the published encoder: U channel, 1-level Haar DWT, per 4x4 approximation block the
largest non-first coefficient is moved to the middle of the quantisation cell of its bit.
"""

from __future__ import annotations

import cv2
import numpy as np
import pywt


def embed(rgb: np.ndarray, bits: np.ndarray, scale: int = 36, block: int = 4) -> np.ndarray:
    """Return a copy of uint8 RGB pixels carrying `bits` (repeated over all blocks)."""
    rows, cols = rgb.shape[:2]
    yuv = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV)
    h, w = rows // 4 * 4, cols // 4 * 4
    approx, details = pywt.dwt2(yuv[:h, :w, 1].astype(np.float64), "haar")
    br, bc = approx.shape[0] // block, approx.shape[1] // block
    for n in range(br * bc):
        i, j = divmod(n, bc)
        view = approx[i * block : (i + 1) * block, j * block : (j + 1) * block]
        flat = view.reshape(-1)
        pos = int(np.argmax(np.abs(flat[1:]))) + 1
        value = flat[pos]
        bit = int(bits[n % len(bits)])
        moved = (abs(value) // scale + 0.25 + 0.5 * bit) * scale
        view[pos // block, pos % block] = moved if value >= 0 else -moved
    plane = pywt.idwt2((approx, details), "haar")
    yuv[:h, :w, 1] = np.clip(np.round(plane), 0, 255).astype(np.uint8)
    return cv2.cvtColor(yuv, cv2.COLOR_YUV2RGB)
