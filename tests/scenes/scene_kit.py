"""Benign test pictures for region search: generated "rooms" of shapes and textures, and
second shots of them (a camera turned a little, cropped, rescaled, recompressed)."""

from __future__ import annotations

import io
from pathlib import Path

import av
import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

RGB = NDArray[np.uint8]


def _noise(rng: np.random.Generator, w: int, h: int) -> NDArray[np.float64]:
    """Noise at several scales (like a textured wall or fabric), -1..1."""
    out = np.zeros((h, w, 3))
    for cells in (4, 12, 40, 120):
        small = rng.uniform(-1, 1, (cells * h // w + 1, cells, 3)).astype(np.float32)
        out += cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC) / 2
    return out


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> RGB:
    """Textured shapes (rectangles, circles, polygons) over textured ground."""
    rng = np.random.default_rng(seed)
    w, h = size
    img = np.clip(128 + 60 * _noise(rng, w, h), 0, 255).astype(np.uint8)
    for _ in range(40):
        mask = np.zeros((h, w), np.uint8)
        kind = rng.integers(0, 3)
        x, y = int(rng.integers(0, w)), int(rng.integers(0, h))
        if kind == 0:
            cv2.rectangle(mask, (x, y), (x + int(rng.integers(20, 120)),
                                         y + int(rng.integers(20, 120))), 255, -1)
        elif kind == 1:
            cv2.circle(mask, (x, y), int(rng.integers(10, 50)), 255, -1)
        else:
            pts = rng.integers(-60, 60, (5, 2)) + np.array([x, y])
            cv2.fillPoly(mask, [pts.astype(np.int32)], 255)
        colour = rng.uniform(30, 225, 3)
        fill = np.clip(colour + 50 * _noise(rng, w, h), 0, 255).astype(np.uint8)
        img[mask > 0] = fill[mask > 0]
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    for _ in range(70):  # printed patterns (labels, posters, packaging): sharp corners
        text = "".join(rng.choice(list(letters), int(rng.integers(2, 6))))
        cv2.putText(img, text, (int(rng.integers(-20, w)), int(rng.integers(10, h + 10))),
                    int(rng.choice([0, 2, 3, 4])), float(rng.uniform(0.5, 1.6)),
                    tuple(int(c) for c in rng.integers(0, 256, 3)), int(rng.integers(1, 4)))
    return img


def warp(rgb: RGB, seed: int, angle: float = 12.0) -> tuple[RGB, NDArray[np.float64]]:
    """A second shot: the camera turned by ``angle`` degrees, the picture rescaled. Returns
    the shot and the homography from the scene's pixels to the shot's."""
    rng = np.random.default_rng(seed)
    h, w = rgb.shape[:2]
    f = float(max(w, h))
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    yaw = np.radians(angle * rng.choice([-1, 1]))
    r = np.array([[np.cos(yaw), 0, np.sin(yaw)], [0, 1, 0], [-np.sin(yaw), 0, np.cos(yaw)]])
    scale = rng.uniform(0.7, 0.9)
    s = np.diag([scale, scale, 1.0])
    m = k @ r @ np.linalg.inv(k)
    c = m @ np.array([w / 2, h / 2, 1.0])
    back = np.array([[1, 0, w / 2 - c[0] / c[2]], [0, 1, h / 2 - c[1] / c[2]], [0, 0, 1]])
    m = s @ back @ m  # the scene's centre stays the shot's centre
    shot = cv2.warpPerspective(rgb, m, (round(w * scale), round(h * scale)),
                               borderMode=cv2.BORDER_REFLECT)
    return np.asarray(shot, np.uint8), m


def jpeg(rgb: RGB, quality: int = 85) -> bytes:
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=quality)
    return out.getvalue()


def flat(colour: tuple[int, int, int] = (90, 120, 150), size: tuple[int, int] = (320, 240)) \
        -> bytes:
    """A flat fill: too few keypoints to search."""
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def video(path: Path, rgb: RGB, seconds: int = 3, fps: int = 8,
          size: tuple[int, int] = (320, 240)) -> Path:
    """A short H.264 video of ``rgb`` shrunk to ``size``, panning slowly."""
    w, h = size
    small = cv2.resize(rgb, (w + 32, h + 24), interpolation=cv2.INTER_AREA)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for k in range(fps * seconds):
            frame = np.ascontiguousarray(small[12:12 + h, k % 32:k % 32 + w])
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _dms(value: float) -> tuple[float, float, float]:
    value = abs(value)
    d = int(value)
    m = int((value - d) * 60)
    return float(d), float(m), round((value - d - m / 60) * 3600, 4)


def with_exif(rgb: RGB, make: str | None = None, model: str | None = None,
              taken: str | None = None, serial: str | None = None,
              gps: tuple[float, float] | None = None) -> bytes:
    """A JPEG with camera EXIF (make, model, DateTimeOriginal, body serial, GPS)."""
    exif = Image.Exif()
    if gps:
        where = exif.get_ifd(0x8825)
        where[1], where[2] = ("N" if gps[0] >= 0 else "S"), _dms(gps[0])
        where[3], where[4] = ("E" if gps[1] >= 0 else "W"), _dms(gps[1])
    if make:
        exif[0x010F] = make
    if model:
        exif[0x0110] = model
    sub = exif.get_ifd(0x8769)
    if taken:
        sub[0x9003] = taken
    if serial:
        sub[0xA431] = serial
    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "JPEG", quality=85, exif=exif.tobytes())
    return out.getvalue()
