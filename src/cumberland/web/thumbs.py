"""Thumbnails as reviewers first see them: blurred and greyscale, made on the server.

The sharp 256 px thumbnail never reaches the browser unless the reviewer asked for that item
(or confirmed the session-wide "show" toggle). Blurred copies are cached content-addressed
beside the sharp ones, so each is made once.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageFilter

from cumberland.store.workspace import Workspace

BLUR_RADIUS = 10
PLACEHOLDER = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 256 256">'
    b'<rect width="256" height="256" fill="#8c959f"/>'
    b'<text x="128" y="134" font-family="sans-serif" font-size="18" text-anchor="middle" '
    b'fill="#f6f8fa">no preview</text></svg>'
)


def blurred_path(ws: Workspace, sha256: bytes) -> Path:
    hexd = sha256.hex()
    return ws.root / "thumbs-blurred" / hexd[:2] / hexd[2:4] / f"{hexd}.jpg"


def blur(data: bytes) -> bytes:
    """Greyscale, then a Gaussian blur strong enough that no detail survives at 256 px."""
    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L")
    soft = grey.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
    out = io.BytesIO()
    soft.save(out, "JPEG", quality=70)
    return out.getvalue()


def blurred_thumb(ws: Workspace, sha256: bytes) -> bytes | None:
    """The blurred thumbnail (made and cached on first use), or None when there is none."""
    cached = blurred_path(ws, sha256)
    if cached.is_file():
        return cached.read_bytes()
    sharp = ws.thumb_path(sha256)
    if not sharp.is_file():
        return None
    try:
        data = blur(sharp.read_bytes())
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, cached)
    return data


def sharp_thumb(ws: Workspace, sha256: bytes) -> bytes | None:
    path = ws.thumb_path(sha256)
    return path.read_bytes() if path.is_file() else None
