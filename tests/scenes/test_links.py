"""Scene links (matching/scenes.link_pictures): after the first candidates, each picture
nominates more outside the group it is already linked to, which is how a shot the first
candidates missed joins."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pytest

from cumberland.matching import scenes as sc
from cumberland.signals.local_features import Keypoints, detect
from scenes.scene_kit import scene, warp

# each doc's words "prefer" these others, best first (0, 1, 2: shots of one room; 3 another)
ORDER = {0: [1, 2, 3], 1: [0, 2, 3], 2: [3, 0, 1], 3: [2, 0, 1]}


@pytest.fixture(scope="module")
def pictures() -> dict[int, sc.Picture]:
    room = scene(1)
    rgbs = [warp(room, 20 + i)[0] for i in range(3)] + [scene(5)]
    out = {}
    for d, rgb in enumerate(rgbs):
        kp: Keypoints = detect(rgb)
        out[d] = (kp, (rgb.shape[1], rgb.shape[0]))
    return out


def links(pictures: dict[int, sc.Picture], expand: int) -> tuple[dict[tuple[int, int], int],
                                                                  list[tuple[int, int]]]:
    asked: list[tuple[int, int]] = []

    def nominate(d: int, kp: Keypoints, k: int, out: Collection[int]) -> list[int]:
        chosen = [c for c in ORDER[d] if c not in out][:k]
        asked.extend((d, c) for c in chosen)
        return chosen

    found = sc.link_pictures(list(pictures), lambda ds: {d: pictures[d] for d in ds},
                             nominate, np.arange(4, dtype=np.int64), candidates=1,
                             expand=expand)
    return found, asked


def test_more_candidates_outside_the_group_join_a_missed_shot(
        pictures: dict[int, sc.Picture]) -> None:
    alone, _ = links(pictures, expand=0)
    assert set(alone) == {(0, 1)}  # 2 nominated only the other room
    found, asked = links(pictures, expand=1)
    assert {(0, 2), (1, 2)} <= set(found) and all(3 not in pair for pair in found)
    # the second round leaves out each picture's group and the pictures tried against it
    assert asked == [(0, 1), (1, 0), (2, 3), (3, 2), (0, 2), (1, 2), (2, 0), (3, 0)]
