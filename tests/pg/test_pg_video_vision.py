"""Faces and text of video keyframes on PostgreSQL: the key tests of
tests/vision/test_video_vision.py run again with the workspace database there."""

from __future__ import annotations

import pytest

from vision.test_video_vision import (  # noqa: F401  (re-collected here, against PostgreSQL)
    test_a_video_face_is_cropped_from_its_own_keyframe,
    test_text_is_read_on_the_keyframe_that_shows_it,
    test_the_video_face_clusters_with_the_picture_of_the_same_face,
    triaged,
)

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("workspace_on_postgres")]
