"""Local features: ORB keypoints and descriptors per picture (and per video keyframe), the
input of region search and of the scene links between media (matching/scenes.py).

Why ORB, and why 1,000 keypoints: bench/scenes.py measures ORB with 500, 1,000 and 2,000
keypoints beside SIFT and RootSIFT on the same shots (docs/benchmarks.md). RootSIFT finds
the most, at ~15x ORB's CPU per picture, 4x the bytes per keypoint and a float vocabulary
the binary index does not have; at ingest, over a whole seized device, ORB is the one that
fits. 1,000 ORB keypoints (version 2; version 1 kept 500) verified a third more of the
shot pairs of one scene than 500, for 1.3x the CPU and twice the bytes.

What is kept per picture: at most ``MAX_KEYPOINTS`` keypoints of a grey copy whose longer
side is at most ``FEATURE_SIDE``, chosen over a grid so that every part of the picture has
some (a region query on a plain wall still finds the keypoints of the bedspread beside it),
strongest first within each cell. Each keypoint is 38 bytes: its position (two uint16 in
1/8 pixel of the media), its 256-bit descriptor, and (since version 3) its orientation and
size as one byte each (``ANGLE_STEPS`` a turn; ``SCALE_STEPS`` an octave of size in the
media's pixels). That is ~38 KB per picture, stored base64 in the signal's row (51 KB).
Orientation and size are what weak geometric consistency needs (index/scenes.py): the
keypoints of one scene seen twice turn and grow together, chance matches do not.

A picture with fewer than ``MIN_KEYPOINTS`` (flat fills, tiny thumbnails) is recorded as
such (``too_few``) with a reason, never silently left out of the index.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from cumberland.records import Output
from cumberland.signals.base import Consumes, Inputs, Signal
from cumberland.signals.pdq import shrink

NAME = "local-features"
VERSION = 3  # 3: orientation and size a keypoint (2: 1,000 keypoints; 1: 500)
FEATURE_SIDE = 640
MAX_KEYPOINTS = 1000
MIN_KEYPOINTS = 25
DETECTED = 2000  # detected before the grid keeps MAX_KEYPOINTS of them
GRID = 6
FAST_THRESHOLD = 10  # lower than ORB's 20: plain surfaces (walls, bedding) still get points
POINT_SCALE = 8  # positions in 1/8 pixel
ANGLE_STEPS = 256  # orientation: one byte a turn
SCALE_STEPS = 16  # size: log2 of the keypoint's diameter in media pixels, 1/16 octave
QUERY_MIN_SIDE = 480  # a query region is enlarged to this before detection


@dataclass(frozen=True, slots=True)
class Keypoints:
    """Keypoints of one picture: positions in the media's own pixels, strongest first."""

    points: NDArray[np.float32]  # (n, 2) x, y in the media's pixel coordinates
    descriptors: NDArray[np.uint8]  # (n, 32)
    # (n, 2) orientation (ANGLE_STEPS a turn) and log size (SCALE_STEPS an octave); None
    # where unknown (keypoints of another detector, measured by the bench)
    shape: NDArray[np.uint8] | None = None

    def __len__(self) -> int:
        return len(self.descriptors)

    @classmethod
    def empty(cls) -> Keypoints:
        return cls(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8),
                   np.zeros((0, 2), np.uint8))

    def take(self, rows: NDArray[np.bool_] | NDArray[np.intp]) -> Keypoints:
        """These keypoints at ``rows`` (a mask or indices)."""
        return Keypoints(self.points[rows], self.descriptors[rows],
                         None if self.shape is None else self.shape[rows])

    def scaled(self, factor: float, offset: tuple[float, float] = (0.0, 0.0)) -> Keypoints:
        """Positions (and sizes) in pixels ``factor`` times as large, then moved by
        ``offset``: keypoints of a smaller copy or of a crop, in the whole picture's pixels."""
        points = (self.points * np.float32(factor) + np.asarray(offset, np.float32))
        shape = None
        if self.shape is not None:
            shape = self.shape.copy()
            grown = shape[:, 1].astype(np.float64) + SCALE_STEPS * np.log2(factor)
            shape[:, 1] = np.clip(np.rint(grown), 0, 255).astype(np.uint8)
        return Keypoints(points.astype(np.float32), self.descriptors, shape)


def _grey(rgb: NDArray[np.uint8], side: int) -> tuple[NDArray[np.uint8], float]:
    """A grey copy at most ``side`` on its longer side, and the factor back to ``rgb``."""
    small = shrink(rgb, side) if rgb.ndim == 3 else rgb
    grey = cv2.cvtColor(np.ascontiguousarray(small), cv2.COLOR_RGB2GRAY) \
        if small.ndim == 3 else np.ascontiguousarray(small)
    return np.asarray(grey, np.uint8), rgb.shape[1] / max(1, grey.shape[1])


def _spread(points: NDArray[np.float32], response: NDArray[np.float32], shape: tuple[int, int],
            keep: int) -> NDArray[np.intp]:
    """Indices of at most ``keep`` keypoints, the strongest of each grid cell taken in turns
    (round robin over cells by rank), so texture-rich corners cannot take them all."""
    h, w = shape
    cell = (np.minimum(points[:, 1] * GRID // max(h, 1), GRID - 1) * GRID
            + np.minimum(points[:, 0] * GRID // max(w, 1), GRID - 1)).astype(np.int64)
    order = np.lexsort((-response, cell))  # by cell, strongest first within a cell
    sorted_cells = cell[order]
    starts = np.searchsorted(sorted_cells, sorted_cells, side="left")
    rank = np.arange(len(order)) - starts
    chosen = order[np.lexsort((-response[order], rank))][:keep]
    return chosen[np.argsort(-response[chosen], kind="stable")]


def detect(rgb: NDArray[np.uint8], max_keypoints: int = MAX_KEYPOINTS,
           side: int = FEATURE_SIDE, min_side: int = FEATURE_SIDE) -> Keypoints:
    """ORB keypoints of ``rgb`` (positions in its own pixels), spread over the picture.

    A picture whose longer side is under ``min_side`` is enlarged to it first: ORB's
    finest corners are 15 pixels across, and on a 300-pixel thumbnail (or a small query
    region) the bench found a third fewer region matches without it."""
    if rgb.size == 0:
        return Keypoints.empty()
    grey, back = _grey(rgb, side)
    longer = max(grey.shape)
    if min_side and longer < min_side:
        up = min_side / longer
        grey = np.asarray(cv2.resize(grey, (round(grey.shape[1] * up),
                                            round(grey.shape[0] * up)),
                                     interpolation=cv2.INTER_LINEAR), np.uint8)
        back /= up
    orb = cv2.ORB_create(nfeatures=max(DETECTED, 2 * max_keypoints),  # type: ignore[attr-defined]
                         fastThreshold=FAST_THRESHOLD, edgeThreshold=15, patchSize=15)
    found, descriptors = orb.detectAndCompute(grey, None)
    if descriptors is None or not found:
        return Keypoints.empty()
    points = np.asarray([k.pt for k in found], dtype=np.float32)
    response = np.asarray([k.response for k in found], dtype=np.float32)
    chosen = _spread(points, response, grey.shape[:2], max_keypoints)
    angle = np.asarray([found[i].angle for i in chosen], np.float64)
    size = np.asarray([found[i].size for i in chosen], np.float64)
    shape = np.stack([np.rint(angle * ANGLE_STEPS / 360) % ANGLE_STEPS,
                      np.clip(np.rint(SCALE_STEPS * np.log2(np.maximum(size, 1))), 0, 255)],
                     axis=1).astype(np.uint8)
    kp = Keypoints(points[chosen], np.ascontiguousarray(descriptors[chosen], dtype=np.uint8),
                   shape)
    return kp.scaled(back)


def pack(kp: Keypoints) -> dict[str, Any]:
    """The JSON form: positions as uint16 in 1/8 pixel, descriptors as they are, orientation
    and size a byte each."""
    coords = np.clip(np.rint(kp.points * POINT_SCALE), 0, 65535).astype("<u2")
    out = {"n": len(kp), "xy": base64.b64encode(coords.tobytes()).decode("ascii"),
           "d": base64.b64encode(kp.descriptors.tobytes()).decode("ascii")}
    if kp.shape is not None:
        out["as"] = base64.b64encode(np.ascontiguousarray(kp.shape).tobytes()).decode("ascii")
    return out


def unpack(data: dict[str, Any]) -> Keypoints:
    """``pack``'s inverse; an entry without keypoints (too few, an error) is empty."""
    n = int(data.get("n") or 0)
    if not n or "d" not in data:
        return Keypoints.empty()
    coords = np.frombuffer(base64.b64decode(data["xy"]), "<u2").reshape(n, 2)
    desc = np.frombuffer(base64.b64decode(data["d"]), np.uint8).reshape(n, 32)
    shape = np.frombuffer(base64.b64decode(data["as"]), np.uint8).reshape(n, 2) \
        if "as" in data else None
    return Keypoints((coords / POINT_SCALE).astype(np.float32), desc, shape)


def _entry(kp: Keypoints, width: int, height: int) -> tuple[dict[str, Any], list[str]]:
    if len(kp) < MIN_KEYPOINTS:
        return ({"n": len(kp), "too_few": True, "size": [width, height]},
                [f"only {len(kp)} keypoints (flat picture or tiny thumbnail): "
                 "not searchable by region"])
    return {**pack(kp), "size": [width, height]}, []


def _image(inputs: Inputs) -> Output:
    decoded = inputs.decoded()
    facts = decoded.facts
    kp = detect(decoded.rgb)
    # positions in the media's own pixels, whatever scale the decode was drafted at
    w = decoded.rgb.shape[1]
    if w and facts.width != w:
        kp = kp.scaled(facts.width / w)
    data, reasons = _entry(kp, facts.width, facts.height)
    return Output(data=data, reasons=reasons)


def _video(inputs: Inputs) -> Output | None:
    facts = inputs.video()
    frames = []
    for ts, rgb in facts.keyframes:
        kp = detect(rgb)
        # positions and size in the video's own pixels, not the keyframe copy's
        width, height = facts.width or rgb.shape[1], facts.height or rgb.shape[0]
        kp = kp.scaled(width / rgb.shape[1])
        data, _ = _entry(kp, width, height)
        frames.append({**data, "t": round(ts, 3)})
    searchable = sum(1 for f in frames if not f.get("too_few"))
    reasons = [] if searchable else [
        f"no keyframe with {MIN_KEYPOINTS} keypoints among {len(frames)}: "
        "not searchable by region"]
    return Output(data={"frames": frames, "n": sum(int(f["n"]) for f in frames)},
                  reasons=reasons)


def entries(data: dict[str, Any]) -> list[tuple[float | None, Keypoints]]:
    """The searchable pictures of one signal row: (keyframe time or None, keypoints)."""
    if "frames" in data:
        return [(float(f["t"]), unpack(f)) for f in data["frames"] if not f.get("too_few")]
    if data.get("too_few") or "error" in data:
        return []
    return [(None, unpack(data))]


def _compute(inputs: Inputs) -> Output | None:
    return _video(inputs) if inputs.kind == "video" else _image(inputs)


SIGNAL = Signal.define(
    NAME, VERSION, ["image", "video"], [Consumes.PIXELS, Consumes.FRAMES], _compute,
    f"ORB keypoints, descriptors, orientations and sizes (at most {MAX_KEYPOINTS} a picture "
    "or video keyframe, ~38 KB): region search, scene links")
