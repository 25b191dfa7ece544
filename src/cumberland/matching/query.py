"""Pixels of a case's media for the robust cascade, read again only when needed.

The original file is preferred (reopened read-only, checked against the media's SHA-256);
media found inside containers, or whose file is gone, fall back to the stored thumbnail,
which is enough for PDQ (it reduces to 64x64) and usable for keypoints.
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import select

from cumberland.pipeline.fingerprint import open_evidence
from cumberland.settings import Settings
from cumberland.signals.crypto import digest_blocks
from cumberland.signals.image import decode_image
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace


def _original(ws: Workspace, sha256: bytes, settings: Settings) -> NDArray[np.uint8] | None:
    with ws.engine.connect() as conn:
        paths = conn.scalars(select(Item.raw_path).where(
            Item.media_sha256 == sha256, Item.raw_path.is_not(None)).limit(4)).all()
    for raw in paths:
        if raw is None:
            continue
        try:
            fd = open_evidence(raw)
            with os.fdopen(fd, "rb") as fh:
                if os.fstat(fh.fileno()).st_size > settings.in_memory_limit:
                    continue
                data = fh.read()
            if digest_blocks([data]).sha256 != sha256:
                continue
            return decode_image(data, settings).rgb
        except Exception:  # gone, replaced or undecodable: try the next copy, then the thumb
            continue
    return None


def query_pixels(ws: Workspace, sha256: bytes, settings: Settings) -> NDArray[np.uint8] | None:
    rgb = _original(ws, sha256, settings)
    if rgb is not None:
        return rgb
    thumb = ws.thumb_path(sha256)
    if not thumb.is_file():
        return None
    try:
        with Image.open(thumb) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError):
        return None
