"""Geometric verification of a region (or a whole picture) against a candidate picture:
ratio-tested ORB matches, a RANSAC homography, and the region's outline in the candidate.

The bag of visual words (index/scenes.py) only nominates: two pictures of the same wallpaper
pattern or of one brand of bedspread share words. A verified match needs ``MIN_INLIERS``
correspondences that one plane-to-plane mapping explains, a mapping that neither folds the
region onto a line nor blows it up, inliers spread over the region (not one logo), and an
outline that is a convex quadrilateral. RANSAC runs in units of the feature copies (at most
640 px), so its 5-pixel tolerance means the same for a thumbnail and a 12 MP photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import faiss
import numpy as np
from numpy.typing import NDArray

from cumberland.index.scenes import one_thread
from cumberland.signals.local_features import FEATURE_SIDE, Keypoints

RATIO = 0.8
MIN_MATCHES = 10
MIN_INLIERS = 12
REPROJECTION = 5.0  # pixels of a FEATURE_SIDE copy
AFFINE_ITERATIONS = 600
WHOLE_ITERATIONS = 5000  # MAGSAC++ stops early once confident: the cap is for hopeless pairs
MIN_SPREAD = 0.2  # inliers span this share of the region, each axis
MAX_AREA_CHANGE = 30.0  # the outline's area against the region's (either way), after units


@dataclass(frozen=True, slots=True)
class Verified:
    """A candidate that passed: inliers and the query region's outline in its pixels."""

    inliers: int
    outline: list[tuple[float, float]]  # 4 corners, clockwise from the region's top left


def matches(query: NDArray[np.uint8], cand: NDArray[np.uint8]) -> \
        tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Ratio-tested nearest neighbours (query row, candidate row), in one faiss search:
    cv2's matcher builds a Python object per pair, which cost 3x the distances. Binary
    descriptors (ORB's bytes) by Hamming distance, float ones (SIFT, measured by
    bench/scenes.py) by Euclidean distance."""
    binary = cand.dtype == np.uint8
    index = faiss.IndexBinaryFlat(8 * cand.shape[1]) if binary else \
        faiss.IndexFlatL2(cand.shape[1])
    index.add(np.ascontiguousarray(cand))
    with one_thread():
        dist, rows = index.search(np.ascontiguousarray(query), 2)
    if not binary:
        dist = np.sqrt(np.maximum(dist, 0))  # faiss gives squared distances
    good = (rows[:, 1] >= 0) & (dist[:, 0] < RATIO * dist[:, 1])
    return np.flatnonzero(good), rows[good, 0].astype(np.intp)


def _unit(size: tuple[int, int]) -> float:
    return max(1.0, max(size) / FEATURE_SIDE)


def verify(query: Keypoints, region: tuple[float, float, float, float],
           query_size: tuple[int, int], cand: Keypoints,
           cand_size: tuple[int, int], whole: bool = False) -> Verified | None:
    """Whether ``cand`` shows what ``query`` (keypoints inside ``region`` = x, y, w, h, in
    pixels of a picture of ``query_size``) shows, and where. ``whole``: two whole pictures
    (a scene link), whose overlap may be a small part of each: the homography is searched
    among every match at once (``_whole``)."""
    if len(query) < MIN_MATCHES or len(cand) < MIN_MATCHES:
        return None
    qi, ci = matches(query.descriptors, cand.descriptors)
    if len(qi) < MIN_MATCHES:
        return None
    qu, cu = _unit(query_size), _unit(cand_size)
    src = query.points[qi] / np.float32(qu)
    dst = cand.points[ci] / np.float32(cu)
    homography = _whole(src, dst) if whole else _affine_first(src, dst)
    if homography is None:
        return None
    projected = cv2.perspectiveTransform(src[None].astype(np.float64), homography)[0]
    keep = np.linalg.norm(projected - dst, axis=1) < REPROJECTION
    # one corner found at several pyramid levels is one piece of evidence, not several
    inliers = min(_distinct(src[keep]), _distinct(dst[keep]))
    if inliers < MIN_INLIERS:
        return None
    x, y, w, h = (v / qu for v in region)
    if np.any(np.ptp(src[keep], axis=0) < MIN_SPREAD * np.array([w, h])):
        return None  # a logo or a caption on a strip of the region
    corners = np.array([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]], np.float64)
    mapped = cv2.perspectiveTransform(corners, homography)[0]
    if not _plausible(mapped, w * h):
        return None
    return Verified(inliers, [(float(px * cu), float(py * cu)) for px, py in mapped])


def _affine_first(src: NDArray[np.float32], dst: NDArray[np.float32]) -> \
        NDArray[np.float64] | None:
    """An affine fit first (3-point samples: a few hundred tries where a homography's
    4-point samples need thousands among mostly wrong matches), then the homography through
    its inliers, scored on every match."""
    affine, amask = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC,
                                         ransacReprojThreshold=2 * REPROJECTION,
                                         maxIters=AFFINE_ITERATIONS, confidence=0.995)
    if affine is None or amask is None or int(amask.sum()) < MIN_INLIERS:
        return None
    first = amask.ravel().astype(bool)
    homography, _ = cv2.findHomography(src[first], dst[first], cv2.RANSAC, REPROJECTION)
    return None if homography is None else np.asarray(homography, np.float64)


def _whole(src: NDArray[np.float32], dst: NDArray[np.float32]) -> NDArray[np.float64] | None:
    """The homography by MAGSAC++ (OpenCV's USAC) over every match: two shots of one room
    from two viewpoints differ by more perspective than an affine fit's tolerance holds
    over their overlap, and the affine-first search lost some of the same-scene pairs
    (bench/scenes.py's shots, 1,200 same-scene pairs: 57 % verified affine first, 62 % so;
    none of 3,000 nominated pairs of different scenes passing either way; the same cost)."""
    homography, _ = cv2.findHomography(src, dst, cv2.USAC_MAGSAC, REPROJECTION,
                                       maxIters=WHOLE_ITERATIONS, confidence=0.995)
    return None if homography is None else np.asarray(homography, np.float64)


def _distinct(points: NDArray[np.float32]) -> int:
    return len(np.unique(np.rint(points / 2).astype(np.int64), axis=0))


def _plausible(quad: NDArray[np.float64], area: float) -> bool:
    """A convex quadrilateral, same orientation as the region, of a sane size."""
    if not np.all(np.isfinite(quad)):
        return False
    edges = np.roll(quad, -1, axis=0) - quad
    nxt = np.roll(edges, -1, axis=0)
    cross = edges[:, 0] * nxt[:, 1] - edges[:, 1] * nxt[:, 0]
    if not np.all(cross > 0):
        return False
    out_area = _area(quad)
    return 1 / MAX_AREA_CHANGE < out_area / max(area, 1e-9) < MAX_AREA_CHANGE


def _area(quad: NDArray[np.float64]) -> float:
    x, y = quad[:, 0], quad[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def inside(points: NDArray[np.float32], region: tuple[float, float, float, float]) -> \
        NDArray[np.bool_]:
    x, y, w, h = region
    mask: NDArray[np.bool_] = (points[:, 0] >= x) & (points[:, 0] < x + w) & \
        (points[:, 1] >= y) & (points[:, 1] < y + h)
    return mask
