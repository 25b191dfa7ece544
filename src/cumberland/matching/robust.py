"""The robust matching cascade: altered copies found, precision kept.

Plain PDQ misses rotated, mirrored, padded and cropped copies (Thorn's benchmark: ~1% recall
after 20% padding). Each stage below targets one alteration and records its method:

``pdq``             the query's own hash.
``pdq-dihedral``    one of the 7 other rotations/mirrors of the query.
``pdq-unpadded``    the query with uniform or blurred borders / letterboxing removed.
``pdq-region``      the query's central region (catches pads) against the reference, or the
                    query against a reference's central region (catches crops).
``local-features``  ORB keypoints + RANSAC homography between the query and a candidate
                    found at a looser PDQ radius (crops off-centre, overlays, small rotations)
                    or, for a query no hash stage matched, nominated by votes of its ORB
                    descriptors in the library's descriptor index (matching/descriptors.py;
                    20 % crops and pads that PDQ does not bring near); evidence records the
                    inliers (and the votes).

Regime (a), hash-only lists: only the query can be varied (dihedral + unpadded).
Regime (b), reference libraries: reference regions are hashed too and candidates can be
verified against stored keypoints, so the whole cascade runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
from numpy.typing import NDArray

from cumberland.index.pdq import PDQIndex
from cumberland.matching.descriptors import DescriptorIndex, voted
from cumberland.signals.pdq import HASH_SIDE, RGB, HashGroup, pdq_from_rgb, query_groups
from cumberland.signals.pdq import central as central  # re-exported: the cascade's helpers
from cumberland.signals.pdq import corners as corners
from cumberland.signals.pdq import shrink as shrink
from cumberland.signals.pdq import unpad as unpad

FEATURE_SIDE = 640
ORB_FEATURES = 1000
REF_REGIONS = (0.9, 0.8, 0.7)  # reference centres: a cropped query looks like one of these
CORNER_REGION = 0.8  # and its four corners at this size (crops that keep one corner)
VERIFY_RADIUS = 72  # PDQ radius for candidates that local features must confirm
VERIFY_CANDIDATES = 3
MIN_INLIERS = 25
MIN_SPREAD = 0.3  # inliers must span this share of the reference's keypoints, each axis
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
    """``distance``: the nearest PDQ distance, None for a candidate only descriptors found."""

    ref: int
    method: str
    distance: int | None
    inliers: int | None = None
    votes: int | None = None

    def evidence(self) -> dict[str, int]:
        out = {} if self.distance is None else {"distance": self.distance}
        if self.inliers is not None:
            out["inliers"] = self.inliers
        if self.votes is not None:
            out["votes"] = self.votes
        return out


def variants_from_groups(groups: Sequence[HashGroup], regions: bool) -> list[Variant]:
    """Cascade variants from stored or fresh hash groups (region views only with
    ``regions``): the whole picture's first hash is the plain ``pdq``."""
    out = []
    for g in groups:
        if g.view == "pdq-region" and not regions:
            continue
        whole = g.view == "pdq"
        for i, h in enumerate(g.hashes):
            method = ("pdq" if i == 0 else "pdq-dihedral") if whole else g.view
            out.append(Variant(method, h, g.quality, not whole))
    return out


def query_variants(rgb: RGB, regions: bool) -> list[Variant]:
    """Query-side hashes: dihedral, unpadded (regime a), plus central regions (regime b).

    Triage stores these at ingest (signals/pdq.py); this computes them for pixels at hand.
    """
    return variants_from_groups(query_groups(rgb, regions), regions)


def reference_variants(rgb: RGB) -> list[Variant]:
    """Reference-side hashes kept by a library: the picture and its central regions."""
    rgb = shrink(rgb, HASH_SIDE)
    out = [Variant("pdq", *pdq_from_rgb(rgb))]
    regions = [central(rgb, f) for f in REF_REGIONS] + corners(rgb, CORNER_REGION)
    out += [Variant("pdq-region", *pdq_from_rgb(r), region=True) for r in regions]
    return out


def features(rgb: RGB) -> Features:
    """ORB keypoints of a grey copy at most FEATURE_SIDE pixels on its longer side,
    strongest first (the descriptor index keeps and queries the strongest)."""
    gray = cv2.cvtColor(shrink(rgb, FEATURE_SIDE), cv2.COLOR_RGB2GRAY)
    orb = cv2.ORB_create(nfeatures=ORB_FEATURES)  # type: ignore[attr-defined]
    keypoints, descriptors = orb.detectAndCompute(gray, None)
    if descriptors is None or not keypoints:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8))
    order = np.argsort([-k.response for k in keypoints], kind="stable")
    points = np.asarray([k.pt for k in keypoints], dtype=np.float32)[order]
    return Features(points, np.asarray(descriptors, dtype=np.uint8)[order])


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
    # a shared caption or watermark fits too, but only on a strip of the picture
    inliers = dst[mask.ravel().astype(bool)]
    extent = np.ptp(ref.points, axis=0)
    if np.any(np.ptp(inliers, axis=0) < MIN_SPREAD * np.maximum(extent, 1)):
        return 0
    return int(mask.sum())


class ReferenceHashes:
    """Reference hashes (full and regions) with the reference id each belongs to."""

    def __init__(self, refs: Sequence[int], variants: Sequence[Variant], min_quality: int) -> None:
        keep = [i for i, v in enumerate(variants) if v.quality >= min_quality]
        self.refs: NDArray[np.int64] | None = np.asarray([refs[i] for i in keep], dtype=np.int64)
        self.region: NDArray[np.bool_] | None = np.asarray([variants[i].region for i in keep],
                                                            dtype=bool)
        codes = np.frombuffer(b"".join(variants[i].pdq for i in keep), np.uint8).reshape(-1, 32)
        self.index = PDQIndex(codes, np.arange(len(keep), dtype=np.int64), LIBRARY_FLAT_LIMIT)

    @classmethod
    def over(cls, index: PDQIndex) -> ReferenceHashes:
        """Whole-picture hashes of an index whose ids are the reference ids (hash lists)."""
        self = cls.__new__(cls)
        self.refs, self.region, self.index = None, None, index
        return self

    def search(self, variants: Sequence[Variant], radius: int, min_quality: int,
               regions: bool) -> dict[int, Found]:
        """Best (method, distance) per reference over all query variants within ``radius``."""
        return self.search_many([variants], radius, min_quality, regions)[0]

    def search_many(self, queries: Sequence[Sequence[Variant]], radius: int, min_quality: int,
                    regions: bool) -> list[dict[int, Found]]:
        """``search`` for many queries (each a list of variants) in one index pass."""
        usable = [(q, v) for q, variants in enumerate(queries) for v in variants
                  if v.quality >= min_quality]
        best: list[dict[int, Found]] = [{} for _ in queries]
        if not usable:
            return best
        codes = np.frombuffer(b"".join(v.pdq for _, v in usable), np.uint8).reshape(-1, 32)
        qi, rows, dist = self.index.search_arrays(codes, radius)
        for q, row, d in zip(qi.tolist(), rows.tolist(), dist.tolist(), strict=True):
            owner, variant = usable[q]
            region = self.region is not None and bool(self.region[row])
            if region and not regions:
                continue
            method = "pdq-region" if region else variant.method
            ref = int(self.refs[row]) if self.refs is not None else row
            found = Found(ref, method, d)
            old = best[owner].get(ref)
            if old is None or _rank(found) < _rank(old):
                best[owner][ref] = found
        return best


def _rank(found: Found) -> tuple[int, int]:
    return found.distance if found.distance is not None else 1 << 16, \
        METHOD_ORDER.index(found.method)


def _hashed(found: dict[int, Found], max_distance: int) -> list[Found]:
    return [f for f in found.values() if f.distance is not None and f.distance <= max_distance]


def to_verify(found: dict[int, Found], max_distance: int) -> list[Found]:
    """The nearest candidates beyond ``max_distance`` that keypoints may still confirm."""
    loose = sorted((f for f in found.values()
                    if f.distance is None or f.distance > max_distance), key=_rank)
    return loose[:VERIFY_CANDIDATES]


def needs_features(found: dict[int, Found], max_distance: int, descriptors: bool) -> bool:
    """Whether the query's keypoints are wanted: loose PDQ candidates to verify, or (with a
    descriptor index) no hash stage matched."""
    return bool(to_verify(found, max_distance)) or (
        descriptors and not _hashed(found, max_distance))


def nominate(found: dict[int, Found], max_distance: int, query_features: Features,
             descriptors: Sequence[DescriptorIndex] = ()) -> list[Found]:
    """Candidates for keypoint verification: the nearest loose PDQ candidates and, when no
    hash stage matched, the references the query's descriptors vote for."""
    out = to_verify(found, max_distance)
    if descriptors and not _hashed(found, max_distance):
        known = {f.ref for f in out}
        for ref, votes in voted(descriptors, query_features.descriptors, known):
            hashed = found.get(ref)
            out.append(Found(ref, "local-features",
                             hashed.distance if hashed is not None else None, votes=votes))
    return out


def settle(found: dict[int, Found], max_distance: int, query_features: Features | None = None,
           ref_features: Mapping[int, Features] | None = None,
           candidates: Sequence[Found] | None = None) -> list[Found]:
    """Matches among one query's search results: hash stages within ``max_distance``, then,
    when features are given, ``candidates`` (default: the loose PDQ ones) confirmed by
    keypoint verification."""
    out = _hashed(found, max_distance)
    if query_features is None or ref_features is None:
        return out
    if candidates is None:
        candidates = to_verify(found, max_distance)
    for cand in candidates:
        ref = ref_features.get(cand.ref)
        inliers = verify(query_features, ref) if ref is not None else 0
        if inliers >= MIN_INLIERS:
            out.append(Found(cand.ref, "local-features", cand.distance, inliers, cand.votes))
    return out


def confirm(found: dict[int, Found], max_distance: int, pixels: Callable[[], RGB | None],
            descriptors: Sequence[DescriptorIndex],
            ref_features: Callable[[list[int]], Mapping[int, Features]]) -> list[Found]:
    """Regime (b) for one query after its hash stages (``found``, searched at
    VERIFY_RADIUS): the matches within ``max_distance``, plus candidates (the nearest loose
    ones and, when no hash stage matched, the references its descriptors vote for) that
    keypoint verification confirms. Its pixels are read (``pixels``) only when candidates
    call for keypoints; ``ref_features`` gives the candidates' stored keypoints."""
    rgb = pixels() if needs_features(found, max_distance, bool(descriptors)) else None
    query = features(rgb) if rgb is not None else None
    candidates = nominate(found, max_distance, query, descriptors) if query is not None else []
    return settle(found, max_distance, query, ref_features([c.ref for c in candidates]),
                  candidates)
