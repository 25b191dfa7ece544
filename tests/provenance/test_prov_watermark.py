"""dwtDct watermark: found after embedding and after JPEG q98, absent from unmarked images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from prov_helpers import CORPUS, clouds, encode, gradient
from prov_wm_embed import embed

from cumberland.signals.provenance import assess, watermark


@pytest.fixture(scope="module")
def base() -> np.ndarray:
    return clouds(384, 384, seed=1)


def test_thresholds_scale_with_length() -> None:
    assert watermark.thresholds(48) == {"partial": 28, "likely": 34, "very likely": 36}
    assert watermark.thresholds(136) == {"partial": 80, "likely": 97, "very likely": 102}
    assert watermark.thresholds(32) == {"partial": 19, "likely": 23, "very likely": 24}
    assert [watermark.verdict(n, 48) for n in (27, 28, 34, 36)] == [
        "none",
        "partial",
        "likely",
        "very likely",
    ]


@pytest.mark.parametrize("name", sorted(watermark.PATTERNS))
def test_embedded_payload_found_raw_and_after_jpeg_q98(base: np.ndarray, name: str) -> None:
    marked = Image.fromarray(embed(base, watermark.PATTERNS[name]))
    for data in (encode(marked, "PNG"), encode(marked, "JPEG", quality=98)):
        report = assess(data, None)
        f = next(f for f in report.findings if f.signal == watermark.NAME)
        result = f.data["payloads"][name]
        assert result["verdict"] == "very likely", result
        assert report.level == "strong"
        assert any(name in r for r in report.reasons)


def test_unmarked_synthetic_images_not_found() -> None:
    for seed in range(3):
        for image in (
            gradient(320, 300, seed=seed),
            Image.fromarray(clouds(seed=seed + 5)),
            Image.fromarray(
                np.random.default_rng(seed).integers(0, 256, (300, 320, 3), dtype=np.uint8)
            ),
        ):
            report = assess(encode(image, "PNG"), None)
            assert report.level == "none", report.reasons
            f = next(f for f in report.findings if f.signal == watermark.NAME)
            assert all(r["verdict"] in ("none", "partial") for r in f.data["payloads"].values())


def test_small_and_grey_images_are_not_checked() -> None:
    assert watermark.score(gradient(100, 100)) is None
    assert watermark.score(gradient(320, 320, mode="L")) is None


def test_caller_draft_decode_is_redone_at_full_resolution(base: np.ndarray) -> None:
    data = encode(Image.fromarray(embed(base, watermark.PATTERNS["SDXL"])), "JPEG", quality=98)
    draft = Image.open(io.BytesIO(data))
    draft.draft("RGB", (base.shape[1] // 2, base.shape[0] // 2))
    draft.load()
    assert draft.size != (base.shape[1], base.shape[0])
    assert assess(data, draft).level == "strong"


@pytest.mark.shared
def test_corpus_photos_score_in_the_unmarked_range() -> None:
    photos = sorted((CORPUS / "photos").glob("*"))[:150]
    if not photos:
        pytest.skip("shared corpus absent")
    scores = []
    for path in photos:
        result = watermark.score(Image.open(path))
        if result is not None:
            scores.append(result["SDXL"]["agree"])
    assert 20 <= float(np.mean(scores)) <= 29


def test_haar_approximation_matches_pywavelets() -> None:
    import pywt

    plane = np.random.default_rng(4).integers(0, 256, (64, 96), dtype=np.uint8)
    expected, _ = pywt.dwt2(plane, "haar")
    assert np.allclose(watermark.haar_approximation(plane), expected, atol=1e-9)


def test_widths_that_cannot_hold_a_mark_are_skipped() -> None:
    assert watermark.score(Image.fromarray(clouds(388, 384))) is None
