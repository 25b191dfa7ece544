"""PDQ index: exact recall against brute force, persistence, incremental adds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cumberland.index import pdq
from cumberland.index.pdq import PDQIndex


def _brute(refs: np.ndarray, ids: np.ndarray, queries: np.ndarray, radius: int) -> set:
    bits_r = np.unpackbits(refs, axis=1)
    out = set()
    for qi, q in enumerate(np.unpackbits(queries, axis=1)):
        dist = (bits_r != q).sum(axis=1)
        out |= {(qi, int(ids[j]), int(dist[j])) for j in np.nonzero(dist <= radius)[0]}
    return out


def _near(rng: np.random.Generator, refs: np.ndarray, count: int, max_flips: int) -> np.ndarray:
    """Copies of random refs with 0..max_flips bits flipped, so every radius boundary is hit."""
    picked = np.unpackbits(refs[rng.integers(0, len(refs), count)], axis=1)
    for row in picked:
        row[rng.choice(256, int(rng.integers(0, max_flips + 1)), replace=False)] ^= 1
    return np.packbits(picked, axis=1)


def _found(index: PDQIndex, queries: np.ndarray, radius: int) -> set:
    return {(h.query, h.ref, h.distance) for h in index.search(queries, radius)}


@pytest.fixture()
def refs() -> np.ndarray:
    rng = np.random.default_rng(7)
    base = rng.integers(0, 256, (3_000, 32), dtype=np.uint8)
    # clustered copies make buckets uneven, like real PDQ lists
    return np.concatenate([base, _near(rng, base, 3_000, 20)])


@pytest.mark.parametrize("radius", [0, 10, 31, 40])
def test_multi_index_hashing_has_exact_recall(refs: np.ndarray, radius: int,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdq, "FLAT_LIMIT", 100)  # force the multi-index path on a small set
    ids = np.arange(len(refs), dtype=np.int64) * 3 + 5
    index = PDQIndex(refs, ids)
    assert isinstance(index._main, pdq._MIHSegment)
    queries = _near(np.random.default_rng(radius), refs, 300, 45)
    assert _found(index, queries, radius) == _brute(refs, ids, queries, radius)


@pytest.mark.parametrize("block", [1, 37])
def test_candidates_verified_in_blocks_and_batches(refs: np.ndarray, block: int,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Candidate blocks split probes (and queries) anywhere; none is lost or seen twice."""
    monkeypatch.setattr(pdq, "FLAT_LIMIT", 100)
    monkeypatch.setattr(pdq, "CANDIDATE_BLOCK", block)
    monkeypatch.setattr(pdq, "QUERY_BATCH", 23)
    ids = np.arange(len(refs), dtype=np.int64)
    index = PDQIndex(refs, ids)
    queries = _near(np.random.default_rng(5), refs, 120, 45)
    qi, found, _ = index.search_arrays(queries, 31)
    assert len(set(zip(qi.tolist(), found.tolist(), strict=True))) == len(qi)
    assert _found(index, queries, 31) == _brute(refs, ids, queries, 31)


def test_multi_index_on_large_set_matches_brute_force_sample() -> None:
    rng = np.random.default_rng(1)
    refs = rng.integers(0, 256, (pdq.FLAT_LIMIT + 20_000, 32), dtype=np.uint8)
    ids = np.arange(len(refs), dtype=np.int64)
    index = PDQIndex(refs, ids)
    queries = _near(rng, refs, 200, 40)
    want = _brute(refs, ids, queries, 31)
    assert len(want) >= 100
    assert _found(index, queries, 31) == want


def test_save_load_and_incremental_add(refs: np.ndarray, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdq, "FLAT_LIMIT", 100)
    half = len(refs) // 2
    index = PDQIndex(refs[:half], np.arange(half))
    index.save(tmp_path / "pdq")
    reloaded = PDQIndex.load(tmp_path / "pdq")
    assert len(reloaded) == half
    # small adds stay in the delta and are found at once
    reloaded.add(refs[half:half + 200], np.arange(half, half + 200))
    assert len(reloaded._delta_codes) == 200
    reloaded.save(tmp_path / "pdq")
    again = PDQIndex.load(tmp_path / "pdq")
    # a large add merges into a rebuilt main segment
    again.add(refs[half + 200:], np.arange(half + 200, len(refs)))
    assert len(again._delta_codes) == 0 and len(again) == len(refs)
    queries = _near(np.random.default_rng(3), refs, 200, 35)
    ids = np.arange(len(refs))
    assert _found(again, queries, 31) == _brute(refs, ids, queries, 31)
    assert _found(reloaded, queries, 31) == _brute(refs[:half + 200], ids[:half + 200],
                                                   queries, 31)
    assert isinstance(reloaded._delta, pdq._MIHSegment)  # past FLAT_LIMIT: multi-index too


def test_empty_index_and_empty_queries() -> None:
    index = PDQIndex(np.zeros((0, 32), dtype=np.uint8), np.zeros(0, dtype=np.int64))
    assert index.search(np.zeros((3, 32), dtype=np.uint8), 31) == []
    index.add(np.zeros((1, 32), dtype=np.uint8), np.array([9]))
    assert [h.ref for h in index.search(np.zeros((1, 32), dtype=np.uint8), 0)] == [9]
    with pytest.raises(ValueError):
        PDQIndex(np.zeros((2, 31), dtype=np.uint8), np.arange(2))
