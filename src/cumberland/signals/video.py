"""Video facts and vPDQ frame hashes from one decode pass (PyAV), bit for bit as Meta's
``vpdq-hash-video`` (ThreatExchange ``vpdq/cpp``) makes them, so a case's frames match lists
made with Meta's tool and lists exported from a case match in Meta's tools. The golden
vectors in tests/golden/vpdq are that tool's output; bench/vpdq_fidelity.py measures it.

What the reference does, and so what this does:

- it decodes every frame (skipping non-reference frames would move the count) and numbers
  them from 0 in output order; frame ``n`` is hashed when ``n % int(seconds * fps) == 0``,
  ``fps`` being the stream's average frame rate, else its ``r_frame_rate``. At 30000/1001 fps
  that is frames 0, 29, 58, ...: not whole seconds of timestamp;
- a frame's timestamp is ``n / fps`` in single precision, printed to the millisecond;
- a hashed frame is converted to RGB24 at its full size as its ``sws_scale`` does: the
  BT.601 matrix whatever the stream's colour tags say, limited range except for the ``yuvj``
  (full-range) formats, ``SWS_AREA``; PDQ runs on the full frame (no 512 px shortcut: a
  smaller copy moves bits, 9-12 on average at 1080p);
- it drains the decoder at the end only when the video is stream 0 (its flush packet is a
  reset packet, which names stream 0), so otherwise the last frames held for reordering are
  never hashed.

Pruning consecutive near-identical frames (the optional step of vPDQ's README) is off by
default (``Settings.video_prune_distance``), so the stored frames are the reference's.
Only the hashed frames are converted to RGB; the cost of the rest is the decode itself.
"""

from __future__ import annotations

import functools
import io
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO, Generic, TypeVar

import av
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cumberland.errors import one_line
from cumberland.records import VideoFrame
from cumberland.settings import Settings
from cumberland.signals.pdq import hamming, pdq_from_rgb

SHEET_TILES = 4
_RESERVOIR = 2 * SHEET_TILES
# Keyframes for local features (signals/local_features.py): a sampled frame at least this
# many PDQ bits from the last keyframe (a new shot), at most KEYFRAMES of them spread over
# the video, each kept at most KEYFRAME_SIDE pixels on its longer side.
KEYFRAME_DISTANCE = 64
KEYFRAMES = 16
KEYFRAME_SIDE = 640
T = TypeVar("T")
# The stored version of a video's vPDQ frames. 2: the reference's frames, conversion and
# timestamps; 1 sampled on whole seconds, skipped non-reference frames, scaled to 512 px.
VPDQ_VERSION = 2
# Frames are numbered by rate; a stream that declares none (the reference refuses it) is
# numbered as if at 25 fps.
FALLBACK_FPS = 25.0


class VideoError(ValueError):
    """Not a readable video at all (no stream, unsupported codec, garbage)."""


@dataclass(slots=True)
class VideoFacts:
    meta: dict[str, Any]
    width: int | None = None
    height: int | None = None
    frames: list[VideoFrame] = field(default_factory=list)
    thumbnail: bytes | None = None
    error: str | None = None  # set when decoding stopped early; frames before it are kept
    # (time in seconds, RGB at most KEYFRAME_SIDE) of the first frame of each shot, spread
    keyframes: list[tuple[float, NDArray[np.uint8]]] = field(default_factory=list)


class _Spread(Generic[T]):
    """Evenly spread picks over a stream of unknown length: keep every ``stride``-th offered
    item, halving the kept set and doubling the stride whenever it holds ``capacity``."""

    def __init__(self, capacity: int) -> None:
        self.capacity, self.stride, self.seen = capacity, 1, 0
        self.kept: list[T] = []

    def offer(self, make: Callable[[], T]) -> None:
        """``make`` runs only for an item kept (a resize costs more than the offer)."""
        if self.seen % self.stride == 0:
            self.kept.append(make())
            if len(self.kept) >= self.capacity:
                self.kept, self.stride = self.kept[::2], self.stride * 2
        self.seen += 1


def _small(rgb: NDArray[np.uint8], side: int) -> Image.Image:
    small = Image.fromarray(rgb)
    small.thumbnail((side, side))
    return small


def _keyframe(at: float, rgb: NDArray[np.uint8]) -> tuple[float, NDArray[np.uint8]]:
    return at, np.asarray(_small(rgb, KEYFRAME_SIDE))


class _Sheet:
    """The contact sheet's tiles, spread over the video."""

    def __init__(self, tile: int) -> None:
        self.tile = tile
        self.spread: _Spread[Image.Image] = _Spread(_RESERVOIR)

    def offer(self, rgb: NDArray[np.uint8]) -> None:
        self.spread.offer(lambda: _small(rgb, self.tile))

    def render(self) -> bytes | None:
        kept = self.spread.kept
        if not kept:
            return None
        step = max(1, len(kept) / SHEET_TILES)
        tiles = [kept[int(i * step)] for i in range(min(SHEET_TILES, len(kept)))]
        cols = 2 if len(tiles) > 1 else 1
        rows = math.ceil(len(tiles) / cols)
        sheet = Image.new("RGB", (cols * self.tile, rows * self.tile), (24, 24, 24))
        for i, tile in enumerate(tiles):
            x = (i % cols) * self.tile + (self.tile - tile.width) // 2
            y = (i // cols) * self.tile + (self.tile - tile.height) // 2
            sheet.paste(tile, (x, y))
        out = io.BytesIO()
        sheet.save(out, "JPEG", quality=82)
        return out.getvalue()


def frame_rate(stream: Any) -> float | None:
    """The rate the reference numbers frames by: average, else ``r_frame_rate`` (not
    FFmpeg's guess, which can differ from both)."""
    rate = stream.average_rate or stream.base_rate
    return float(rate) if rate else None


def frame_step(fps: float, interval_ms: int) -> int:
    """Hash every this many decoded frames: ``int(seconds * fps)``, at least 1, with the
    seconds in single precision as the reference parses them."""
    seconds = float(np.float32(max(interval_ms, 0) / 1000))
    return max(1, int(seconds * fps))


def frame_time(n: int, fps: float) -> float:
    """Frame ``n``'s timestamp as the reference computes it (single precision) and prints it
    (to the millisecond)."""
    return round(float(np.float32(n) / np.float32(fps)), 3)


def reference_rgb(frame: av.VideoFrame) -> NDArray[np.uint8]:
    """The frame as RGB24, pixel for pixel as the reference's ``sws_scale`` makes it (see the
    module docstring): PyAV would otherwise follow the stream's BT.709 or full-range tags,
    10-12 bits of PDQ away on such streams."""
    full = frame.format.name.startswith("yuvj")
    rgb = frame.reformat(format="rgb24", interpolation="AREA", src_colorspace="ITU601",
                         src_color_range="JPEG" if full else "MPEG")
    return np.asarray(rgb.to_ndarray(), dtype=np.uint8)


def _meta(container: Any, stream: Any) -> dict[str, Any]:
    cc = stream.codec_context
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    rate = frame_rate(stream)
    return {
        "container": container.format.name,
        "codec": cc.name,
        "duration": round(duration, 3) if duration else None,
        "fps": round(rate, 3) if rate else None,
        "audio": [s.codec_context.name for s in container.streams.audio],
    }


def hash_video(source: BinaryIO, settings: Settings, threads: int = 1) -> VideoFacts:
    """Describe and vPDQ-hash a video; raise VideoError if it cannot be opened at all."""
    try:
        container = av.open(source, mode="r")
    except (av.FFmpegError, ValueError, OSError, UnicodeDecodeError) as exc:
        raise VideoError(one_line(exc)) from exc
    with container:
        if not container.streams.video:
            raise VideoError("no video stream")
        stream = container.streams.video[0]
        cc = stream.codec_context
        facts = VideoFacts(_meta(container, stream), cc.width or None, cc.height or None)
        if (cc.width or 0) * (cc.height or 0) > settings.max_image_pixels:
            raise VideoError(f"{cc.width}x{cc.height} frames exceed {settings.max_image_pixels}"
                             " pixels")
        # Slice threads only, as the reference: the frames decoded are the same either way,
        # but frame threads hold more of them back when the decoder is not drained.
        cc.thread_type = "SLICE"
        cc.thread_count = threads
        _hash_frames(container, stream, settings, facts)
    return facts


def _decoded(container: Any, stream: Any) -> Iterator[av.VideoFrame]:
    """Every frame in output order; the decoder is drained at the end only when the video
    is stream 0, as the reference's is (see the module docstring)."""
    drain = stream.index == 0
    for packet in container.demux(stream):
        if packet.size or drain:
            yield from stream.decode(packet)


def _hash_frames(container: Any, stream: Any, settings: Settings, facts: VideoFacts) -> None:
    fps = frame_rate(stream) or FALLBACK_FPS
    step = frame_step(fps, settings.video_frame_interval_ms)
    prune = settings.video_prune_distance
    sheet = _Sheet(max(16, settings.thumb_size // 2))
    keys: _Spread[tuple[float, NDArray[np.uint8]]] = _Spread(KEYFRAMES)
    last: bytes | None = None
    last_key: bytes | None = None
    n = sampled = 0
    try:
        for n, frame in enumerate(_decoded(container, stream)):
            if n % step:
                continue
            rgb = reference_rgb(frame)
            pdq, quality = pdq_from_rgb(rgb)
            sampled += 1
            if prune is not None and last is not None and hamming(pdq, last) <= prune:
                continue
            last = pdq
            facts.frames.append(VideoFrame(n, frame_time(n, fps), pdq, quality))
            sheet.offer(rgb)
            if last_key is None or hamming(pdq, last_key) >= KEYFRAME_DISTANCE:
                last_key = pdq
                keys.offer(functools.partial(_keyframe, frame_time(n, fps), rgb))
    except (av.FFmpegError, ValueError, OSError, MemoryError) as exc:
        facts.error = f"decoding stopped at {n / fps:.1f} s: {one_line(exc)}"
    t, duration = n / fps, facts.meta["duration"]
    if facts.error is None and duration and t < duration - 2 * step / fps - 1:
        facts.error = f"decoding stopped at {t:.1f} s of {duration:.1f} s (truncated?)"
    facts.meta.update(frames_sampled=sampled, frames_hashed=len(facts.frames),
                      vpdq_version=VPDQ_VERSION)
    facts.thumbnail = sheet.render()
    facts.keyframes = keys.kept
