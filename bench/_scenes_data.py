"""bench/scenes.py's inputs: benign "scenes" (corpus photos), their synthetic "shots" and
distractors, generated from a seed (the same every run).

A shot of a scene is what a second photograph of the same room looks like: a viewpoint
change (a homography of a camera turned by up to 15 degrees about two axes), a crop keeping
40-80 % of the area, a scale of 0.5-1.0, gamma and colour shifts, a foreground occluder
(a cut-out of another photo, standing for the people in front) over 20-40 % of the shot,
and JPEG at quality 60-90. Each shot's occluder is its own piece of an occluder photo (the
photos are cut into disjoint tiles, one tile a shot): people in front of the camera are
never the same pixels in two rooms, whereas one cut-out pasted into shots of several scenes
is a true match of a wrong series (with shared cut-outs every false scene link measured was
one). The homography from the scene to the shot and the occluder's
rectangle are kept, so which shots contain a query region is known exactly.

Distractors are the corpus photos that are not scenes plus synthetic pictures: mosaics of
pieces of those photos over generated backgrounds (nothing of a scene photo is in them).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

HERE = Path(__file__).resolve().parent
# ../shared beside the checkout (a worktree may sit one level deeper)
PHOTOS = next((d / "shared" / "corpus" / "photos" for d in HERE.parents
               if (d / "shared" / "corpus" / "photos").is_dir()),
              HERE.parents[1] / "shared" / "corpus" / "photos")
RGB = NDArray[np.uint8]


def photos() -> list[Path]:
    if not PHOTOS.is_dir():
        raise SystemExit(f"bench/scenes.py needs the benign corpus at {PHOTOS}")
    return sorted(PHOTOS.glob("*.JPEG"))


def load(path: Path) -> RGB:
    return np.asarray(Image.open(path).convert("RGB"))


def split(paths: list[Path], scenes: int) -> tuple[list[Path], list[Path]]:
    """Every third photo is a scene (up to ``scenes``); the rest are distractors/occluders."""
    chosen = paths[::3][:scenes]
    keep = set(chosen)
    return chosen, [p for p in paths if p not in keep]


@dataclass(frozen=True, slots=True)
class Shot:
    scene: int
    homography: NDArray[np.float64]  # scene pixels -> shot pixels
    size: tuple[int, int]  # shot width, height
    occluder: tuple[int, int, int, int]  # x, y, w, h in shot pixels
    jpeg: bytes


def _camera_turn(w: int, h: int, rng: np.random.Generator) -> NDArray[np.float64]:
    """K R K^-1 for a camera turned by up to 15 degrees (yaw, pitch) and 5 (roll)."""
    f = float(max(w, h))
    k = np.array([[f, 0, w / 2], [0, f, h / 2], [0, 0, 1]])
    yaw, pitch = np.radians(rng.uniform(-15, 15, 2))
    roll = math.radians(rng.uniform(-5, 5))
    ry = np.array([[math.cos(yaw), 0, math.sin(yaw)], [0, 1, 0],
                   [-math.sin(yaw), 0, math.cos(yaw)]])
    rx = np.array([[1, 0, 0], [0, math.cos(pitch), -math.sin(pitch)],
                   [0, math.sin(pitch), math.cos(pitch)]])
    rz = np.array([[math.cos(roll), -math.sin(roll), 0], [math.sin(roll), math.cos(roll), 0],
                   [0, 0, 1]])
    m: NDArray[np.float64] = k @ (rz @ rx @ ry) @ np.linalg.inv(k)
    return m


def make_shot(scene_id: int, scene: RGB, occluder_src: RGB, seed: int) -> Shot:
    rng = np.random.default_rng(seed)
    h, w = scene.shape[:2]
    turn = _camera_turn(w, h, rng)
    corners = cv2.perspectiveTransform(
        np.array([[[0, 0], [w, 0], [w, h], [0, h]]], np.float64), turn)[0]
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    # crop: 40-80 % of the (inner) area, inside the warped picture's bounding box
    keep = rng.uniform(0.4, 0.8)
    aspect = rng.uniform(0.75, 1.33)
    inner_w, inner_h = (x1 - x0) * 0.9, (y1 - y0) * 0.9
    cw = min(inner_w, math.sqrt(keep * inner_w * inner_h * aspect))
    ch = min(inner_h, keep * inner_w * inner_h / cw)
    cx = x0 + 0.05 * (x1 - x0) + rng.uniform(0, max(0.0, inner_w - cw))
    cy = y0 + 0.05 * (y1 - y0) + rng.uniform(0, max(0.0, inner_h - ch))
    scale = rng.uniform(0.5, 1.0)
    out_w, out_h = max(32, round(cw * scale)), max(32, round(ch * scale))
    crop = np.array([[scale, 0, -cx * scale], [0, scale, -cy * scale], [0, 0, 1]])
    homography = crop @ turn
    shot = cv2.warpPerspective(scene, homography, (out_w, out_h), flags=cv2.INTER_AREA,
                               borderMode=cv2.BORDER_REFLECT)
    # gamma and colour
    gamma = rng.uniform(0.7, 1.4)
    gains = rng.uniform(0.85, 1.15, 3)
    shot = np.clip(255 * (shot / 255.0) ** gamma * gains, 0, 255).astype(np.uint8)
    # occluder: a piece of another photo over 20-40 % of the shot
    share = rng.uniform(0.2, 0.4)
    ow = round(min(out_w, math.sqrt(share * out_w * out_h * rng.uniform(0.6, 1.6))))
    oh = round(min(out_h, share * out_w * out_h / max(ow, 1)))
    ox, oy = int(rng.integers(0, out_w - ow + 1)), int(rng.integers(0, out_h - oh + 1))
    piece = cv2.resize(occluder_src, (max(1, ow), max(1, oh)), interpolation=cv2.INTER_AREA)
    shot[oy:oy + oh, ox:ox + ow] = piece[:oh, :ow]
    buf = io.BytesIO()
    Image.fromarray(shot).save(buf, "JPEG", quality=int(rng.integers(60, 91)))
    return Shot(scene_id, homography, (out_w, out_h), (ox, oy, ow, oh), buf.getvalue())


def tiles(photos: list[RGB], count: int, rng: np.random.Generator) -> list[RGB]:
    """``count`` disjoint pieces of ``photos`` (each cut into k x k tiles, k as small as
    gives enough), shuffled: one occluder a shot, no two shots sharing pixels."""
    k = 1
    while k * k * len(photos) < count:
        k += 1
    out = []
    for rgb in photos:
        h, w = rgb.shape[:2]
        for i in range(k):
            for j in range(k):
                out.append(rgb[i * h // k:(i + 1) * h // k, j * w // k:(j + 1) * w // k])
    order = rng.permutation(len(out))[:count]
    return [out[i] for i in order]


def decode(jpeg: bytes) -> RGB:
    return np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))


def synthetic(seed: int, pieces: list[RGB]) -> RGB:
    """A distractor: a generated background (gradient, noise, shapes) with 2-4 pieces of
    non-scene photos pasted on it."""
    rng = np.random.default_rng(seed)
    w, h = int(rng.integers(320, 640)), int(rng.integers(240, 480))
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    base = rng.uniform(0, 255, 3).astype(np.float32)
    slope = rng.uniform(-0.3, 0.3, (2, 3)).astype(np.float32)
    img = base + xx[..., None] * slope[0] + yy[..., None] * slope[1]
    grain = rng.normal(0, rng.uniform(2, 12), (h // 4 + 1, w // 4 + 1)).astype(np.float32)
    img += cv2.resize(grain, (w, h), interpolation=cv2.INTER_NEAREST)[..., None]
    canvas = np.clip(img, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(3, 12))):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        p = rng.integers(0, [w, h, w, h])
        if rng.random() < 0.5:
            cv2.rectangle(canvas, (int(p[0]), int(p[1])), (int(p[2]), int(p[3])), colour, -1)
        else:
            cv2.circle(canvas, (int(p[0]), int(p[1])), int(rng.integers(5, 80)), colour, -1)
    for _ in range(int(rng.integers(2, 5))):
        src = pieces[int(rng.integers(len(pieces)))]
        sh, sw = src.shape[:2]
        pw, ph = int(rng.integers(sw // 4, sw // 2 + 1)), int(rng.integers(sh // 4, sh // 2 + 1))
        sx, sy = int(rng.integers(0, sw - pw + 1)), int(rng.integers(0, sh - ph + 1))
        f = rng.uniform(0.5, 1.2)
        piece = cv2.resize(src[sy:sy + ph, sx:sx + pw], (max(1, int(pw * f)), max(1, int(ph * f))))
        piece = piece[:h, :w]
        dx, dy = int(rng.integers(0, w - piece.shape[1] + 1)), \
            int(rng.integers(0, h - piece.shape[0] + 1))
        canvas[dy:dy + piece.shape[0], dx:dx + piece.shape[1]] = piece
    return canvas
