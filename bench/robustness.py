"""Matching robustness (Thorn's methodology): plain PDQ, pHash-16 and the cascade, one run.

Queries are altered copies of corpus photos (synthetic pictures when the corpus is absent);
the originals are indexed among >= 10,000 distractors (the other corpus photos plus
``synthetic_image`` pictures of many seeds and sizes, hashed on all cores and cached under
bench/.cache/). For every query the score of the closest correct original and of the closest
wrong one are kept; recall is reported at the largest threshold where precision >= 99.99 %.

Scores (lower = more similar):

* ``pdq``, ``phash16``: Hamming distance of the two hashes.
* ``cascade-a`` (hash-only list): min Hamming distance between any query variant
  (``query_variants(regions=False)``: 8 dihedral + 8 unpadded) and the reference's hash.
* ``cascade-b`` (reference library): min Hamming distance over all query variants
  (``regions=True``) and all reference hashes (full + ``reference_variants`` regions); a
  reference that ``confirm()`` verifies by ORB/RANSAC gets ``-inliers`` instead, ranking
  above every hash distance. Its candidates for verification are the loose PDQ ones and,
  for a query no hash stage matched, those its ORB descriptors vote for in a
  ``DescriptorIndex`` of all references (descriptors cached under bench/.cache/ too).

Beside the sweep, each cascade regime is also run as production runs it (the hash stages,
then ``confirm()`` for libraries, at Settings' distance and quality, exactly the functions
``matching/case.py`` calls) for its cost per query and its recall / wrong matches at that
operating point.

    .venv/bin/python bench/robustness.py            # full: 300 originals, 10,000 synthetic
    .venv/bin/python bench/robustness.py --quick    # 30 originals, 1,000 synthetic
"""

from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import imagehash
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from _corpus import CACHE, SHARED_PHOTOS
from cumberland.demo import synthetic_image
from cumberland.matching.descriptors import PER_REFERENCE, DescriptorIndex
from cumberland.matching.robust import (
    MIN_INLIERS,
    VERIFY_RADIUS,
    Features,
    ReferenceHashes,
    Variant,
    confirm,
    features,
    query_variants,
    reference_variants,
    settle,
    verify,
)
from cumberland.settings import Settings
from cumberland.signals.pdq import pdq_from_rgb

PRECISION = 0.9999
CACHE_VERSION = 1
CHUNK = 1_000
REF_SLOTS = len(reference_variants(np.zeros((64, 64, 3), np.uint8)))  # full + regions
U8 = NDArray[np.uint8]
Spec = tuple[str, int, int, int] | tuple[str, str]  # ("synth", seed, w, h) | ("photo", path)
METHODS = ("pdq", "phash16", "cascade-a", "cascade-b")
#: Transforms whose queries are also verified against their true original, as if candidate
#: generation were perfect: what keypoint verification could add beyond the hash gate.
ORACLE = ("rotate 4°", "crop 20%", "pad 20% solid", "pad 20% blurred", "screenshot")
NO_MATCH = 256


# --- transforms -------------------------------------------------------------------------

def _jpeg(img: Image.Image, quality: int) -> Image.Image:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB")


def _array(fn: Callable[[NDArray[np.float32]], NDArray[np.float32]]
           ) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, _rng: np.random.Generator) -> Image.Image:
        out = fn(np.asarray(img, dtype=np.float32))
        return Image.fromarray(np.clip(out, 0, 255).astype(np.uint8))
    return apply


def _vignette(a: NDArray[np.float32]) -> NDArray[np.float32]:
    h, w = a.shape[:2]
    y, x = np.ogrid[:h, :w]
    r2 = ((x - w / 2) / (w / 2)) ** 2 + ((y - h / 2) / (h / 2)) ** 2
    return a * (1 - 0.35 * r2)[..., None]


def _noise(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    a = np.asarray(img, dtype=np.float32) + rng.normal(0, 0.2 * 255, (img.height, img.width, 3))
    return Image.fromarray(np.clip(a, 0, 255).astype(np.uint8))


def _text(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = ImageFont.load_default(size=max(12, img.height // 9))
    x, y = int(rng.integers(0, img.width // 5)), int(rng.integers(0, img.height * 2 // 3))
    draw.text((x, y), "SAMPLE TEXT 2024", fill=(255, 255, 255, 160), font=font)
    return Image.alpha_composite(img.convert("RGBA"), layer).convert("RGB")


def _sides(img: Image.Image, rng: np.random.Generator, most: float) -> list[int]:
    """Left, top, right, bottom: each an independent uniform share (0..most) of its side."""
    share = rng.uniform(0, most, 4)
    return [round(s * (img.width if i % 2 == 0 else img.height)) for i, s in enumerate(share)]


def _crop(most: float) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        left, top, right, bottom = _sides(img, rng, most)
        return img.crop((left, top, img.width - right, img.height - bottom))
    return apply


def _pad(blurred: bool) -> Callable[[Image.Image, np.random.Generator], Image.Image]:
    def apply(img: Image.Image, rng: np.random.Generator) -> Image.Image:
        left, top, right, bottom = _sides(img, rng, 0.2)
        size = (img.width + left + right, img.height + top + bottom)
        if blurred:
            canvas = img.resize(size).filter(ImageFilter.GaussianBlur(max(size) / 25))
        else:
            canvas = Image.new("RGB", size, tuple(int(v) for v in rng.integers(0, 256, 3)))
        canvas.paste(img, (left, top))
        return canvas
    return apply


def _screenshot(img: Image.Image, rng: np.random.Generator) -> Image.Image:
    """Rescaled into a window: dark title bar with widgets, light margins, recompressed."""
    scale = float(rng.uniform(0.6, 0.9))
    inner = img.resize((round(img.width * scale), round(img.height * scale)),
                       Image.Resampling.BILINEAR)
    bar, side = round(img.height * 0.08), round(img.width * float(rng.uniform(0.05, 0.15)))
    size = (inner.width + 2 * side, inner.height + bar + side)
    canvas = Image.new("RGB", size, (240, 240, 240))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((0, 0, size[0], bar), fill=(43, 43, 43))
    for i in range(3):
        x = 8 + i * bar
        draw.ellipse((x, bar // 4, x + bar // 2, bar * 3 // 4), fill=(200, 90 + 40 * i, 80))
    canvas.paste(inner, (side, bar))
    return _jpeg(canvas, 80)


Transform = Callable[[Image.Image, np.random.Generator], Image.Image]
TRANSFORMS: dict[str, Transform] = {
    "noop": lambda img, _: img,
    "blur σ2": lambda img, _: img.filter(ImageFilter.GaussianBlur(2)),
    "gamma 2": _array(lambda a: 255 * (a / 255) ** 2),
    "JPEG q95": lambda img, _: _jpeg(img, 95),
    "JPEG q60": lambda img, _: _jpeg(img, 60),
    "noise σ0.2": _noise,
    "resize 0.5": lambda img, _: img.resize((img.width // 2, img.height // 2),
                                            Image.Resampling.BILINEAR),
    "vignette": _array(_vignette),
    "text overlay": _text,
    "rotate 4°": lambda img, _: img.rotate(4, Image.Resampling.BILINEAR),
    "rotate 90°": lambda img, _: img.transpose(Image.Transpose.ROTATE_90),
    "mirror": lambda img, _: img.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
    "crop 5%": _crop(0.05),
    "crop 20%": _crop(0.20),
    "pad 20% solid": _pad(False),
    "pad 20% blurred": _pad(True),
    "screenshot": _screenshot,
}


# --- references ---------------------------------------------------------------------------

def load_spec(spec: Spec) -> Image.Image:
    if spec[0] == "photo":
        return Image.open(str(spec[1])).convert("RGB")
    _, seed, w, h = spec
    return synthetic_image(int(seed), (int(w), int(h)))


def _code(bits: NDArray[np.bool_]) -> bytes:
    return np.packbits(bits.astype(np.uint8).ravel()).tobytes()


def ref_record(spec: Spec) -> tuple[bytes, bytes, bytes, list[int]]:
    """Plain PDQ (full resolution), pHash-16, and the library's hashes with qualities."""
    img = load_spec(spec)
    rgb = np.asarray(img)
    plain, _ = pdq_from_rgb(rgb)
    phash = _code(imagehash.phash(img, hash_size=16).hash)
    variants = reference_variants(rgb)
    return plain, phash, b"".join(v.pdq for v in variants), [v.quality for v in variants]


@dataclass
class Refs:
    specs: list[Spec]
    pdq: U8  # (n, 32)
    phash: U8  # (n, 32)
    lib: U8  # (n, REF_SLOTS, 32)
    quality: NDArray[np.int16]  # (n, REF_SLOTS)

    @classmethod
    def concat(cls, parts: Sequence[Refs]) -> Refs:
        return cls([s for p in parts for s in p.specs],
                   *(np.concatenate([getattr(p, k) for p in parts])
                     for k in ("pdq", "phash", "lib", "quality")))

    def take(self, rows: Sequence[int]) -> Refs:
        idx = np.asarray(rows, dtype=np.int64)
        return Refs([self.specs[i] for i in rows], self.pdq[idx], self.phash[idx],
                    self.lib[idx], self.quality[idx])


def _worker_setup() -> None:
    cv2.setNumThreads(1)
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        pass


def _probe_digest() -> str:
    """Digest of ``reference_variants`` on a fixed picture: a change there voids the cache."""
    variants = reference_variants(np.asarray(synthetic_image(1, (320, 240))))
    return hashlib.sha256(b"".join(v.pdq + bytes([v.quality]) for v in variants)).hexdigest()


Arrays = dict[str, NDArray[Any]]


def cached_map(specs: Sequence[Spec], tag: str, version: object, work: Callable[[Spec], Any],
               pack: Callable[[list[Any]], Arrays], workers: int, label: str
               ) -> list[tuple[list[Spec], Arrays]]:
    """``work`` over ``specs`` on ``workers`` processes, packed and cached per CHUNK specs.

    A chunk's cache file holds its packed arrays and a key over (CACHE_VERSION, ``version``,
    the chunk's specs); chunks whose key matches are read back, the rest computed and saved.
    """
    chunks = [list(specs[i:i + CHUNK]) for i in range(0, len(specs), CHUNK)]
    paths = [CACHE / f"{tag}-{i}-{len(c)}.npz" for i, c in enumerate(chunks)]
    keys = [hashlib.sha256(repr((CACHE_VERSION, version, c)).encode()).hexdigest()
            for c in chunks]
    parts: list[Arrays | None] = []
    for path, key in zip(paths, keys, strict=True):
        part = None
        if path.is_file():
            with np.load(path) as npz:
                if str(npz["key"]) == key:
                    part = {k: npz[k] for k in npz.files if k != "key"}
        parts.append(part)
    missing = [i for i, p in enumerate(parts) if p is None]
    if missing:
        t = time.perf_counter()
        todo = [s for i in missing for s in chunks[i]]
        with mp.get_context("fork").Pool(workers, _worker_setup) as pool:
            rows = pool.map(work, todo, chunksize=16)
        CACHE.mkdir(parents=True, exist_ok=True)
        for i in missing:
            mine, rows = rows[:len(chunks[i])], rows[len(chunks[i]):]
            parts[i] = pack(mine)
            np.savez(paths[i], key=keys[i], **parts[i])
        print(f"{label} of {len(todo)} references in {time.perf_counter() - t:.0f} s "
              f"(cached under {CACHE})")
    return [(chunk, part) for chunk, part in zip(chunks, parts, strict=True) if part is not None]


def _pack_refs(rows: list[Any]) -> Arrays:
    pdq, phash, lib = (np.frombuffer(b"".join(r[k] for r in rows), np.uint8).reshape(-1, *shape)
                       for k, shape in ((0, (32,)), (1, (32,)), (2, (REF_SLOTS, 32))))
    return {"pdq": pdq, "phash": phash, "lib": lib,
            "quality": np.asarray([r[3] for r in rows], dtype=np.int16)}


def compute_refs(specs: Sequence[Spec], name: str, workers: int) -> Refs:
    """Hashes of ``specs`` on ``workers`` processes, cached per chunk of CHUNK specs."""
    parts = cached_map(specs, f"robustness-{name}", _probe_digest(), ref_record, _pack_refs,
                       workers, f"hashes ({name})")
    return Refs.concat([Refs(chunk, a["pdq"], a["phash"], a["lib"], a["quality"])
                        for chunk, a in parts])


def ref_descriptors(spec: Spec) -> tuple[int, bytes]:
    """The reference's strongest ORB descriptors (count, zero-padded to PER_REFERENCE rows)."""
    out = np.zeros((PER_REFERENCE, 32), np.uint8)
    mine = features(np.asarray(load_spec(spec))).descriptors[:PER_REFERENCE]
    out[:len(mine)] = mine
    return len(mine), out.tobytes()


def _pack_descriptors(rows: list[Any]) -> Arrays:
    return {"codes": np.frombuffer(b"".join(r[1] for r in rows), np.uint8).reshape(
                -1, PER_REFERENCE, 32),
            "counts": np.asarray([r[0] for r in rows], dtype=np.int64)}


def compute_descriptors(specs: Sequence[Spec], name: str, workers: int
                        ) -> list[NDArray[np.uint8]]:
    """ORB descriptors per reference (what a library's index holds), cached per chunk."""
    parts = cached_map(specs, f"robustness-orb-{name}", PER_REFERENCE, ref_descriptors,
                       _pack_descriptors, workers, f"ORB descriptors ({name})")
    return [a["codes"][j, :a["counts"][j]] for _, a in parts for j in range(len(a["counts"]))]


def synthetic_specs(count: int, offset: int) -> list[Spec]:
    """Varied sizes, each drawn from its own seed so that longer lists extend shorter ones."""
    out: list[Spec] = []
    for seed in range(offset, offset + count):
        w, h = np.random.default_rng(seed).integers((256, 192), (800, 640))
        out.append(("synth", seed, int(w), int(h)))
    return out


# --- per-query scoring (runs in pool workers; state set before the fork) ----------------------

STATE: dict[str, object] = {}


class LazyFeatures(dict[int, Features]):
    """Reference keypoints made on first use; the time spent is kept apart from query cost
    (a library loads them from its ``.npz`` files instead)."""

    def __init__(self, specs: Sequence[Spec]) -> None:
        super().__init__()
        self.specs, self.spent = specs, 0.0

    def get(self, key: int, default: Features | None = None) -> Features | None:  # type: ignore[override]
        if key not in self:
            t = time.perf_counter()
            self[key] = features(np.asarray(load_spec(self.specs[key])))
            self.spent += time.perf_counter() - t
        return self[key]


def _distances(codes: U8, query: bytes) -> NDArray[np.int64]:
    x = codes.reshape(-1, 32).view(np.uint64) ^ np.frombuffer(query, np.uint64)
    out: NDArray[np.int64] = np.bitwise_count(x).sum(axis=1, dtype=np.int64)
    return out


def hash_scores(refs: Refs, variants: Sequence[Variant], min_quality: int,
                regions: bool) -> NDArray[np.int64]:
    """Per reference: min distance over usable query variants and reference hashes, exactly
    what ``ReferenceHashes.search`` returns, but for every reference (no radius)."""
    slots = REF_SLOTS if regions else 1
    lib = refs.lib[:, :slots]
    unusable = refs.quality[:, :slots] < min_quality
    best = np.full(len(refs.specs), NO_MATCH, dtype=np.int64)
    for v in variants:
        if v.quality < min_quality:
            continue
        d = _distances(lib, v.pdq).reshape(-1, slots)
        d[unusable] = NO_MATCH
        np.minimum(best, d.min(axis=1), out=best)
    return best


def _pair(scores: NDArray[np.int64], correct: int) -> tuple[int, int]:
    wrong = np.delete(scores, correct)
    return int(scores[correct]), int(wrong.min()) if len(wrong) else NO_MATCH


@dataclass
class QueryResult:
    transform: str
    pairs: dict[str, tuple[int, int]]  # method -> (closest correct, closest wrong)
    cost: dict[str, float]  # method -> seconds
    hit: dict[str, bool] = field(default_factory=dict)  # cascade at its operating point
    wrong: dict[str, bool] = field(default_factory=dict)
    method: str = ""  # regime (b) path that found the original
    oracle: int = 0  # inliers against the true original, whatever the hashes nominate


def score_original(index: int) -> list[QueryResult]:
    refs: Refs = STATE["refs"]  # type: ignore[assignment]
    library: ReferenceHashes = STATE["library"]  # type: ignore[assignment]
    lazy: LazyFeatures = STATE["features"]  # type: ignore[assignment]
    descriptors: DescriptorIndex = STATE["descriptors"]  # type: ignore[assignment]
    settings = Settings()
    maxd, minq = settings.pdq_max_distance, settings.pdq_min_quality
    original = load_spec(refs.specs[index])
    out = []
    for t_i, (name, transform) in enumerate(TRANSFORMS.items()):
        rng = np.random.default_rng([index, t_i])
        img = transform(original, rng)
        rgb = np.asarray(img)
        res = QueryResult(name, {}, {})

        t0 = time.perf_counter()
        plain, _ = pdq_from_rgb(rgb)
        res.cost["pdq"] = time.perf_counter() - t0
        res.pairs["pdq"] = _pair(_distances(refs.pdq, plain), index)
        t0 = time.perf_counter()
        phash = _code(imagehash.phash(img, hash_size=16).hash)
        res.cost["phash16"] = time.perf_counter() - t0
        res.pairs["phash16"] = _pair(_distances(refs.phash, phash), index)

        # regime (a): what match_case does for hash-only lists
        t0 = time.perf_counter()
        va = query_variants(rgb, regions=False)
        found_a = settle(library.search(va, maxd, minq, False), maxd)
        res.cost["cascade-a"] = time.perf_counter() - t0
        res.pairs["cascade-a"] = _pair(hash_scores(refs, va, minq, False), index)
        res.hit["cascade-a"] = any(f.ref == index for f in found_a)
        res.wrong["cascade-a"] = any(f.ref != index for f in found_a)

        # regime (b): what match_case does for reference libraries
        spent = lazy.spent
        t0 = time.perf_counter()
        vb = query_variants(rgb, regions=True)
        loose = library.search(vb, VERIFY_RADIUS, minq, True)
        found_b = confirm(loose, maxd, lambda pixels=rgb: pixels, [descriptors], lambda _: lazy)
        res.cost["cascade-b"] = time.perf_counter() - t0 - (lazy.spent - spent)
        scores = hash_scores(refs, vb, minq, True)
        for f in found_b:
            if f.inliers is not None:
                scores[f.ref] = min(int(scores[f.ref]), -f.inliers)
        res.pairs["cascade-b"] = _pair(scores, index)
        res.hit["cascade-b"] = any(f.ref == index for f in found_b)
        res.wrong["cascade-b"] = any(f.ref != index for f in found_b)
        if name in ORACLE:
            reference = lazy.get(index)
            assert reference is not None
            res.oracle = verify(features(rgb), reference)
        mine = [f for f in found_b if f.ref == index]
        res.method = min(mine, key=lambda f: (f.inliers is not None, f.distance)).method \
            if mine else ""
        out.append(res)
    return out


def _library(refs: Refs) -> ReferenceHashes:
    n = len(refs.specs)
    variants = [Variant("pdq" if s == 0 else "pdq-region", bytes(refs.lib[r, s]),
                        int(refs.quality[r, s]), region=s > 0)
                for r in range(n) for s in range(REF_SLOTS)]
    return ReferenceHashes(np.repeat(np.arange(n), REF_SLOTS).tolist(), variants,
                           Settings().pdq_min_quality)


def _pool_init() -> None:
    _worker_setup()
    refs: Refs = STATE["refs"]  # type: ignore[assignment]
    STATE["library"] = _library(refs)
    STATE["features"] = LazyFeatures(refs.specs)


# --- summary --------------------------------------------------------------------------------

def recall_at_precision(pos: NDArray[np.int64], neg: NDArray[np.int64]
                        ) -> tuple[float, int | None]:
    """Recall at the largest threshold whose precision (TP / (TP + FP)) >= PRECISION."""
    best: tuple[float, int | None] = (0.0, None)
    for t in np.unique(np.concatenate([pos, neg])):
        tp, fp = int((pos <= t).sum()), int((neg <= t).sum())
        if tp and tp / (tp + fp) >= PRECISION:
            best = (tp / len(pos), int(t))
    return best


def _at(pos: NDArray[np.int64], t: int | None) -> float:
    return 0.0 if t is None else float((pos <= t).mean())


def summarise(results: list[QueryResult]) -> Iterator[str]:
    names = list(TRANSFORMS)
    pos = {m: np.asarray([r.pairs[m][0] for r in results]) for m in METHODS}
    neg = {m: np.asarray([r.pairs[m][1] for r in results]) for m in METHODS}
    overall = {m: recall_at_precision(pos[m], neg[m]) for m in METHODS}
    yield "Recall (%) at precision >= 99.99 %: one threshold over all queries "
    yield "(in brackets: the threshold chosen per transform, Thorn's per-transform figure)."
    yield ""
    yield "| transform | " + " | ".join(METHODS) + " | (a) op. point | (b) op. point |"
    yield "| --- |" + " ---: |" * (len(METHODS) + 2)
    for name in names:
        sel = np.asarray([r.transform == name for r in results])
        cells = []
        for m in METHODS:
            own, _ = recall_at_precision(pos[m][sel], neg[m][sel])
            cells.append(f"{100 * _at(pos[m][sel], overall[m][1]):.1f} ({100 * own:.1f})")
        for m in ("cascade-a", "cascade-b"):
            hits = [r.hit[m] for r in results if r.transform == name]
            cells.append(f"{100 * np.mean(hits):.1f}")
        yield f"| {name} | " + " | ".join(cells) + " |"
    cells = [f"**{100 * overall[m][0]:.1f}**" for m in METHODS]
    for m in ("cascade-a", "cascade-b"):
        cells.append(f"**{100 * np.mean([r.hit[m] for r in results]):.1f}**")
    yield "| **overall** | " + " | ".join(cells) + " |"
    yield "| threshold | " + " | ".join(str(overall[m][1]) for m in METHODS) + " | | |"
    yield ""
    for m in ("cascade-a", "cascade-b"):
        wrong = sum(r.wrong[m] for r in results)
        yield f"- {m} at its operating point: {wrong} of {len(results)} queries also matched a " \
              "wrong reference."
    paths: dict[str, int] = {}
    for r in results:
        if r.method:
            paths[r.method] = paths.get(r.method, 0) + 1
    yield "- regime (b) path that found the original (operating point): " + ", ".join(
        f"{k} {v}" for k, v in sorted(paths.items(), key=lambda kv: -kv[1]))
    oracle = {name: np.mean([r.oracle >= MIN_INLIERS for r in results if r.transform == name])
              for name in ORACLE}
    yield f"- verification against the true original (>= {MIN_INLIERS} inliers), as if the " \
          "hash stages always nominated it: " + ", ".join(
        f"{name} {100 * v:.1f}%" for name, v in oracle.items())
    cost = {m: 1e3 * float(np.mean([r.cost[m] for r in results])) for m in METHODS}
    p95 = {m: 1e3 * float(np.percentile([r.cost[m] for r in results], 95)) for m in METHODS}
    yield "- cost per query, mean (p95) ms, one core: " + ", ".join(
        f"{m} {cost[m]:.1f} ({p95[m]:.1f})" for m in METHODS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="30 originals, 1,000 synthetic")
    parser.add_argument("--originals", type=int, default=None)
    parser.add_argument("--synthetic", type=int, default=None, help="synthetic distractors")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    n_orig = args.originals or (30 if args.quick else 300)
    n_synth = args.synthetic if args.synthetic is not None else (1_000 if args.quick else 10_000)
    started = time.perf_counter()

    photos = sorted(SHARED_PHOTOS.glob("*")) if SHARED_PHOTOS.is_dir() else []
    if photos:
        origin = f"{len(photos)} corpus photos"
        photo_specs: list[Spec] = [("photo", str(p)) for p in photos]
        photo_refs = compute_refs(photo_specs, "photos", args.workers)
        order = np.random.default_rng(0).permutation(len(photos)).tolist()
        originals, others = photo_refs.take(order[:n_orig]), photo_refs.take(order[n_orig:])
    else:
        origin = "no corpus: synthetic originals"
        originals = compute_refs(synthetic_specs(n_orig, 10_000_000), "originals",
                                 args.workers)
        others = Refs([], *(np.zeros((0, *s), np.uint8) for s in
                            ((32,), (32,), (REF_SLOTS, 32), (REF_SLOTS,))))
    synth = compute_refs(synthetic_specs(n_synth, 0), "synthetic", args.workers)
    refs = Refs.concat([originals, others, synth])
    n_orig = len(originals.specs)
    print(f"inputs: {origin}; {n_orig} originals x {len(TRANSFORMS)} transforms = "
          f"{n_orig * len(TRANSFORMS)} queries; {len(refs.specs) - n_orig} distractors "
          f"({len(others.specs)} photos, {n_synth} synthetic); {args.workers} workers")

    STATE["refs"] = refs
    orb = (compute_descriptors(originals.specs, "originals" if not photos else "photos-orig",
                               args.workers)
           + compute_descriptors(others.specs, "photos-other", args.workers)
           + compute_descriptors(synth.specs, "synthetic", args.workers))
    t = time.perf_counter()
    STATE["descriptors"] = DescriptorIndex.build(enumerate(orb))
    print(f"descriptor index of {sum(len(o) for o in orb)} descriptors built in "
          f"{time.perf_counter() - t:.0f} s")
    t = time.perf_counter()
    with mp.get_context("fork").Pool(args.workers, _pool_init) as pool:
        results = []
        for done, batch in enumerate(pool.imap(score_original, range(n_orig)), 1):
            results += batch
            if done % 50 == 0:
                print(f"  {done}/{n_orig} originals scored", flush=True)
    print(f"scored in {time.perf_counter() - t:.0f} s, total {time.perf_counter() - started:.0f} s")
    print()
    for line in summarise(results):
        print(line)


if __name__ == "__main__":
    main()
