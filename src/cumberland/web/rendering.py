"""What the browser receives of a revealed item: always pixels we encoded, never the file.

An image is decoded by Pillow and re-encoded as JPEG (so a file that is really HTML or SVG,
or a polyglot, can never be interpreted by the browser as anything but a JPEG); a video frame
is decoded by PyAV and encoded the same way. Only the HTML5 player gets original bytes, and
only for containers browsers play, under a content type chosen here from the container
PyAV recognised, never from the file's name or its own claims.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import av
import pillow_heif
from PIL import Image, ImageOps

pillow_heif.register_heif_opener()

MAX_PIXELS = 80_000_000  # larger pictures are shown scaled down to this many pixels
MAX_FRAME_SIDE = 1920
MAX_KEYFRAMES = 4000
#: containers (as PyAV names them), the type they are played as, and the codecs browsers
#: play in them natively
PLAYABLE: dict[str, tuple[str, frozenset[str]]] = {
    "matroska,webm": ("video/webm", frozenset({"vp8", "vp9", "av1"})),
    "mov,mp4,m4a,3gp,3g2,mj2": ("video/mp4", frozenset({"h264", "av1", "vp9"})),
    "ogg": ("video/ogg", frozenset({"theora", "vp8"})),
}


class RenderError(Exception):
    """Could not decode what was asked for (a one-line reason)."""


def _jpeg(image: Image.Image, quality: int = 92) -> bytes:
    if image.mode not in ("RGB", "L"):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (128, 128, 128))  # transparency on neutral grey
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


@dataclass(frozen=True, slots=True)
class Rendered:
    jpeg: bytes
    width: int
    height: int
    scaled: bool  # shown smaller than the original


def full_image(data: bytes) -> Rendered:
    """The picture at full resolution (up to MAX_PIXELS), upright as its EXIF says, as JPEG."""
    previous = Image.MAX_IMAGE_PIXELS
    try:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS * 4  # beyond that, refuse (a decompression bomb)
        with Image.open(io.BytesIO(data)) as opened:
            opened.seek(0)  # animated: the first frame
            width, height = opened.size
            scaled = width * height > MAX_PIXELS
            if scaled:
                opened.draft("RGB", (width // 2, height // 2))
            picture = ImageOps.exif_transpose(opened.copy())
    except (OSError, ValueError, SyntaxError, EOFError, Image.DecompressionBombError) as exc:
        raise RenderError(f"not a decodable image: {exc}") from None
    finally:
        Image.MAX_IMAGE_PIXELS = previous
    if picture.width * picture.height > MAX_PIXELS:
        factor = (MAX_PIXELS / (picture.width * picture.height)) ** 0.5
        picture = picture.resize((max(1, int(picture.width * factor)),
                                  max(1, int(picture.height * factor))), Image.Resampling.LANCZOS)
        scaled = True
    return Rendered(_jpeg(picture), picture.width, picture.height, scaled)


def playable_type(meta: dict[str, Any]) -> str | None:
    """The content type to play a video as, or None when browsers could not play it."""
    found = PLAYABLE.get(str(meta.get("container") or ""))
    if found is None or str(meta.get("codec") or "") not in found[1]:
        return None
    return found[0]


@dataclass(frozen=True, slots=True)
class Keyframe:
    index: int
    seconds: float
    pts: int


class Keyframes:
    """Keyframe positions of videos, found by demuxing (no decoding), kept for a few videos."""

    def __init__(self, size: int = 32) -> None:
        self._lock = threading.Lock()
        self._cache: OrderedDict[bytes, list[Keyframe]] = OrderedDict()
        self._size = size

    def of(self, sha256: bytes, data: io.BufferedIOBase | Any) -> list[Keyframe]:
        with self._lock:
            found = self._cache.get(sha256)
            if found is not None:
                self._cache.move_to_end(sha256)
                return found
        found = list_keyframes(data)
        with self._lock:
            self._cache[sha256] = found
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return found


def list_keyframes(source: Any) -> list[Keyframe]:
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.video:
                raise RenderError("no video stream")
            stream = container.streams.video[0]
            base = float(stream.time_base) if stream.time_base is not None else 0.0
            found: list[Keyframe] = []
            for packet in container.demux(stream):
                if packet.is_keyframe and packet.pts is not None:
                    found.append(Keyframe(len(found), round(packet.pts * base, 3),
                                          int(packet.pts)))
                    if len(found) >= MAX_KEYFRAMES:
                        break
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise RenderError(f"not a readable video: {exc}") from None
    return sorted(found, key=lambda k: k.pts)


def _frame_from(source: Any, target: Callable[[Any], int]) -> Image.Image:
    """The first frame decoded at or after the position (pts) ``target`` gives for the
    video stream."""
    try:
        with av.open(source, mode="r") as container:
            if not container.streams.video:
                raise RenderError("no video stream")
            stream = container.streams.video[0]
            pts = target(stream)
            container.seek(pts, stream=stream, backward=True, any_frame=False)
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts < pts:
                    continue
                picture: Image.Image = frame.to_image()
                return picture
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise RenderError(f"frame not decodable: {exc}") from None
    raise RenderError("no frame at that position")


def _shown(picture: Image.Image, side: int, quality: int = 88) -> bytes:
    picture.thumbnail((side, side))
    return _jpeg(picture, quality)


def keyframe_jpeg(source: Any, keyframe: Keyframe) -> bytes:
    """The decoded keyframe, scaled to MAX_FRAME_SIDE at most, as JPEG."""
    return _shown(_frame_from(source, lambda _stream: keyframe.pts), MAX_FRAME_SIDE)


def frame_jpeg(source: Any, seconds: float, side: int = MAX_FRAME_SIDE) -> bytes:
    """The frame shown at ``seconds`` from the start, as JPEG of at most ``side`` pixels: a
    keyframe that OCR, faces or local features looked at is kept by its time (frame n at
    n / fps, signals/video.py), so the first frame from half a frame before it is that one."""
    def pts(stream: Any) -> int:
        rate = float(stream.average_rate or stream.guessed_rate or 30)
        base = float(stream.time_base or 1 / 90_000)
        start = int(stream.start_time or 0)
        return start + max(0, int((seconds - 0.5 / rate) / base))

    return _shown(_frame_from(source, pts), side)
