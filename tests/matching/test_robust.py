"""The robust cascade finds rotated, mirrored, padded and cropped copies, not other pictures.

Each regime is tested as matching/case.py runs it: (b) the query's stored variants searched
at the verification radius, then ``robust.confirm``; (a) through triage against a PDQ list
(``match_pdq``: the plain hash, then the stored variants of what it missed)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter, ImageOps

from cumberland.demo import synthetic_image
from cumberland.matching import robust
from cumberland.matching.library import LibraryError, add_library
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.signals.pdq import hamming, pdq_from_rgb, query_groups
from cumberland.store.workspace import Workspace


def _pad(image: Image.Image, share: float, blurred: bool) -> Image.Image:
    w, h = image.size
    pw, ph = int(w * share / 2), int(h * share / 2)
    size = (w + 2 * pw, h + 2 * ph)
    back = (image.resize(size).filter(ImageFilter.GaussianBlur(20)) if blurred
            else Image.new("RGB", size, (0, 0, 0)))
    back.paste(image, (pw, ph))
    return back


ORIGINAL = synthetic_image(2)
W, H = ORIGINAL.size
ALTERED = {
    "rot90": (ORIGINAL.rotate(90, expand=True), {"pdq-dihedral"}),
    "mirror": (ImageOps.mirror(ORIGINAL), {"pdq-dihedral"}),
    "pad": (_pad(ORIGINAL, 0.2, False), {"pdq-unpadded", "pdq-region"}),
    "pad-blurred": (_pad(ORIGINAL, 0.2, True), {"pdq-region"}),
    "crop-corner": (ORIGINAL.crop((int(W * .2), int(H * .2), W, H)), {"pdq-region"}),
    "crop-side": (ORIGINAL.crop((int(W * .05), 0, W, H)), {"local-features"}),
}


@pytest.fixture(scope="module")
def refs() -> tuple[robust.ReferenceHashes, dict[int, robust.Features]]:
    refs, variants, feats = [], [], {}
    for seed in range(8):
        rgb = np.asarray(synthetic_image(seed))
        for v in robust.reference_variants(rgb):
            refs.append(seed)
            variants.append(v)
        feats[seed] = robust.features(rgb)
    return robust.ReferenceHashes(refs, variants, 50), feats


def _library(refs: tuple[robust.ReferenceHashes, dict[int, robust.Features]],
             image: Image.Image) -> dict[int, robust.Found]:
    """Regime (b) as match_libraries runs it on one query."""
    rgb = np.asarray(image.convert("RGB"))
    stored = robust.variants_from_groups(query_groups(rgb, regions=True), regions=True)
    found = refs[0].search_many([stored], robust.VERIFY_RADIUS, 50, True)[0]
    read: list[int] = []

    def pixels() -> np.ndarray:  # type: ignore[type-arg]
        read.append(1)
        return rgb

    matched = robust.confirm(found, 31, pixels, (),
                             lambda ids: {i: refs[1][i] for i in ids if i in refs[1]})
    out = {f.ref: f for f in matched}
    # the query's pixels are read only for loose candidates keypoints must confirm
    assert bool(read) == bool(robust.to_verify(found, 31))
    return out


@pytest.mark.parametrize("name", list(ALTERED))
def test_regime_b_finds_altered_copy_with_its_method(refs, name: str) -> None:  # type: ignore[no-untyped-def]
    image, methods = ALTERED[name]
    found = _library(refs, image)
    assert list(found) == [2]
    assert found[2].method in methods
    if found[2].method == "local-features":
        assert (found[2].inliers or 0) >= robust.MIN_INLIERS


def test_regime_a_uses_query_side_variants(tmp_path: Path) -> None:
    """A hash-only PDQ list holding the original: match_pdq finds the rotated, mirrored and
    padded copies by their stored variants, and nothing for an unrelated picture."""
    digest, quality = pdq_from_rgb(np.asarray(ORIGINAL))
    listed = tmp_path / "known.pdq"
    listed.write_text(f"{digest.hex()},{quality},original.png\n")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name in ("rot90", "mirror", "pad"):
        ALTERED[name][0].save(evidence / f"{name}.png")
    synthetic_image(100).save(evidence / "unrelated.png")
    result = triage(Workspace(tmp_path / "ws"),
                    TriageRequest(sources=[evidence], alert_sets=[listed]))
    methods = {Path(m["path"]).name: m["method"] for m in result.summary["matches"]}
    assert methods == {"rot90.png": "pdq-dihedral", "mirror.png": "pdq-dihedral",
                       "pad.png": "pdq-unpadded"}


def test_unrelated_picture_does_not_match(refs) -> None:  # type: ignore[no-untyped-def]
    for seed in (100, 101, 102):
        assert _library(refs, synthetic_image(seed)) == {}


def test_unpad_removes_solid_border_only() -> None:
    rgb = np.asarray(_pad(ORIGINAL, 0.2, False))
    inner = robust.unpad(rgb)[0]
    assert abs(inner.shape[1] - W) <= 8 and abs(inner.shape[0] - H) <= 8
    assert robust.unpad(np.asarray(ORIGINAL)) == []


def test_unpad_finds_a_blurred_border() -> None:
    rng = np.random.default_rng(4)  # a textured picture: detail reaches its edges
    coarse = Image.fromarray(rng.integers(0, 256, (24, 32, 3), dtype=np.uint8))
    fine = rng.normal(0, 12, (240, 320, 3))
    picture = Image.fromarray(np.clip(np.asarray(coarse.resize(
        (320, 240), Image.Resampling.BICUBIC)) + fine, 0, 255).astype(np.uint8))
    canvas = picture.resize((400, 300)).filter(ImageFilter.GaussianBlur(24))
    canvas.paste(picture, (50, 30))
    original, _ = pdq_from_rgb(np.asarray(picture))
    assert hamming(original, pdq_from_rgb(np.asarray(canvas))[0]) > 31  # plain PDQ misses it
    views = robust.unpad(np.asarray(canvas))
    assert views, "the blurred border is found"
    assert min(hamming(original, pdq_from_rgb(v)[0]) for v in views) <= 31
    assert robust.unpad(np.asarray(picture)) == []


def test_library_and_triage_report_methods(tmp_path: Path) -> None:
    lib, evidence = tmp_path / "lib", tmp_path / "evidence"
    lib.mkdir()
    evidence.mkdir()
    for seed in range(4):
        synthetic_image(seed).save(lib / f"ref{seed}.png")
    (lib / "broken.png").write_bytes(b"\x89PNG not really")
    for name in ("rot90", "mirror", "crop-corner"):
        ALTERED[name][0].save(evidence / f"{name}.png")
    synthetic_image(50).save(evidence / "unrelated.png")
    ws = Workspace(tmp_path / "ws")
    out = add_library(ws, lib, "refs", category=1, category_scheme="demo")
    assert (out.added, len(out.problems)) == (4, 1)
    assert add_library(ws, lib, "refs").added == 0  # incremental: nothing new
    with pytest.raises(LibraryError):
        triage(ws, TriageRequest(sources=[evidence], libraries=["nope"]))
    result = triage(ws, TriageRequest(sources=[evidence], libraries=["refs"],
                                      report_dir=tmp_path / "report"))
    matches = {Path(m["path"]).name: m for m in result.summary["matches"]}
    assert set(matches) == {"rot90.png", "mirror.png", "crop-corner.png"}
    assert matches["rot90.png"]["method"] == "pdq-dihedral"
    assert matches["crop-corner.png"]["method"] == "pdq-region"
    assert all(m["hashset"] == "refs" and m["category"] == 1 and m["category_scheme"] == "demo"
               for m in matches.values())
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["matches"][0]["evidence"]["distance"] <= 31


@pytest.mark.parametrize("colour", [(255, 0, 0), (0, 0, 255), (20, 200, 90)])
def test_unpad_removes_saturated_coloured_border(colour: tuple[int, int, int]) -> None:
    w, h = ORIGINAL.size
    pw, ph = w // 10, h // 10
    padded = Image.new("RGB", (w + 2 * pw, h + 2 * ph), colour)
    padded.paste(ORIGINAL, (pw, ph))
    inner = robust.unpad(np.asarray(padded))[0]
    assert abs(inner.shape[1] - w) <= 8 and abs(inner.shape[0] - h) <= 8
    original, _ = pdq_from_rgb(np.asarray(ORIGINAL))
    unpadded, _ = pdq_from_rgb(inner)
    assert hamming(original, unpadded) <= 31
