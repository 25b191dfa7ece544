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


def test_weak_mark_after_jpeg_q90_still_read_from_all_blocks() -> None:
    """After q90 only ~56% of block votes agree: the decoder must use all of them (no early
    exit on the first blocks, which would read chance)."""
    pattern = watermark.PATTERNS["SDXL"]
    marked = Image.fromarray(embed(clouds(512, 512, seed=2), pattern))
    image = Image.open(io.BytesIO(encode(marked, "JPEG", quality=90)))
    u = watermark.u_pixels(image)
    assert u is not None
    votes = watermark.block_votes(u)
    expected = pattern[np.arange(votes.size) % pattern.size]
    assert float(np.mean(votes == expected)) < 0.6
    result = watermark.score(image)
    assert result is not None and result["SDXL"]["verdict"] == "very likely", result


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


def reference_votes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The published decoder's float pipeline for the U channel (cv2 YUV, pywt Haar, abs),
    with a mask of blocks whose value sits on a cell edge (a multiple of 18), where the
    reference's float rounding, not the pixels, picks the vote."""
    import cv2
    import pywt

    rows, cols = rgb.shape[:2]
    u = cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV)[: rows // 4 * 4, : cols // 4 * 4, 1]
    approx, _ = pywt.dwt2(u.astype(np.float64), "haar")
    br, bc = approx.shape[0] // 4, approx.shape[1] // 4
    votes, edge = [], []
    for n in range(br * bc):
        i, j = divmod(n, bc)
        flat = approx[i * 4 : i * 4 + 4, j * 4 : j * 4 + 4].reshape(-1)
        value = abs(flat[int(np.argmax(np.abs(flat[1:]))) + 1])
        votes.append(int(value % 36 > 18))
        edge.append(abs(value / 18 - round(value / 18)) < 1e-9)
    return np.asarray(votes, dtype=np.uint8), np.asarray(edge)


@pytest.mark.parametrize("height", [256, 301, 397])
def test_integer_votes_equal_the_reference_pipeline(height: int) -> None:
    rng = np.random.default_rng(height)
    images = [
        rng.integers(0, 256, (height, 264, 3), dtype=np.uint8),
        clouds(264, height, seed=height),
        embed(clouds(264, height, seed=height + 1), watermark.PATTERNS["SDV2"]),
    ]
    for rgb in images:
        for image in (Image.fromarray(rgb), Image.open(io.BytesIO(
                encode(Image.fromarray(rgb), "JPEG", quality=98)))):
            u = watermark.u_pixels(image)
            assert u is not None
            expected, edge = reference_votes(np.asarray(image))
            votes = watermark.block_votes(u)
            assert votes.shape == expected.shape
            assert np.array_equal(votes[~edge], expected[~edge])
            assert edge.mean() < 0.05


def test_widths_that_cannot_hold_a_mark_are_skipped() -> None:
    assert watermark.score(Image.fromarray(clouds(388, 384))) is None


def test_likely_counts_as_weak_and_very_likely_as_strong() -> None:
    """A "likely" SDXL read happens by chance about once in a thousand unmarked pictures, so
    it must not outrank camera material as strong evidence."""
    likely = {"bits": 48, "agree": 35, "verdict": "likely"}
    very = {"bits": 48, "agree": 36, "verdict": "very likely"}
    partial = {"bits": 48, "agree": 30, "verdict": "partial"}
    assert watermark.evidence_level("SDXL", likely) == "weak"
    assert watermark.evidence_level("SDXL", very) == "strong"
    assert watermark.evidence_level("SDXL", partial) == "none"
    short = {"bits": 32, "agree": 24, "verdict": "very likely"}  # SDV2 needs 26 of 32
    assert watermark.evidence_level("SDV2", short) == "weak"
