"""Exact digest index: lookups, persistence across reopen, incremental adds and compaction."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cumberland.index import exact
from cumberland.index.exact import ExactIndex


@pytest.mark.parametrize("kind", ["md5", "sha1", "sha256"])
def test_lookup_persist_and_add(tmp_path: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact, "CHUNK", 700)  # several segments, then compaction
    width = exact.WIDTHS[kind]
    rng = np.random.default_rng(4)
    digests = rng.integers(0, 256, (5_000, width), dtype=np.uint8)
    digests[10] = digests[11]  # one digest listed twice (two entries)
    ids = np.arange(5_000, dtype=np.int64) + 100
    index = ExactIndex(tmp_path / kind, kind)
    index.add(digests[:3_000], ids[:3_000], upto=3_099)
    assert len(index.segments) <= exact.MAX_SEGMENTS

    reopened = ExactIndex(tmp_path / kind, kind)
    assert (len(reopened), reopened.upto) == (3_000, 3_099)
    count = reopened.add_stream(((d.tobytes(), int(i)) for d, i in
                                 zip(digests[3_000:], ids[3_000:], strict=True)), upto=5_099)
    assert count == 2_000

    again = ExactIndex(tmp_path / kind, kind)
    queries = np.concatenate([digests[[0, 11, 4_999]],
                              rng.integers(0, 256, (50, width), dtype=np.uint8)])
    qi, found = again.lookup(queries)
    pairs = sorted(zip(qi.tolist(), found.tolist(), strict=True))
    assert pairs == [(0, 100), (1, 110), (1, 111), (2, 5_099)]


def test_empty_index_finds_nothing(tmp_path: Path) -> None:
    qi, found = ExactIndex(tmp_path, "md5").lookup(np.zeros((3, 16), dtype=np.uint8))
    assert len(qi) == len(found) == 0


def test_compaction_merges_in_bounded_blocks(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exact, "CHUNK", 400)
    monkeypatch.setattr(exact, "MERGE_BLOCK", 37)  # many blocks per merge
    rng = np.random.default_rng(9)
    digests = rng.integers(0, 256, (6_000, 32), dtype=np.uint8)
    digests[:300, :8] = 7  # a dense run of equal fences, cut on either side of a merge
    digests[3_000:3_200] = digests[100]  # one digest held 201 times, across segments
    ids = np.arange(6_000, dtype=np.int64)
    index = ExactIndex(tmp_path / "x", "sha256")
    for lo in range(0, 6_000, 1_000):
        index.add(digests[lo:lo + 1_000], ids[lo:lo + 1_000])
    assert len(index.segments) <= exact.MAX_SEGMENTS and len(index) == 6_000
    for segment in index.segments:
        assert (np.diff(segment.fence.astype(np.float64)) >= 0).all()
    qi, found = ExactIndex(tmp_path / "x", "sha256").lookup(digests)
    hits: dict[int, set[int]] = {}
    for q, e in zip(qi.tolist(), found.tolist(), strict=True):
        hits.setdefault(q, set()).add(e)
    same_as_100 = {100, *range(3_000, 3_200)}
    for q in range(6_000):
        assert hits[q] == (same_as_100 if q in same_as_100 else {q}), q
