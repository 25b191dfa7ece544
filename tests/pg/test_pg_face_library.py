"""The face library on PostgreSQL: the key tests of tests/vision/test_face_library.py run
again with the workspace database there, held to the same expectations as on SQLite.

They are bound here in the order they run there (a later one removes a library the earlier
ones match), not imported by name: an import list is kept sorted."""

from __future__ import annotations

import pytest

import vision.test_face_library as on_sqlite

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("workspace_on_postgres")]

loaded = on_sqlite.loaded
test_triage_matches_the_copies_of_the_known_face_only = (
    on_sqlite.test_triage_matches_the_copies_of_the_known_face_only)
test_a_known_victims_face_brings_its_media_forward = (
    on_sqlite.test_a_known_victims_face_brings_its_media_forward)
test_a_csv_library_added_later_is_matched_at_once = (
    on_sqlite.test_a_csv_library_added_later_is_matched_at_once)
test_the_same_face_twice_is_stored_once = on_sqlite.test_the_same_face_twice_is_stored_once
