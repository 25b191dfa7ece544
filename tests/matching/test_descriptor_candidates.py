"""Descriptor votes nominate references that PDQ does not bring near (20 % crop + pad)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cumberland.demo import synthetic_image
from cumberland.matching import descriptors, robust
from cumberland.matching.descriptors import DescriptorIndex
from cumberland.matching.library import add_library, descriptors_path
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.store.workspace import Workspace

TARGET = 17


def _crop_then_pad(image: Image.Image) -> Image.Image:
    """20 % cut off the left and top, then 20 % of textured border (coarse random blocks, which
    no border removal takes away) on the right and bottom."""
    w, h = image.size
    cropped = image.crop((w // 5, h // 5, w, h))
    cw, ch = cropped.size
    size = (cw + cw // 5, ch + ch // 5)
    blocks = np.random.default_rng(3).integers(0, 256, (size[1] // 8 + 1, size[0] // 8 + 1, 3),
                                                 dtype=np.uint8)
    canvas = Image.fromarray(blocks).resize((blocks.shape[1] * 8, blocks.shape[0] * 8),
                                            Image.Resampling.NEAREST).crop((0, 0, *size))
    canvas.paste(cropped, (0, 0))
    return canvas


@pytest.mark.slow
def test_crop_and_pad_found_by_local_features_unrelated_not(tmp_path: Path) -> None:
    lib, evidence = tmp_path / "lib", tmp_path / "evidence"
    lib.mkdir()
    evidence.mkdir()
    for seed in range(50):
        synthetic_image(seed).save(lib / f"ref{seed}.png")
    altered = _crop_then_pad(synthetic_image(TARGET))
    altered.save(evidence / "altered.png")
    synthetic_image(500).save(evidence / "unrelated.png")
    # the hash stages alone do not find it: what the descriptor stage is for
    refs, variants = [], []
    for seed in range(50):
        for v in robust.reference_variants(np.asarray(synthetic_image(seed))):
            refs.append(seed)
            variants.append(v)
    hashes = robust.ReferenceHashes(refs, variants, 50)
    found = hashes.search(robust.query_variants(np.asarray(altered), True), 31, 50, True)
    assert robust.settle(found, 31) == []

    ws = Workspace(tmp_path / "ws")
    assert add_library(ws, lib, "refs").added == 50
    path = descriptors_path(ws, 1)
    assert path.is_file()  # persisted beside the keypoints, reused by the triage below
    built = path.stat().st_mtime_ns
    result = triage(ws, TriageRequest(sources=[evidence], libraries=["refs"]))
    matches = result.summary["matches"]
    assert [Path(m["path"]).name for m in matches] == ["altered.png"]
    match = matches[0]
    assert match["method"] == "local-features"
    assert match["known_name"] == f"ref{TARGET}.png"
    assert match["evidence"]["inliers"] >= robust.MIN_INLIERS
    assert match["evidence"]["votes"] >= 1
    assert path.stat().st_mtime_ns == built
    # a library that grows gets its index rebuilt with the new image's descriptors
    synthetic_image(60).save(lib / "ref60.png")
    assert add_library(ws, lib, "refs").added == 1
    owners = DescriptorIndex.load(path)
    assert owners is not None and len(set(owners.owners.tolist())) == 51


@pytest.mark.parametrize("flat_limit", [descriptors.FLAT_LIMIT, 100])
def test_index_votes_for_the_owner_of_shared_descriptors(
        flat_limit: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(descriptors, "FLAT_LIMIT", flat_limit)  # 100: the IVF index
    feats = {seed: robust.features(np.asarray(synthetic_image(seed))) for seed in range(5)}
    index = DescriptorIndex.build((seed, f.descriptors) for seed, f in feats.items())
    index.save(tmp_path / "d.faissb")
    reloaded = DescriptorIndex.load(tmp_path / "d.faissb")
    assert reloaded is not None
    query = robust.features(np.asarray(_crop_then_pad(synthetic_image(3))))
    votes = reloaded.votes(query.descriptors)
    assert votes.most_common(1)[0][0] == 3
    assert DescriptorIndex.build([]).votes(query.descriptors) == {}
