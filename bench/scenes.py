"""Region search and series clustering on simulated series (issue 14's benchmark; not a test).

No abuse material: series are simulated with benign corpus photos (bench/_scenes_data.py).
Each "scene" (a corpus photo) gets 5-20 "shots" (a camera turned by up to 15 degrees, a crop
keeping 40-80 %, scale 0.5-1.0, gamma and colour, an occluder over 20-40 %, JPEG q60-90);
distractors are the other corpus photos and synthetic mosaics. Measured in one run:

- region queries (10-25 % of a scene photo): hit@1 (the first result is a shot showing the
  region) and recall@10 (shots showing it among the first 10, of at most 10), for
  Cumberland (visual words + geometric verification), an IPED-style colour/edge histogram
  and brute-force ORB verification against every media of a subset (the ceiling);
- series clustering: BCubed precision and recall of the scene groups, Cumberland's scene
  links (grouped as analysis/series.py groups them, and by single linkage) against PDQ
  stacks (distance <= 31);
- cost: CPU ms per media for the features, index bytes per media, query latency, and its
  growth with the index (the nominating step is linear in the postings it reads).

    PYTHONPATH=src python bench/scenes.py [--scenes 40] [--distractors 1500] [--seed 0]
        [--scale 100000,300000]
    PYTHONPATH=src python bench/scenes.py --only-compare [--akaze-path DIR] [--brute 12]

``--only-compare`` runs the brute-force queries with other detectors (ORB 500/1000/2000,
SIFT, RootSIFT, AKAZE): recall and cost side by side (bench/_scenes_features.py); a second
process, since its SIFT verifications alone take minutes.
``--scale`` adds cached distractors (bench/_scenes_scale.py: real ORB features of pool
pictures, as mosaics) until the index holds that many media, and measures the product's
region queries there: recall, latency, index memory.

A shot "shows" a region when at least half of the region (a grid of points mapped by the
shot's homography) lands inside the shot and outside its occluder.
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
# bench/platform.py would shadow the standard library's (faiss imports it): off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from numpy.typing import NDArray  # noqa: E402
from PIL import Image  # noqa: E402

from cumberland.analysis.grouping import supported_groups  # noqa: E402
from cumberland.index.scenes import Postings, Vocabulary  # noqa: E402
from cumberland.matching import scenes as sc  # noqa: E402
from cumberland.signals.local_features import (  # noqa: E402
    FEATURE_SIDE,
    QUERY_MIN_SIDE,
    Keypoints,
    detect,
)
from cumberland.signals.pdq import hamming, pdq_from_rgb  # noqa: E402

_spec = importlib.util.spec_from_file_location("_scenes_data", HERE / "_scenes_data.py")
assert _spec is not None and _spec.loader is not None
data = importlib.util.module_from_spec(_spec)
sys.modules["_scenes_data"] = data
_spec.loader.exec_module(data)
Shot, decode, load, make_shot = data.Shot, data.decode, data.load, data.make_shot
photos, split, synthetic, tiles = data.photos, data.split, data.synthetic, data.tiles


def _bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


feat = _bench_module("_scenes_features")
scale = _bench_module("_scenes_scale")

RGB = NDArray[np.uint8]


def visible(shot: Shot, region: tuple[float, float, float, float]) -> bool:
    x, y, w, h = region
    gx, gy = np.meshgrid(np.linspace(x, x + w, 7), np.linspace(y, y + h, 7))
    pts = np.stack([gx.ravel(), gy.ravel()], 1)[None].astype(np.float64)
    p = cv2.perspectiveTransform(pts, shot.homography)[0]
    sw, sh = shot.size
    ox, oy, ow, oh = shot.occluder
    inside = (p[:, 0] >= 0) & (p[:, 0] < sw) & (p[:, 1] >= 0) & (p[:, 1] < sh)
    hidden = (p[:, 0] >= ox) & (p[:, 0] < ox + ow) & (p[:, 1] >= oy) & (p[:, 1] < oy + oh)
    return float(np.mean(inside & ~hidden)) >= 0.5


def histogram(rgb: RGB) -> NDArray[np.float32]:
    """IPED-style similarity vector, re-implemented from its description: a colour histogram
    and an edge-direction histogram of a 256 px thumbnail, L1-normalised."""
    img = Image.fromarray(rgb)
    img.thumbnail((256, 256))
    small = np.asarray(img, np.float32)
    q = (small // 64).astype(np.int64)
    colour = np.bincount((q[..., 0] * 16 + q[..., 1] * 4 + q[..., 2]).ravel(), minlength=64)
    grey = cv2.cvtColor(small.astype(np.uint8), cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1)
    mag, ang = np.hypot(gx, gy), (np.arctan2(gy, gx) % np.pi)
    strong = mag > 40
    edges = np.bincount((ang[strong] / np.pi * 16).astype(np.int64).clip(0, 15), minlength=16)
    vec = np.concatenate([colour / max(1, colour.sum()), edges / max(1, edges.sum())])
    return vec.astype(np.float32)


def bcubed(labels: list[int], clusters: list[int]) -> tuple[float, float]:
    lab, clu = np.asarray(labels), np.asarray(clusters)
    p = r = 0.0
    for i in range(len(lab)):
        same_c = clu == clu[i]
        same_l = lab == lab[i]
        both = np.count_nonzero(same_c & same_l)
        p += both / np.count_nonzero(same_c)
        r += both / np.count_nonzero(same_l)
    return p / len(lab), r / len(lab)


def components(n: int, pairs: list[tuple[int, int]]) -> list[int]:
    """Single linkage: each of the n media labelled by the smallest media of its group."""
    groups = sc.linked_groups(pairs)
    return [min(groups.get(i, {i})) for i in range(n)]


Region = tuple[float, float, float, float]
PictureOf = Callable[[int], "sc.Picture | None"]
Ask = tuple[int, Region, set[int]]  # scene, region, the shots showing it (indices)


def pct(xs: list[float] | list[bool]) -> str:
    return f"{100 * float(np.mean(xs)):.0f} %"


def crop_of(rgb: RGB, region: Region) -> RGB:
    x, y, w, h = region
    return np.ascontiguousarray(rgb[int(y):int(np.ceil(y + h)), int(x):int(np.ceil(x + w))])


def region_query(kp: Keypoints, region: Region, size: tuple[int, int]) -> sc.Query:
    """A query from keypoints detected on the region's crop (as matching/scenes.query_of)."""
    moved = kp.scaled(1.0, (float(np.floor(region[0])), float(np.floor(region[1]))))
    return sc.Query(moved, region, size)


def scored(asks: list[Ask], queries: list[sc.Query], docs: list[int],
           picture: PictureOf) -> tuple[float, float]:
    hit, rec = [], []
    for (_, _, relevant), q in zip(asks, queries, strict=True):
        ranked = [docs[i] for i, _ in sc.verified(q, list(range(len(docs))),
                                                  lambda i: picture(docs[i]))]
        hit.append(bool(ranked) and ranked[0] in relevant)
        rec.append(len(relevant & set(ranked[:10])) / min(10, len(relevant)))
    return float(np.mean(hit)), float(np.mean(rec))


def compare(args: argparse.Namespace, asks: list[Ask], scene_rgb: list[RGB], docs: list[int],
            pictures: list[RGB]) -> None:
    """The same brute-force region queries (every media ``docs`` verified) per detector."""
    crops = [crop_of(scene_rgb[s], r) for s, r, _ in asks]
    sizes = [(p.shape[1], p.shape[0]) for p in pictures]
    at = {d: i for i, d in enumerate(docs)}
    kinds: list[tuple[str, str, int, feat.Detector | None]] = [
        ("ORB 500 (version 1)", "orb", 500, feat.orb(500)),
        ("ORB 1000 (the product's)", "orb", 1000, feat.orb(1000)),
        ("ORB 2000", "orb", 2000, feat.orb(2000)),
        ("SIFT 1000", "sift", 1000, feat.sift(1000)),
        ("RootSIFT 1000 (SIFT's keypoints)", "rootsift", 1000, None)]
    if args.akaze_path is not None:
        kinds.append(("AKAZE 1000 (contrib)", "akaze", 1000, None))
    print(f"\nfeatures compared: {len(asks)} region queries, every one of {len(pictures)} "
          "media verified (brute force)")
    kps: list[Keypoints] = []
    qkps: list[Keypoints] = []
    ms = 0.0
    for name, kind, count, detector in kinds:
        t = time.perf_counter()
        if kind == "rootsift":  # the same keypoints, descriptors mapped (CPU: SIFT's)
            kps, qkps = [feat.rooted(k) for k in kps], [feat.rooted(k) for k in qkps]
        elif detector is None:
            kps, qkps, ms = feat.akaze(args.akaze_path, count, pictures, crops, QUERY_MIN_SIDE)
        else:
            kps, ms = feat.timed(detector, pictures, FEATURE_SIDE)
            qkps, _ = feat.timed(detector, crops, QUERY_MIN_SIDE)
        queries = [region_query(k, r, (scene_rgb[s].shape[1], scene_rgb[s].shape[0]))
                   for k, (s, r, _) in zip(qkps, asks, strict=True)]
        t1 = time.perf_counter()
        hit, rec = scored(asks, queries, docs,
                          lambda d, kps=kps: (kps[at[d]], sizes[at[d]]))
        verify_ms = 1000 * (time.perf_counter() - t1) / max(1, len(asks) * len(docs))
        mean = float(np.mean([len(k) for k in kps]))
        print(f"  {name:26} hit@1 {100 * hit:3.0f} %  recall@10 {100 * rec:3.0f} %  "
              f"features {ms:5.1f} CPU ms a media, {mean:.0f} keypoints, "
              f"{feat.BYTES_PER_KEYPOINT[kind] * mean / 1000:.0f} KB a media, "
              f"{verify_ms:.2f} ms a verification ({time.perf_counter() - t:.0f} s)",
              flush=True)


PREFIXES = (25, 50, 100)  # candidates verified, measured side by side at scale
WORDS_VERIFY = 100  # the previous product's nomination (words alone) verified this many


def ranked_by(verdicts: dict[int, int], docs: list[int]) -> list[int]:
    """The verified ones of ``docs`` (doc -> inliers, 0 when refused), most inliers first."""
    return sorted((d for d in docs if verdicts.get(d, 0)), key=lambda d: -verdicts[d])


def at_scale(args: argparse.Namespace, asks: list[Ask], scene_rgb: list[RGB],
             vocab: Vocabulary, postings: Postings, picture: PictureOf) -> None:
    """Region queries (the product's path) with cached distractors added to the index; beside
    it, in the same run, the nomination by words alone (no geometric consistency: the
    previous product's) and fewer candidates verified."""
    pieces = scale.pool_pieces(photos(), load)
    t = time.perf_counter()
    pool, pool_ms = scale.Pool.load_or_make(scale.POOL, pieces, synthetic)
    pool.assign(vocab)
    print(f"\nat scale: {len(pool)} pool pictures ({pool_ms:.1f} CPU ms a picture when "
          f"cached; ready in {time.perf_counter() - t:.0f} s), distractors are mosaics of their "
          "keypoints", flush=True)
    small = postings.count
    for total in sorted(int(v) for v in args.scale.split(",")):
        t = time.perf_counter()
        big = pool.index(postings, max(0, total - small))
        built = time.perf_counter() - t
        index = sc.SceneIndex(vocab, big, np.zeros((0, 32), np.uint8), np.zeros(0), big.count)

        def where(d: int) -> sc.Picture:
            return picture(d) if d < small else pool.picture(d - small)

        got: dict[str, list[float]] = {}
        for s, region, relevant in asks:
            t0, c0 = time.perf_counter(), time.process_time()
            query = sc.query_of(scene_rgb[s], region)
            c1 = time.process_time()
            docs = sc.nominate(index, query.keypoints, sc.VERIFY)
            c2 = time.process_time()
            checked = sc.verified(query, docs, where)
            got.setdefault("ms", []).append(1000 * (time.perf_counter() - t0))
            got.setdefault("cpu", []).append(1000 * (time.process_time() - c0))
            got.setdefault("detect", []).append(1000 * (c1 - c0))
            got.setdefault("nominate", []).append(1000 * (c2 - c1))
            got.setdefault("verify", []).append(1000 * (time.process_time() - c2))
            want = min(10, len(relevant))
            # untimed, beside the product: more candidates, and the words alone (the
            # previous product's nomination, 100 verified)
            more = sc.nominate(index, query.keypoints, max(PREFIXES))
            plain = [d for d, _ in index.postings.score(
                vocab.assign(query.keypoints.descriptors, 2).ravel(), WORDS_VERIFY,
                by_length=True)]
            verdicts = {d: v.inliers for d, v in sc.verified(
                query, sorted((set(plain) | set(more)) - set(docs)), where)}
            verdicts.update({d: v.inliers for d, v in checked})
            for name, order in [(f"{k}", ranked_by(verdicts, more[:k])) for k in PREFIXES] + \
                    [("product", ranked_by(verdicts, docs)), ("words", ranked_by(verdicts, plain))]:
                got.setdefault(f"hit {name}", []).append(bool(order) and order[0] in relevant)
                got.setdefault(f"rec {name}", []).append(len(relevant & set(order[:10])) / want)
            got.setdefault("found", []).append(len(relevant & set(more)) / len(relevant))
            got.setdefault("found words", []).append(len(relevant & set(plain)) / len(relevant))
        med = {k: float(np.median(v)) for k, v in got.items()}
        print(f"  {big.count:>9,} media, {len(asks)} queries: hit@1 {pct(got['hit product'])}"
              f"  recall@10 {pct(got['rec product'])}  latency median {med['ms']:.0f} ms,"
              f" p95 {np.percentile(got['ms'], 95):.0f} ms, CPU median {med['cpu']:.0f} ms "
              f"(query keypoints {med['detect']:.0f}, nominating {med['nominate']:.0f}, "
              f"verifying {sc.VERIFY}: {med['verify']:.0f}); index {big.nbytes / 2**20:,.0f} MiB "
              f"({big.nbytes / big.count:,.0f} B a media); built in {built:.0f} s", flush=True)
        for k in PREFIXES:
            print(f"    verifying the first {k:3}: hit@1 {pct(got[f'hit {k}'])}  recall@10 "
                  f"{pct(got[f'rec {k}'])}")
        print(f"    words alone (no geometric consistency), {WORDS_VERIFY} verified: hit@1 "
              f"{pct(got['hit words'])}  recall@10 {pct(got['rec words'])}; shots showing the "
              f"region among the first {max(PREFIXES)} nominated: {pct(got['found'])} "
              f"(words alone {pct(got['found words'])})", flush=True)


def ask_regions(rng: np.random.Generator, scene_rgb: list[RGB], shots: list[Shot],
                queries: int) -> list[Ask]:
    """Region queries: ``queries`` rectangles of 10-25 % of each scene photo, with the shots
    showing each (queries no shot shows are dropped)."""
    out = []
    for s, rgb in enumerate(scene_rgb):
        h, w = rgb.shape[:2]
        for _ in range(queries):
            share = rng.uniform(0.10, 0.25)
            aspect = rng.uniform(0.6, 1.6)
            rw = min(w - 1, np.sqrt(share * w * h * aspect))
            rh = min(h - 1, share * w * h / rw)
            region = (float(rng.uniform(0, w - rw)), float(rng.uniform(0, h - rh)),
                      float(rw), float(rh))
            relevant = {i for i, sh in enumerate(shots) if sh.scene == s and visible(sh, region)}
            if relevant:
                out.append((s, region, relevant))
    return out


def grouped(n: int, links: list[tuple[int, int, int]]) -> list[int]:
    """Cluster labels as analysis/series.py groups scene links (analysis/grouping.py)."""
    out = list(range(n))
    for g in supported_groups(links):
        first = min(g)
        for k in g:
            out[k] = first
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenes", type=int, default=40)
    ap.add_argument("--distractors", type=int, default=1500, help="synthetic ones")
    ap.add_argument("--queries", type=int, default=2, help="region queries per scene")
    ap.add_argument("--brute", type=int, default=20, help="queries run brute force")
    ap.add_argument("--brute-distractors", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--only-compare", action="store_true",
                    help="only the --brute region queries, brute force, with ORB 500/1000/2000, "
                         "SIFT, RootSIFT (and AKAZE with --akaze-path) over the shots of "
                         "their scenes and --brute-distractors distractors")
    ap.add_argument("--akaze-path", type=Path, default=None,
                    help="folder with opencv-contrib-python-headless (pip --target)")
    ap.add_argument("--scale", type=str, default="",
                    help="index sizes to measure at, e.g. 100000,300000 (cached distractors)")
    ap.add_argument("--scale-queries", type=int, default=60)
    ap.add_argument("--no-series", action="store_true", help="region queries only")
    ap.add_argument("--series", default=f"{sc.LINK_CANDIDATES}:0,{sc.LINK_CANDIDATES}:"
                                         f"{sc.EXPAND}",
                    help="series variants, candidates:expansion each (matching/scenes."
                         "link_pictures), one run each; the last one's links are also shown "
                         "by inlier floor")
    ap.add_argument("--scale-only", action="store_true",
                    help="region queries only at --scale (none on the small index)")
    ap.add_argument("--shared-occluders", action="store_true",
                    help="whole occluder photos shared by shots of several scenes (the first "
                         "version of this bench: true matches of wrong series)")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    rng = np.random.default_rng(args.seed)
    scene_paths, rest = split(photos(), args.scenes)
    scene_rgb = [load(p) for p in scene_paths]
    # occluders come from photos kept out of the index: a shot's occluder is another
    # photo's pixels, and a link to that photo would be a true match but a wrong series
    occluders = [load(p) for p in rest[::4]]
    rest_rgb = [load(p) for i, p in enumerate(rest) if i % 4]
    print(f"{len(scene_paths)} scenes, {len(rest_rgb)} corpus distractors, "
          f"{args.distractors} synthetic distractors", flush=True)

    # media of the index: shots, then corpus distractors, then synthetic ones
    shots: list[Shot] = []
    counts = [int(rng.integers(5, 21)) for _ in scene_rgb]
    pieces = tiles(occluders, sum(counts), rng)
    for s, rgb in enumerate(scene_rgb):
        for _ in range(counts[s]):
            occ = occluders[int(rng.integers(len(occluders)))] if args.shared_occluders \
                else pieces[len(shots)]
            shots.append(make_shot(s, rgb, occ, int(rng.integers(1 << 31))))
    media_rgb: list[RGB] = [decode(sh.jpeg) for sh in shots]
    label = [sh.scene for sh in shots]
    for i, rgb in enumerate(rest_rgb):
        media_rgb.append(rgb)
        label.append(-1 - i)
    for k in range(args.distractors):
        img = synthetic(10_000_000 + k, occluders)
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, "JPEG", quality=80)
        media_rgb.append(decode(buf.getvalue()))
        label.append(-100_000 - k)
    n = len(media_rgb)
    if args.only_compare:  # the same regions (the same draws), then only the comparison
        asks = ask_regions(rng, scene_rgb, shots, args.queries)[:args.brute]
        asked_scenes = {a[0] for a in asks}
        few = [d for d in range(len(shots)) if shots[d].scene in asked_scenes] + \
            list(range(len(shots), min(n, len(shots) + args.brute_distractors)))
        compare(args, asks, scene_rgb, few, [media_rgb[d] for d in few])
        return
    t = time.process_time()
    kps: list[Keypoints] = [detect(rgb) for rgb in media_rgb]
    feature_ms = 1000 * (time.process_time() - t) / n
    sizes = [(rgb.shape[1], rgb.shape[0]) for rgb in media_rgb]
    print(f"{n} media ({len(shots)} shots); features {feature_ms:.1f} CPU ms a media, "
          f"{np.mean([len(k) for k in kps]):.0f} keypoints, "
          f"{38 * np.mean([len(k) for k in kps]):.0f} B a media stored (38 B a keypoint)",
          flush=True)

    t = time.perf_counter()
    sample = np.concatenate([k.descriptors[:max(8, 1_500_000 // n)] for k in kps])
    vocab = Vocabulary.train(sample)
    train_s = time.perf_counter() - t
    t = time.perf_counter()
    postings = sc.postings_of(vocab, kps)
    index = sc.SceneIndex(vocab, postings, np.zeros((n, 32), np.uint8), np.full(n, np.nan), n)
    index_s = time.perf_counter() - t
    print(f"vocabulary {vocab.size:,} words trained in {train_s:.0f} s; index built in "
          f"{index_s:.0f} s; {postings.nbytes / n:,.0f} B a media in memory", flush=True)

    hists = np.stack([histogram(rgb) for rgb in media_rgb])
    picture = lambda d: (kps[d], sizes[d])  # noqa: E731

    ours: dict[str, list[float]] = {"hit1": [], "rec10": [], "ms": [], "cpu_ms": [],
                                    "nominate_ms": [], "score_ms": []}
    iped: dict[str, list[float]] = {"hit1": [], "rec10": []}
    brute: dict[str, list[float]] = {"hit1": [], "rec10": [], "ours_hit1": [], "ours_rec10": []}
    subset = list(range(len(shots))) + list(range(len(shots), min(n, len(shots) +
                                                                      args.brute_distractors)))
    asked = 0
    asks = ask_regions(rng, scene_rgb, shots, args.queries)
    for s, region, relevant in [] if args.scale_only else asks:
        rgb = scene_rgb[s]
        want = min(10, len(relevant))
        t, c = time.perf_counter(), time.process_time()
        query = sc.query_of(rgb, region)
        t1 = time.perf_counter()
        docs = sc.nominate(index, query.keypoints, sc.VERIFY)
        t2 = time.perf_counter()
        words = vocab.assign(query.keypoints.descriptors, 2).ravel()
        t3 = time.perf_counter()
        postings.score(words, sc.VERIFY)
        ours["score_ms"].append(1000 * (time.perf_counter() - t3))
        ranked = [d for d, _ in sc.verified(query, docs, picture)]
        ours["ms"].append(1000 * (time.perf_counter() - t))
        ours["cpu_ms"].append(1000 * (time.process_time() - c))
        ours["nominate_ms"].append(1000 * (t2 - t1))
        ours["hit1"].append(bool(ranked) and ranked[0] in relevant)
        ours["rec10"].append(len(relevant & set(ranked[:10])) / want)
        crop = rgb[int(region[1]):int(region[1] + region[3]),
                   int(region[0]):int(region[0] + region[2])]
        order = np.argsort(np.abs(hists - histogram(crop)).sum(1), kind="stable")[:10]
        iped["hit1"].append(int(order[0]) in relevant)
        iped["rec10"].append(len(relevant & set(order.tolist())) / want)
        if asked < args.brute:
            asked += 1
            every = [d for d, _ in sc.verified(query, subset, picture)]
            brute["hit1"].append(bool(every) and every[0] in relevant)
            brute["rec10"].append(len(relevant & set(every[:10])) / want)
            brute["ours_hit1"].append(ours["hit1"][-1])
            brute["ours_rec10"].append(ours["rec10"][-1])

    if ours["hit1"]:  # (none with --queries 0: series only)
        print(f"\nregion queries: {len(ours['hit1'])}")
        print(f"  Cumberland      hit@1 {pct(ours['hit1'])}  recall@10 {pct(ours['rec10'])}  "
              f"latency median {np.median(ours['ms']):.0f} ms, p95 "
              f"{np.percentile(ours['ms'], 95):.0f} ms, CPU median "
              f"{np.median(ours['cpu_ms']):.0f} ms (nominating "
              f"{np.median(ours['nominate_ms']):.1f} ms)")
        ratio = np.mean(ours["rec10"]) / max(1e-9, float(np.mean(iped["rec10"])))
        print(f"  IPED histogram  hit@1 {pct(iped['hit1'])}  recall@10 {pct(iped['rec10'])}  "
              f"(ratio ours/IPED @10: {ratio:.1f}x)")
        if brute["hit1"]:
            print(f"  brute-force ORB ({len(brute['hit1'])} queries, {len(subset)} media): hit@1 "
                  f"{pct(brute['hit1'])} recall@10 {pct(brute['rec10'])}; Cumberland on the same "
                  f"queries: hit@1 {pct(brute['ours_hit1'])} recall@10 {pct(brute['ours_rec10'])}")

    if args.scale:  # spread over the scenes (asks are in scene order)
        step = max(1, len(asks) // max(1, args.scale_queries))
        at_scale(args, asks[::step][:args.scale_queries], scene_rgb, vocab, postings, picture)
    if args.no_series:
        return

    # series: the product's scene links (matching/scenes.link_pictures) among shots and corpus
    # distractors, for each --series variant (candidates, expansion)
    pool = list(range(len(shots) + len(rest_rgb)))
    labels = [label[d] for d in pool]
    allowed = np.zeros(n, bool)
    allowed[pool] = True
    owner = np.arange(n, dtype=np.int64)
    print(f"\nseries over {len(pool)} media ({len(shots)} shots of {len(scene_rgb)} scenes):")
    p = r = 0.0
    links: list[tuple[int, int, int]] = []
    for variant in args.series.split(","):
        candidates, expand = (int(v) for v in variant.split(":"))
        t = time.process_time()
        found = sc.link_pictures(
            pool, lambda docs: {d: (kps[d], sizes[d]) for d in docs},
            lambda d, kp, k, out: sc.link_nominees(index, kp, k, allowed & (owner != d), out),
            owner, candidates, expand)
        cpu_ms = 1000 * (time.process_time() - t) / len(pool)
        links = [(a, b, k) for (a, b), k in sorted(found.items())]
        false = sum(1 for a, b, _ in links if label[a] != label[b])
        p, r = bcubed(labels, grouped(len(pool), links))
        print(f"  Cumberland, {candidates:2} candidates, {expand} more outside the group: "
              f"BCubed precision "
              f"{p:.3f} recall {r:.3f}; {len(links)} links, {false} between different "
              f"scenes; {cpu_ms:.0f} CPU ms a media (nominating and verifying)", flush=True)
    for floor in (12, 16, 20, 30):  # the last variant's links
        kept = [(a, b, k) for a, b, k in links if k >= floor]
        sp, sr = bcubed(labels, components(len(pool), [(a, b) for a, b, _ in kept]))
        gp, gr = bcubed(labels, grouped(len(pool), kept))
        print(f"    links with >= {floor} inliers: single linkage BCubed precision "
              f"{sp:.3f} recall {sr:.3f}; supported groups (the product's) {gp:.3f} {gr:.3f}")
    codes = [pdq_from_rgb(media_rgb[d])[0] for d in pool]
    pdq_pairs = [(a, b) for a in range(len(pool)) for b in range(a + 1, len(pool))
                 if hamming(codes[a], codes[b]) <= 31]
    pp, pr = bcubed(labels, components(len(pool), pdq_pairs))
    print(f"  PDQ stacks (d <= 31), same media: BCubed precision {pp:.3f} recall {pr:.3f} "
          f"(ratio of the last variant's recall: {r / max(pr, 1e-9):.1f}x)")

    if not ours["score_ms"]:
        return
    score = float(np.median(ours["score_ms"]))
    fixed = float(np.median(ours["ms"])) - score  # query keypoints, words, verification
    per_media = score / n
    print(f"\nlatency model: scoring the postings is linear in the media indexed "
          f"({score:.1f} ms here, {per_media * 1000:.2f} us a media); the rest (query "
          f"keypoints, words, verifying {sc.VERIFY} candidates) does not grow ({fixed:.0f} ms): "
          f"extrapolated {fixed + per_media * 100_000:.0f} ms at 100 k media, "
          f"{fixed + per_media * 1_000_000:.0f} ms at 1 M (not measured)")
    print(f"index memory extrapolated: {postings.nbytes / n * 100_000 / 2**20:.0f} MiB at 100 k, "
          f"{postings.nbytes / n * 1_000_000 / 2**20:.0f} MiB at 1 M")


if __name__ == "__main__":
    main()
