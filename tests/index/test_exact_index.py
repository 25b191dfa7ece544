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
