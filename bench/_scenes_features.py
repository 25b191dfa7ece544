"""bench/scenes.py's feature comparison: ORB at several keypoint counts (the product's
detector), SIFT and RootSIFT (OpenCV), AKAZE (OpenCV contrib), each detected like the
product detects ORB (a grey copy at most 640 px, small pictures enlarged, keypoints spread
over a grid) and verified by the product's geometry (matching/geometry.py takes float
descriptors too).

AKAZE is no longer in opencv-python-headless 5 (it moved to the contrib build, whose ``cv2``
cannot sit beside it in one environment): it is measured when ``--akaze-path`` names a folder
holding ``opencv-contrib-python-headless`` (``pip install --target DIR --no-deps
opencv-contrib-python-headless==5.0.0.93``), in a child process that imports that ``cv2``.

    (child) python _scenes_features.py IN.pkl OUT.pkl
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
# bench/platform.py would shadow the standard library's (faiss imports it): off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402

from cumberland.signals.local_features import (  # noqa: E402
    FEATURE_SIDE,
    Keypoints,
    _grey,
    _spread,
    detect,
)

RGB = NDArray[np.uint8]
Detector = Callable[[RGB, int], Keypoints]
BYTES_PER_KEYPOINT = {"orb": 36, "sift": 132, "rootsift": 132, "akaze": 65}  # + 4 B position


def _prepared(rgb: RGB, min_side: int) -> tuple[NDArray[np.uint8], float]:
    grey, back = _grey(rgb, FEATURE_SIDE)
    longer = max(grey.shape)
    if min_side and longer < min_side:
        up = min_side / longer
        grey = np.asarray(cv2.resize(grey, (round(grey.shape[1] * up), round(grey.shape[0] * up)),
                                     interpolation=cv2.INTER_LINEAR), np.uint8)
        back /= up
    return grey, back


def _detected(detector: object, rgb: RGB, keep: int, min_side: int) -> Keypoints:
    grey, back = _prepared(rgb, min_side)
    found, desc = detector.detectAndCompute(grey, None)  # type: ignore[attr-defined]
    if desc is None or not found:
        return Keypoints(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    points = np.asarray([k.pt for k in found], np.float32)
    response = np.asarray([k.response for k in found], np.float32)
    chosen = _spread(points, response, grey.shape[:2], keep)
    return Keypoints(points[chosen] * np.float32(back), np.ascontiguousarray(desc[chosen]))


def orb(count: int) -> Detector:
    return lambda rgb, min_side: detect(rgb, max_keypoints=count, min_side=min_side)


def sift(count: int) -> Detector:
    def run(rgb: RGB, min_side: int) -> Keypoints:
        kp = _detected(cv2.SIFT_create(nfeatures=2 * count, contrastThreshold=0.02),  # type: ignore[attr-defined]
                       rgb, count, min_side)
        return Keypoints(kp.points, np.ascontiguousarray(kp.descriptors, np.float32))
    return run


def rooted(kp: Keypoints) -> Keypoints:
    """RootSIFT (Arandjelovic & Zisserman): each SIFT descriptor L1-normalised, square root
    (Euclidean distance then compares them as the Hellinger kernel would)."""
    d = kp.descriptors.astype(np.float32)
    d = np.sqrt(d / np.maximum(d.sum(axis=1, keepdims=True), 1e-7))
    return Keypoints(kp.points, np.ascontiguousarray(d, np.float32))


def timed(detector: Detector, pictures: list[RGB], min_side: int) -> tuple[list[Keypoints],
                                                                             float]:
    t = time.process_time()
    out = [detector(rgb, min_side) for rgb in pictures]
    return out, 1000 * (time.process_time() - t) / max(1, len(pictures))


def akaze(path: Path, count: int, pictures: list[RGB], crops: list[RGB], query_side: int) -> \
        tuple[list[Keypoints], list[Keypoints], float]:
    """AKAZE keypoints of ``pictures`` and of the query ``crops``, in a child process whose
    ``cv2`` is the contrib build at ``path``."""
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = Path(tmp) / "in.pkl", Path(tmp) / "out.pkl"
        src.write_bytes(pickle.dumps((count, pictures, crops, query_side)))
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(path), str(HERE.parent / "src")])}
        subprocess.run([sys.executable, __file__, str(src), str(dst)], check=True, env=env)
        result: tuple[list[Keypoints], list[Keypoints], float] = pickle.loads(dst.read_bytes())
        return result


def _child(src: Path, dst: Path) -> None:
    count, pictures, crops, query_side = pickle.loads(src.read_bytes())
    cv2.setNumThreads(1)
    make = cv2.xfeatures2d.AKAZE_create  # type: ignore[attr-defined]
    t = time.process_time()
    found = [_detected(make(threshold=0.0005), rgb, count, FEATURE_SIDE) for rgb in pictures]
    ms = 1000 * (time.process_time() - t) / max(1, len(pictures))
    queries = [_detected(make(threshold=0.0005), rgb, count, query_side) for rgb in crops]
    dst.write_bytes(pickle.dumps((found, queries, ms)))


if __name__ == "__main__":
    _child(Path(sys.argv[1]), Path(sys.argv[2]))
