"""Small benign evidence trees for the resume, cluster and concurrency tests.

A mix that exercises every writer path: tiny PNG/JPEG pictures (decoded, PDQ, thumbnails),
plain text, empty files, a corrupt image, and repeated content (one media, several items).
"""

from __future__ import annotations

import io
from pathlib import Path

from cumberland.demo import synthetic_image

SMALL = (96, 72)


def _picture(seed: int, fmt: str, size: tuple[int, int]) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed, size).save(buf, fmt)
    return buf.getvalue()


def content(i: int, size: tuple[int, int] = SMALL) -> tuple[str, bytes]:
    """File name suffix and bytes of the i-th file (deterministic); pictures are ``size``."""
    if i % 11 == 0:
        return ".png", _picture(1, "PNG", size)  # the same picture again and again
    if i % 5 == 0:
        return ".png", _picture(i, "PNG", size)
    if i % 7 == 0:
        return ".jpg", _picture(i, "JPEG", size)
    if i % 13 == 0:
        return ".txt", b""
    if i % 17 == 0:
        return ".jpg", b"\xff\xd8\xff\xe0 truncated " + bytes([i % 256])
    return ".txt", f"note {i}\n".encode() * (1 + i % 4)


def write_tree(root: Path, count: int, dirs: int = 8, start: int = 0,
               size: tuple[int, int] = SMALL) -> int:
    """Write ``count`` files over ``dirs`` sub-folders; returns the count written."""
    for i in range(start, start + count):
        suffix, data = content(i, size)
        folder = root / f"d{i % dirs:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:05d}{suffix}").write_bytes(data)
    return count

