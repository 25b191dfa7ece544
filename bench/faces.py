"""Faces: detection ms at 512 px and 12 MP, embedding ms per face, clustering of
transformed copies among the corpus photos, and how often faces are found in photos of
animals, plants and landscapes.

* *Detection*: ``signals.faces.detect_faces`` on pixels already decoded (the single decode
  is not timed): the corpus photos at 512 px (longer side), and 12 MP copies of them
  (4000 x 3000, which the detector sees bounded to ``Settings.faces_max_side``). Baseline in
  the same run: dlib's HOG detector (what IPED used before RetinaFace) on the same 512 px
  pixels.
* *Embedding*: ``signals.faces.embed`` per face found (dlib alignment + ResNet).
* *Clustering*: two identities shipped in scikit-image (the astronaut and the cameraman),
  ten transformed copies each (crop, scale 0.5-1.5, rotation +-15 degrees, JPEG q40-90,
  brightness, partial occlusion), pasted into corpus photos, among every face of the 600
  corpus photos; then ``analysis.clustering.chinese_whispers`` at dlib's 0.6. Per identity:
  recall (copies in its largest cluster over copies pasted) and purity (its copies over
  that cluster's size).
* *Faces in face-free photos*: share of the corpus photos of animals, plants, food and
  landscapes where a face is found. ImageNet photos of animals do show people (anglers
  holding a tench, a dog on a lap): the share is an upper bound of the false-face rate, and
  the photos are listed so a reader can look.

What this cannot measure: recall and accuracy on real, diverse faces (ages, skin tones,
poses, low light, partial faces, children), since the only faces here are two adults
shipped in a package and whatever the ImageNet photos hold. An agency should measure, on its
own labelled material inside its own environment: detection recall by face size and pose,
the false-match rate of the 0.6 distance at its case sizes (it grows with the number of
faces compared), and cluster purity on known series.

    .venv/bin/python bench/faces.py [--photos 600] [--big 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

# bench/platform.py would shadow the standard library's platform (onnxruntime imports it)
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
from _corpus import SHARED_PHOTOS  # noqa: E402
from cumberland.analysis.clustering import chinese_whispers  # noqa: E402
from cumberland.settings import Settings  # noqa: E402
from cumberland.signals import models  # noqa: E402
from cumberland.signals.faces import SAME_PERSON, describe_faces, detect_faces, embed  # noqa: E402

NATURE_BEFORE = "n02666196"  # ImageNet synsets before 'abacus' are animals
NATURE_FROM = "n07500000"  # food, plants, landscapes ...
PEOPLE = {"n09835506", "n10148035", "n10565667"}  # ... but ballplayer, groom, scuba diver


def _cpu_ms(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.process_time()
    out = fn(*args, **kwargs)
    return out, (time.process_time() - start) * 1000


def _at(rgb: np.ndarray, side: int) -> np.ndarray:
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    return cv2.resize(rgb, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)


def _copies(face: np.ndarray, backgrounds: list[np.ndarray], rng: np.random.Generator,
            count: int) -> list[np.ndarray]:
    """``count`` transformed copies of a face picture, each pasted into a corpus photo."""
    out = []
    for i in range(count):
        h, w = face.shape[:2]
        crop = face[int(rng.integers(0, h // 8)):h - int(rng.integers(0, h // 8)),
                    int(rng.integers(0, w // 8)):w - int(rng.integers(0, w // 8))]
        scale = float(rng.uniform(0.5, 1.5))
        crop = cv2.resize(crop, (round(crop.shape[1] * scale), round(crop.shape[0] * scale)))
        ch, cw = crop.shape[:2]
        turn = cv2.getRotationMatrix2D((cw / 2, ch / 2), float(rng.uniform(-15, 15)), 1.0)
        crop = cv2.warpAffine(crop, turn, (cw, ch), borderMode=cv2.BORDER_REFLECT)
        crop = np.clip(crop * rng.uniform(0.6, 1.3) + rng.uniform(-20, 20), 0, 255
                       ).astype(np.uint8)
        if i % 3 == 0:  # a bar over part of the lower face
            y0 = int(ch * rng.uniform(0.55, 0.7))
            crop[y0:y0 + ch // 10, cw // 4:3 * cw // 4] = 60
        base = backgrounds[i % len(backgrounds)]
        canvas = cv2.resize(base, (max(base.shape[1], cw + 20), max(base.shape[0], ch + 20)))
        y = int(rng.integers(0, canvas.shape[0] - ch))
        x = int(rng.integers(0, canvas.shape[1] - cw))
        canvas[y:y + ch, x:x + cw] = crop
        _, buf = cv2.imencode(".jpg", canvas,
                              [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 91))])
        out.append(cv2.imdecode(buf, cv2.IMREAD_COLOR))  # RGB in, RGB out: channels untouched
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--photos", type=int, default=600)
    parser.add_argument("--big", type=int, default=10, help="12 MP copies timed")
    parser.add_argument("--copies", type=int, default=10, help="transformed copies per face")
    args = parser.parse_args()
    if not SHARED_PHOTOS.is_dir():
        sys.exit(f"{SHARED_PHOTOS} is absent: this benchmark needs the shared corpus")
    import dlib
    from skimage import data

    models.check(models.FACE_MODELS)
    settings = Settings()
    paths = sorted(SHARED_PHOTOS.glob("*.JPEG"))[:args.photos]
    photos = [np.asarray(Image.open(p).convert("RGB")) for p in paths]
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start; "
          f"{len(photos)} corpus photos")
    hog = dlib.get_frontal_face_detector()
    det_ms, hog_ms, emb_ms, big_ms = [], [], [], []
    hits: dict[str, int] = {}
    vectors, owners = [], []
    for path, rgb in zip(paths, photos, strict=True):
        small = _at(rgb, 512)
        found, ms = _cpu_ms(detect_faces, small, min_size=settings.face_min_size,
                            min_score=settings.face_min_score)
        det_ms.append(ms)
        _, ms = _cpu_ms(hog, small, 0)
        hog_ms.append(ms)
        if found.faces:
            hits[path.name] = len(found.faces)
        for face in found.faces:
            vector, ms = _cpu_ms(embed, small, face)
            emb_ms.append(ms)
            vectors.append(vector)
            owners.append("corpus")
    for rgb in photos[:args.big]:
        big = cv2.resize(rgb, (4000, 3000), interpolation=cv2.INTER_CUBIC)
        _, ms = _cpu_ms(detect_faces, big, min_size=settings.face_min_size,
                        min_score=settings.face_min_score, max_side=settings.faces_max_side)
        big_ms.append(ms)
    rng = np.random.default_rng(11)
    identities = {"astronaut": np.ascontiguousarray(data.astronaut()[0:300, 100:400]),
                  "cameraman": np.stack([data.camera()[40:260, 130:330]] * 3, axis=-1)}
    pasted: Counter[str] = Counter()
    for name, face in identities.items():
        for copy in _copies(face, photos[::37], rng, args.copies):
            pasted[name] += 1
            for f in describe_faces(copy, settings).faces:
                vectors.append(f.embedding)
                owners.append(name)
    labels = chinese_whispers(np.stack(vectors).astype(np.float32), SAME_PERSON)
    sizes = Counter(labels)
    print("\ndetection (CPU ms per image, pixels already decoded)")
    print(f"  YuNet  at 512 px: {statistics.mean(det_ms):7.1f}   (median "
          f"{statistics.median(det_ms):.1f})")
    print(f"  dlib HOG at 512 px (baseline): {statistics.mean(hog_ms):7.1f}   "
          f"-> YuNet {statistics.mean(hog_ms) / statistics.mean(det_ms):.2f}x faster")
    print(f"  YuNet  at 12 MP (bounded to {settings.faces_max_side} px first): "
          f"{statistics.mean(big_ms):7.1f}")
    print(f"  embedding (dlib alignment + ResNet): {statistics.mean(emb_ms):7.1f} per face "
          f"({len(emb_ms)} faces)")
    print("\nclustering (Chinese whispers over faiss neighbours, radius 0.6)")
    for name in identities:
        mine = [label for label, owner in zip(labels, owners, strict=True) if owner == name]
        if not mine:
            print(f"  {name}: no copy detected")
            continue
        top, count = Counter(mine).most_common(1)[0]
        print(f"  {name}: {len(mine)}/{pasted[name]} copies with a face found; recall "
              f"{count / pasted[name]:.2f} (largest cluster), purity "
              f"{count / sizes[top]:.2f} ({sizes[top]} faces in it)")
    corpus_clusters = Counter(label for label, owner in zip(labels, owners, strict=True)
                              if owner == "corpus")
    print(f"  corpus faces: {sum(corpus_clusters.values())} in {len(corpus_clusters)} clusters")
    nature = [p.name for p in paths if (p.name < NATURE_BEFORE or p.name >= NATURE_FROM)
              and p.name.split("_")[0] not in PEOPLE]
    with_face = [n for n in nature if n in hits]
    print(f"\nfaces found in {len(with_face)}/{len(nature)} photos of animals, plants, food "
          f"and landscapes ({len(with_face) / max(1, len(nature)):.3f}; upper bound of the "
          f"false-face rate: some show people): {', '.join(with_face)}")
    print(f"faces found in {len(hits)}/{len(paths)} corpus photos in all")
    print(f"\nload average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
