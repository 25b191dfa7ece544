"""Regions drawn on the upright picture and outlines found in the stored pixels meet the
same pixels under every EXIF orientation (checked against Trace An Object's turns)."""

from __future__ import annotations

import numpy as np
import pytest

from cumberland.intel.trace.crop import upright
from cumberland.matching.upright import box_to_stored, shown_size, to_upright


@pytest.mark.parametrize("orientation", range(1, 9))
def test_points_and_boxes_follow_the_orientation(orientation: int) -> None:
    rng = np.random.default_rng(orientation)
    stored = rng.integers(0, 255, (7, 11, 3), np.uint8)  # 11 wide, 7 high
    shown = upright(stored, orientation)
    assert shown_size((11, 7), orientation) == (shown.shape[1], shown.shape[0])
    for x, y in ((0, 0), (10, 6), (3, 5), (9, 1)):
        [(u, v)] = to_upright([(x + 0.5, y + 0.5)], (11, 7), orientation)
        assert (shown[int(v), int(u)] == stored[y, x]).all()
        bx, by, bw, bh = box_to_stored((u - 0.5, v - 0.5, 1.0, 1.0), (11, 7), orientation)
        assert (bx, by, bw, bh) == (x, y, 1.0, 1.0)
