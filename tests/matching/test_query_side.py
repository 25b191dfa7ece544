"""Query-side variants are hashed in the single ingest decode; matching never decodes again."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from cumberland.demo import synthetic_image
from cumberland.matching import case as case_matching
from cumberland.matching import query
from cumberland.matching.library import add_library
from cumberland.matching.robust import query_variants, variants_from_groups
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.signals.image import decode_image
from cumberland.signals.pdq import (
    HashGroup,
    groups_from_json,
    groups_to_json,
    hamming,
    pdq_from_rgb,
    query_groups,
)
from cumberland.signals.registry import describe
from cumberland.store.workspace import Workspace

ORIGINAL = synthetic_image(2)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


def _padded(image: Image.Image) -> Image.Image:
    w, h = image.size
    back = Image.new("RGB", (w + w // 5, h + h // 5), (0, 0, 0))
    back.paste(image, (w // 10, h // 10))
    return back


def _variants(data: bytes) -> tuple[list[HashGroup], tuple[bytes, int]]:
    """The ``pdq-variants`` and ``pdq`` signals of one file."""
    outputs = describe(data, Settings(), {"pdq", "pdq-variants"})
    plain, varied = outputs["pdq"], outputs["pdq-variants"]
    assert plain is not None and plain.pdq is not None
    return (groups_from_json(varied.data) if varied and varied.data else []), plain.pdq


def test_decode_yields_dihedral_unpadded_and_region_hashes() -> None:
    variants, pdq = _variants(_png(_padded(ORIGINAL)))
    views = [g.view for g in variants]
    assert views == ["pdq", "pdq-unpadded", "pdq-region", "pdq-region"]
    assert all(len(g.hashes) == 8 for g in variants)
    whole = variants[0]
    assert (whole.hashes[0], whole.quality) == pdq
    # a rotated copy's own hash is far from the plain hash, near a stored dihedral variant
    rotated = pdq_from_rgb(np.asarray(_padded(ORIGINAL).rotate(90, expand=True)))[0]
    assert hamming(rotated, whole.hashes[0]) > 31
    assert min(hamming(rotated, h) for h in whole.hashes[1:]) <= 31
    # the unpadded view is close to the unpadded original
    assert hamming(variants[1].hashes[0], pdq_from_rgb(np.asarray(ORIGINAL))[0]) <= 31


def test_no_border_no_unpadded_view_and_flat_images_get_none() -> None:
    views = [g.view for g in _variants(_png(ORIGINAL))[0]]
    assert views == ["pdq", "pdq-region", "pdq-region"]
    flat, (_, quality) = _variants(_png(Image.new("RGB", (300, 200), (90, 90, 90))))
    assert quality < Settings().pdq_min_quality and flat == []


def test_groups_round_trip_through_json_and_match_query_variants() -> None:
    rgb = np.asarray(_padded(ORIGINAL))
    groups = query_groups(rgb)
    assert groups_from_json(groups_to_json(groups)) == groups
    assert variants_from_groups(groups, regions=True) == query_variants(rgb, regions=True)
    plain = variants_from_groups(groups, regions=False)
    assert {v.method for v in plain} == {"pdq", "pdq-dihedral", "pdq-unpadded"}


@pytest.fixture
def no_decode(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Records every read of a query's pixels (the re-decode stored variants avoid)."""
    reads: list[bytes] = []
    real = query.query_pixels

    def record(ws: Workspace, sha256: bytes, settings: Settings) -> np.ndarray | None:
        reads.append(sha256)
        return real(ws, sha256, settings)

    monkeypatch.setattr(query, "query_pixels", record)
    monkeypatch.setattr(case_matching, "query_pixels", record)
    return reads


def test_regime_a_matches_from_stored_variants_without_decoding(
        tmp_path: Path, no_decode: list[bytes]) -> None:
    evidence, sets = tmp_path / "evidence", tmp_path / "sets"
    evidence.mkdir()
    sets.mkdir()
    ORIGINAL.rotate(90, expand=True).save(evidence / "rot90.png")
    ImageOps.mirror(ORIGINAL).save(evidence / "mirror.png")
    _padded(ORIGINAL).save(evidence / "pad.png")
    synthetic_image(60).save(evidence / "unrelated.png")
    pdq = pdq_from_rgb(np.asarray(ORIGINAL))[0].hex()
    (sets / "list.txt").write_text(f"{pdq},100,known.jpg\n")
    ws = Workspace(tmp_path / "ws")
    result = triage(ws, TriageRequest(sources=[evidence], alert_sets=[sets / "list.txt"]))
    methods = {Path(m["path"]).name: m["method"] for m in result.summary["matches"]}
    assert methods == {"rot90.png": "pdq-dihedral", "mirror.png": "pdq-dihedral",
                       "pad.png": "pdq-unpadded"}
    assert no_decode == []


def test_regime_b_reads_pixels_only_to_verify_candidates(
        tmp_path: Path, no_decode: list[bytes]) -> None:
    lib, evidence = tmp_path / "lib", tmp_path / "evidence"
    lib.mkdir()
    evidence.mkdir()
    for seed in range(3):
        synthetic_image(seed).save(lib / f"ref{seed}.png")
    ORIGINAL.rotate(90, expand=True).save(evidence / "rot90.png")
    w, h = ORIGINAL.size
    ORIGINAL.crop((int(w * .05), 0, w, h)).save(evidence / "crop-side.png")
    ws = Workspace(tmp_path / "ws")
    add_library(ws, lib, "refs")
    result = triage(ws, TriageRequest(sources=[evidence], libraries=["refs"]))
    matches = {Path(m["path"]).name: m for m in result.summary["matches"]}
    assert matches["rot90.png"]["method"] == "pdq-dihedral"
    assert matches["crop-side.png"]["method"] == "local-features"
    assert matches["crop-side.png"]["evidence"]["inliers"] >= 25
    # only the candidate that keypoints had to confirm was read again
    assert [d.hex() for d in no_decode] == [matches["crop-side.png"]["sha256"]]


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_pixels_read_again_are_the_pixels_ingest_hashed(fmt: str) -> None:
    from cumberland.signals.image import decode_pixels

    big = ORIGINAL.resize((2400, 1800))
    out = io.BytesIO()
    big.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    settings = Settings()
    ingest = decode_image(out.getvalue(), settings)
    again = decode_pixels(out.getvalue(), settings)
    assert np.array_equal(again, ingest.rgb)  # same draft scale, same conversion
    assert (fmt == "JPEG") == (min(again.shape[:2]) < 1800)  # a JPEG decoded at reduced scale
