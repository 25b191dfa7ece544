"""A video face's own crop, cut from the keyframe it was found on.

A picture's face crop is a window on the picture's thumbnail (web/routes_vision.py). A
video's thumbnail is its contact sheet, where the face may not even be, so a video face is
cut from its keyframe instead: the ``faces`` signal keeps each video face's time ``t`` (the
keyframe is frame ``round(t * fps)``, counted as the vPDQ pass counts them, and decoded as
it decodes them: ``signals.video.reference_rgb``) and its box as fractions of the frame.

The video is read again through the devices API (``store.reopen.open_media``: the bytes
checked against the SHA-256, archive members by their locator), the decoder seeks to the
key frame before ``t`` and decodes forward to the face's frame. The crop (the box with a
margin) is at most ``CROP_SIDE`` pixels on its longer side, JPEG, cached under the
workspace (``face-crops/``, named by media, face and box: a recomputed face gets a new
file) and never anywhere else. It is as sensitive as a thumbnail: the web blurs it like
every crop until the reviewer reveals its media.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import replace
from pathlib import Path
from typing import BinaryIO

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cumberland.analysis.persons import StoredFace
from cumberland.errors import one_line
from cumberland.settings import Settings
from cumberland.signals.video import FALLBACK_FPS, frame_rate, reference_rgb
from cumberland.store.reopen import ReopenError, case_volume_keys, open_media
from cumberland.store.workspace import Workspace

CROP_SIDE = 128  # pixels on the crop's longer side, at most
MARGIN = 0.25  # of the box's size, added on each side
_SEEK_BACK = 1.0  # seconds before the face's time to seek to (the key frame before it)


class CropError(Exception):
    """A video face whose crop cannot be made (one line: evidence gone, not decodable)."""


def window(box: list[float], width: int, height: int) -> tuple[int, int, int, int]:
    """The crop's pixels (left, top, right, bottom) in a ``width`` x ``height`` frame: the
    face's box (fractions) with ``MARGIN`` around it, inside the frame, never empty."""
    x, y, w, h = box if len(box) == 4 else (0.0, 0.0, 1.0, 1.0)
    left = max(0, int((x - w * MARGIN) * width))
    top = max(0, int((y - h * MARGIN) * height))
    right = min(width, max(left + 1, round((x + w * (1 + MARGIN)) * width)))
    bottom = min(height, max(top + 1, round((y + h * (1 + MARGIN)) * height)))
    return left, top, right, bottom


def crop_path(ws: Workspace, face: StoredFace) -> Path:
    """Where the face's crop is cached: under the workspace, named by the media's SHA-256,
    the face's position and a digest of its time and box (nothing a file name could bring)."""
    hexd = face.sha256.hex()
    key = hashlib.sha256(f"{face.t}|{face.box}".encode()).hexdigest()[:12]
    path = ws.root / "face-crops" / hexd[:2] / f"{hexd}-{int(face.index)}-{key}.jpg"
    if not path.resolve().is_relative_to(ws.root.resolve()):
        raise CropError("face crops are kept in the workspace only")
    return path


def keyframe(source: BinaryIO, t: float, max_pixels: int) -> NDArray[np.uint8]:
    """The RGB frame shown at ``t`` seconds (frame ``round(t * fps)``) of a video."""
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.video:
                raise CropError("no video stream")
            stream = container.streams.video[0]
            cc = stream.codec_context
            if (cc.width or 0) * (cc.height or 0) > max_pixels:
                raise CropError(f"{cc.width}x{cc.height} frames exceed {max_pixels} pixels")
            fps = frame_rate(stream) or FALLBACK_FPS
            wanted = round(t * fps)
            base = float(stream.time_base) if stream.time_base is not None else None
            start = stream.start_time or 0
            if base and t > _SEEK_BACK:
                container.seek(start + int((t - _SEEK_BACK) / base), stream=stream,
                               backward=True, any_frame=False)
            for n, frame in enumerate(container.decode(stream)):
                at = n if frame.pts is None or not base else round(
                    (frame.pts - start) * base * fps)
                if at >= wanted:
                    return reference_rgb(frame)
    except (av.FFmpegError, ValueError, OSError, MemoryError) as exc:
        raise CropError(f"the keyframe at {t:.1f} s is not decodable: {one_line(exc)}") \
            from None
    raise CropError(f"no frame at {t:.1f} s")


def _jpeg(rgb: NDArray[np.uint8], box: list[float]) -> bytes:
    height, width = rgb.shape[:2]
    left, top, right, bottom = window(box, width, height)
    crop = Image.fromarray(np.ascontiguousarray(rgb[top:bottom, left:right]))
    crop.thumbnail((CROP_SIDE, CROP_SIDE))
    out = io.BytesIO()
    crop.save(out, "JPEG", quality=88)
    return out.getvalue()


def video_face_crop(ws: Workspace, case: int, face: StoredFace,
                    settings: Settings | None = None) -> bytes:
    """The sharp JPEG crop of a video face from its own keyframe (cached in the workspace);
    CropError when it cannot be made. Whoever shows it decides whether it may be sharp."""
    if face.t is None:
        raise CropError("not a video face: its crop is a window on the picture's thumbnail")
    path = crop_path(ws, face)
    if path.is_file():
        return path.read_bytes()
    base = settings or Settings()
    asked = replace(base, volume_keys=base.volume_keys or case_volume_keys(ws, case))
    try:
        with open_media(ws, face.sha256, asked) as fh:
            rgb = keyframe(fh, face.t, asked.max_image_pixels)
    except ReopenError as exc:
        raise CropError(str(exc)) from None
    data = _jpeg(rgb, face.box)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return data
