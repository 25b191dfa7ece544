"""Benign generated content for the golden vectors: gradients, rings, checkers and moving
shapes, in integer arithmetic (and a square root, which IEEE 754 rounds exactly) only, so
every machine makes exactly the same pixels (float sin/cos can differ in the last bit
between CPUs and libraries). scripts/golden_vectors.py feeds the same
pixels to Meta's tools; the tests hash them here and compare.
"""

from __future__ import annotations

from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

RGB = NDArray[np.uint8]

# name -> (width, height, seed) of the generated pictures hashed by pdq-photo-hasher
IMAGES = {"pattern-320x240": (320, 240, 1), "pattern-200x300": (200, 300, 2),
          "pattern-512x384": (512, 384, 3), "pattern-64x64": (64, 64, 4)}


def picture(width: int, height: int, seed: int, k: int = 0) -> RGB:
    """A picture of a gradient, a checkerboard and rings, with a square over it, each sized in
    proportion to the picture (a large one is the small one at a finer grain). ``k`` (a
    video's frame number) pans the background and moves the square its own way: every
    frame differs from its neighbours, yet a video of it compresses well."""
    unit = max(1, width // 320)  # pixels per step of motion
    y, x = np.mgrid[0:height, 0:width].astype(np.int64)
    x = x + k * 2 * unit  # the pan: every layer of the background moves together
    cell = max(4, width // (10 + seed))
    cx, cy = width * (2 + seed % 3) // 6, height // 2
    red = (x * 256 * (2 + seed) // width + y * 256 // height) % 256
    green = ((x // cell + y // cell) % 2) * 170 + 40
    radius = np.sqrt((x - cx) ** 2 + (y - cy) ** 2).astype(np.int64)  # IEEE: exact
    blue = (radius // max(2, width // (14 + 2 * seed)) % 2) * 200 + 30
    rgb = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    side = max(2, width // 8)
    sx = ((k * 3 + seed * 37) * unit) % max(1, width - side)
    sy = height // 5 + (k * unit) % max(1, height // 2)
    rgb[sy:sy + side, sx:sx + side] = (250, 230, 20)
    return rgb


def frames(width: int, height: int, count: int, seed: int = 0) -> Iterator[RGB]:
    for k in range(count):
        yield picture(width, height, seed, k)


# name -> how scripts/golden_vectors.py renders it (the files are committed: encoders are
# not guaranteed to produce the same bytes on every machine and version)
X264 = {"bframes": "2", "b-pyramid": "none", "b-adapt": "0", "keyint": "48", "scenecut": "0",
        "threads": "1", "crf": "28"}
VIDEOS: dict[str, dict[str, object]] = {
    "v30.mp4": {"rate": Fraction(30), "frames": 120},
    "v2997.mp4": {"rate": Fraction(30000, 1001), "frames": 119},
    # audio before video, BT.709 tags: the reference never drains its decoder here (frame
    # 100 is lost) and converts with BT.601 whatever the tags say
    "v25-audio-first-bt709.mp4": {
        "rate": Fraction(25), "frames": 101, "audio_first": True,
        "x264": "colorprim=bt709:transfer=bt709:colormatrix=bt709"},
    # VP9 yuv420p tagged full range: the reference converts it as limited range
    "v30-vp9-fullrange.webm": {"rate": Fraction(30), "frames": 60, "codec": "libvpx-vp9"},
    # full HD: the reference hashes the full frame (no 512 px copy)
    "v2997-1080p.mp4": {"rate": Fraction(30000, 1001), "frames": 59, "size": (1920, 1080)},
}
VIDEO_SIZE = (320, 240)


def golden_dir() -> Path:
    return Path(__file__).resolve().parent
