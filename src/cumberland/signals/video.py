"""Video facts and vPDQ-compatible frame hashes from one decode pass (PyAV).

vPDQ samples a frame per interval (1 fps by default), PDQ-hashes it with its quality and
timestamp, and prunes consecutive near-identical frames. Every frame must still be decoded
(inter-coded video), so the savings are elsewhere: the decoder skips non-reference frames
(nothing depends on them, and a sample lands at most a frame or two later), only the sampled
frames are converted to RGB, and the conversion scales them straight down to
``Settings.pdq_draft_min_side`` (PDQ works on a 64x64 reduction anyway). bench/video.py
measures this against decoding and hashing every frame at full resolution.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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


class _Sheet:
    """Evenly spread tiles over a video of unknown length: keep every ``stride``-th offered
    frame, halving the kept set and doubling the stride whenever it fills up."""

    def __init__(self, tile: int) -> None:
        self.tile, self.stride, self.seen = tile, 1, 0
        self.kept: list[Image.Image] = []

    def offer(self, rgb: NDArray[np.uint8]) -> None:
        if self.seen % self.stride == 0:
            small = Image.fromarray(rgb)
            small.thumbnail((self.tile, self.tile))
            self.kept.append(small)
            if len(self.kept) >= _RESERVOIR:
                self.kept, self.stride = self.kept[::2], self.stride * 2
        self.seen += 1

    def render(self) -> bytes | None:
        if not self.kept:
            return None
        step = max(1, len(self.kept) / SHEET_TILES)
        tiles = [self.kept[int(i * step)] for i in range(min(SHEET_TILES, len(self.kept)))]
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


def _scaled(width: int, height: int, min_side: int) -> tuple[int, int]:
    short = min(width, height)
    if min_side <= 0 or short < 2 * min_side:
        return width, height
    return max(1, round(width * min_side / short)), max(1, round(height * min_side / short))


def _meta(container: Any, stream: Any) -> dict[str, Any]:
    cc = stream.codec_context
    duration = None
    if stream.duration is not None and stream.time_base is not None:
        duration = float(stream.duration * stream.time_base)
    elif container.duration:
        duration = container.duration / 1_000_000
    rate = stream.average_rate or stream.guessed_rate
    return {
        "container": container.format.name,
        "codec": cc.name,
        "duration": round(duration, 3) if duration else None,
        "fps": round(float(rate), 3) if rate else None,
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
        cc.thread_count = threads
        cc.skip_frame = "NONREF"
        _hash_frames(container, stream, settings, facts)
    return facts


def _hash_frames(container: Any, stream: Any, settings: Settings, facts: VideoFacts) -> None:
    interval = max(settings.video_frame_interval_ms, 1) / 1000
    fps = facts.meta["fps"]
    sheet = _Sheet(max(16, settings.thumb_size // 2))
    next_t = -math.inf
    last: bytes | None = None
    sampled, t = 0, 0.0
    try:
        for n, frame in enumerate(container.decode(stream)):
            t = float(frame.time) if frame.time is not None else n / (fps or 25)
            if t < next_t - 1e-6:
                continue
            next_t = (math.floor(t / interval + 1e-6) + 1) * interval
            w, h = _scaled(frame.width, frame.height, settings.pdq_draft_min_side)
            rgb = frame.to_ndarray(width=w, height=h, format="rgb24")
            pdq, quality = pdq_from_rgb(rgb)
            sampled += 1
            if last is not None and hamming(pdq, last) <= settings.video_prune_distance:
                continue
            last = pdq
            idx = round(t * fps) if fps else n
            facts.frames.append(VideoFrame(idx, round(t, 3), pdq, quality))
            sheet.offer(rgb)
    except (av.FFmpegError, ValueError, OSError, MemoryError) as exc:
        facts.error = f"decoding stopped at {t:.1f} s: {one_line(exc)}"
    duration = facts.meta["duration"]
    if facts.error is None and duration and t < duration - 2 * interval - 1:
        facts.error = f"decoding stopped at {t:.1f} s of {duration:.1f} s (truncated?)"
    facts.meta.update(frames_sampled=sampled, frames_hashed=len(facts.frames))
    facts.thumbnail = sheet.render()
