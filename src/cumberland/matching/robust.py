"""The robust matching cascade: altered copies found, precision kept.

Plain PDQ misses rotated, mirrored, padded and cropped copies (Thorn's benchmark: ~1% recall
after 20% padding). Each stage below targets one alteration and records its method:

``pdq``             the query's own hash.
``pdq-dihedral``    one of the 7 other rotations/mirrors of the query.
``pdq-unpadded``    the query with uniform or blurred borders / letterboxing removed.
``pdq-region``      the query's central region (catches pads) against the reference, or the
                    query against a reference's central region (catches crops).
``local-features``  ORB keypoints + RANSAC homography between the query and a candidate
                    found at a looser PDQ radius (crops off-centre, overlays, small rotations);
                    evidence records the inliers.

Regime (a), hash-only lists: only the query can be varied (dihedral + unpadded).
Regime (b), reference libraries: reference regions are hashed too and candidates can be
verified against stored keypoints, so the whole cascade runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cumberland.index.pdq import PDQIndex
from cumberland.signals.pdq import pdq_dihedral_from_rgb, pdq_from_rgb

RGB = NDArray[np.uint8]

HASH_SIDE = 512  # PDQ reduces to 64x64 anyway; hashing smaller copies is faster
FEATURE_SIDE = 640
ORB_FEATURES = 1000
REF_REGIONS = (0.9, 0.8, 0.7)  # reference centres: a cropped query looks like one of these
CORNER_REGION = 0.8  # and its four corners at this size (crops that keep one corner)
QUERY_REGIONS = (0.85, 0.75)  # query centres: a padded query's centre is the reference
BORDER_DETAIL = 2.0  # mean |gradient| below which an outer row/column counts as border
MIN_TRIM = 0.02  # unpad only when at least this share of a side is border
VERIFY_RADIUS = 72  # PDQ radius for candidates that local features must confirm
VERIFY_CANDIDATES = 3
MIN_INLIERS = 25
LIBRARY_FLAT_LIMIT = 2_000_000  # brute force keeps the loose verification radius cheap
RATIO = 0.75
METHOD_ORDER = ("pdq", "pdq-dihedral", "pdq-unpadded", "pdq-region", "local-features")


@dataclass(frozen=True, slots=True)
class Variant:
    method: str
    pdq: bytes
    quality: int
    region: bool = False  # hash of a central region (or of an unpadded query)


@dataclass(frozen=True, slots=True)
class Features:
    points: NDArray[np.float32]  # (n, 2) keypoint positions
    descriptors: NDArray[np.uint8]  # (n, 32) ORB descriptors


@dataclass(frozen=True, slots=True)
class Found:
    ref: int
    method: str
    distance: int
    inliers: int | None = None

    def evidence(self) -> dict[str, int]:
        out = {"distance": self.distance}
        if self.inliers is not None:
            out["inliers"] = self.inliers
        return out


def shrink(rgb: RGB, side: int) -> RGB:
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    if scale >= 1:
        return rgb
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return np.asarray(cv2.resize(rgb, size, interpolation=cv2.INTER_AREA), dtype=np.uint8)


def central(rgb: RGB, fraction: float) -> RGB:
    h, w = rgb.shape[:2]
    dh, dw = round(h * (1 - fraction) / 2), round(w * (1 - fraction) / 2)
    return rgb[dh:h - dh, dw:w - dw]


def corners(rgb: RGB, fraction: float) -> list[RGB]:
    h, w = rgb.shape[:2]
    ch, cw = round(h * fraction), round(w * fraction)
    return [rgb[:ch, :cw], rgb[:ch, w - cw:], rgb[h - ch:, :cw], rgb[h - ch:, w - cw:]]


def _detail(lines: NDArray[np.float32]) -> NDArray[np.float32]:
    """Per line (axis 0): mean absolute difference between neighbours plus spread."""
    grad = np.abs(np.diff(lines, axis=1)).mean(axis=(1, 2))
    spread = lines.std(axis=(1, 2))
    return np.asarray(grad + 0.1 * spread, dtype=np.float32)


def unpad(rgb: RGB) -> RGB | None:
    """The picture without uniform or blurred borders/letterboxing; None if there are none."""
    if min(rgb.shape[:2]) < 16:
        return None
    small = shrink(rgb, 256).astype(np.float32)
    sh, sw = small.shape[:2]
    rows = _detail(small) >= BORDER_DETAIL
    cols = _detail(small.transpose(1, 0, 2)) >= BORDER_DETAIL
    if not rows.any() or not cols.any():
        return None
    top, bottom = int(np.argmax(rows)), sh - int(np.argmax(rows[::-1]))
    left, right = int(np.argmax(cols)), sw - int(np.argmax(cols[::-1]))
    if max(top, sh - bottom) < MIN_TRIM * sh and max(left, sw - right) < MIN_TRIM * sw:
        return None
    if bottom - top < sh // 4 or right - left < sw // 4:
        return None
    h, w = rgb.shape[:2]
    fy, fx = h / sh, w / sw
    return rgb[round(top * fy):round(bottom * fy), round(left * fx):round(right * fx)]


def _dihedral(rgb: RGB, first: str, rest: str, region: bool) -> list[Variant]:
    hashes, quality = pdq_dihedral_from_rgb(rgb)
    return [Variant(first if i == 0 else rest, h, quality, region) for i, h in enumerate(hashes)]


def query_variants(rgb: RGB, regions: bool) -> list[Variant]:
    """Query-side hashes: dihedral, unpadded (regime a), plus central regions (regime b)."""
    rgb = shrink(rgb, HASH_SIDE)
    out = _dihedral(rgb, "pdq", "pdq-dihedral", False)
    inner = unpad(rgb)
    if inner is not None:
        out += _dihedral(inner, "pdq-unpadded", "pdq-unpadded", True)
    if regions:
        for fraction in QUERY_REGIONS:
            out += _dihedral(central(rgb, fraction), "pdq-region", "pdq-region", True)
    return out


def reference_variants(rgb: RGB) -> list[Variant]:
    """Reference-side hashes kept by a library: the picture and its central regions."""
    rgb = shrink(rgb, HASH_SIDE)
    out = [Variant("pdq", *pdq_from_rgb(rgb))]
    regions = [central(rgb, f) for f in REF_REGIONS] + corners(rgb, CORNER_REGION)
    out += [Variant("pdq-region", *pdq_from_rgb(r), region=True) for r in regions]
    return out


def features(rgb: RGB) -> Features:
    """ORB keypoints of a grey copy at most FEATURE_SIDE pixels on its longer side."""
    gray = cv2.cvtColor(shrink(rgb, FEATURE_SIDE), cv2.COLOR_RGB2GRAY)
    orb = cv2.ORB_create(nfeatures=ORB_FEATURES)  # type: ignore[attr-defined]
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    points = np.asarray([k.pt for k in keypoints], dtype=np.float32)
    return Features(points, np.asarray(descriptors, dtype=np.uint8))


def verify(query: Features, ref: Features) -> int:
    """RANSAC-homography inliers among ratio-tested ORB matches (0 when nothing fits)."""
    if len(query.descriptors) < MIN_INLIERS or len(ref.descriptors) < MIN_INLIERS:
        return 0
    matcher = cv2.BFMatcher(cv2.NORM_HAMMING)
    pairs = matcher.knnMatch(query.descriptors, ref.descriptors, k=2)
    good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
    if len(good) < MIN_INLIERS:
        return 0
    src = query.points[[m.queryIdx for m in good]]
    dst = ref.points[[m.trainIdx for m in good]]
    homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, 5.0)
    if homography is None or mask is None:
        return 0
    # a degenerate fit (everything folded onto a line or point) is no evidence
    det = float(np.linalg.det(homography[:2, :2]))
    if not 0.05 < abs(det) < 20:
        return 0
    return int(mask.sum())


class ReferenceHashes:
    """Reference hashes (full and regions) with the reference id each belongs to."""

    def __init__(self, refs: Sequence[int], variants: Sequence[Variant], min_quality: int) -> None:
        keep = [i for i, v in enumerate(variants) if v.quality >= min_quality]
        self.refs = np.asarray([refs[i] for i in keep], dtype=np.int64)
        self.region = np.asarray([variants[i].region for i in keep], dtype=bool)
        codes = np.frombuffer(b"".join(variants[i].pdq for i in keep), np.uint8).reshape(-1, 32)
        self.index = PDQIndex(codes, np.arange(len(keep), dtype=np.int64), LIBRARY_FLAT_LIMIT)

    def search(self, variants: Sequence[Variant], radius: int, min_quality: int,
               regions: bool) -> dict[int, Found]:
        """Best (method, distance) per reference over all query variants within ``radius``."""
        usable = [v for v in variants if v.quality >= min_quality]
        if not usable:
            return {}
        codes = np.frombuffer(b"".join(v.pdq for v in usable), np.uint8).reshape(-1, 32)
        qi, rows, dist = self.index.search_arrays(codes, radius)
        best: dict[int, Found] = {}
        for q, row, d in zip(qi.tolist(), rows.tolist(), dist.tolist(), strict=True):
            variant = usable[q]
            if self.region[row] and not regions:
                continue
            method = "pdq-region" if self.region[row] else variant.method
            ref = int(self.refs[row])
            found = Found(ref, method, d)
            old = best.get(ref)
            if old is None or _rank(found) < _rank(old):
                best[ref] = found
        return best


def _rank(found: Found) -> tuple[int, int]:
    return found.distance, METHOD_ORDER.index(found.method)


def cascade(
    refs: ReferenceHashes,
    variants: Sequence[Variant],
    max_distance: int,
    min_quality: int,
    regions: bool,
    query_features: Features | None = None,
    ref_features: dict[int, Features] | None = None,
) -> list[Found]:
    """Matches of one query: hash stages within ``max_distance``, then, when features are
    given, keypoint verification of the nearest looser candidates."""
    radius = VERIFY_RADIUS if query_features is not None else max_distance
    found = refs.search(variants, radius, min_quality, regions)
    out = [f for f in found.values() if f.distance <= max_distance]
    if query_features is None or ref_features is None:
        return out
    loose = sorted((f for f in found.values() if f.distance > max_distance), key=_rank)
    for cand in loose[:VERIFY_CANDIDATES]:
        ref = ref_features.get(cand.ref)
        inliers = verify(query_features, ref) if ref is not None else 0
        if inliers >= MIN_INLIERS:
            out.append(Found(cand.ref, "local-features", cand.distance, inliers))
    return out
