"""Text search (tsvector) and persons on PostgreSQL: the vision tests run again with the
workspace database there, held to the same expectations as on SQLite (FTS5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from vision.test_vision_signals import (  # noqa: F401  (re-collected here, against PostgreSQL)
    test_enrich_recomputes_ocr_only,
    test_faces_groups_the_astronaut_copies_into_one_person,
    test_report_json_holds_the_text_per_media_and_the_face_counts,
    test_search_text_finds_the_sign_with_its_word_box,
    test_triage_keeps_text_and_faces_only_where_there_are_some,
    triaged,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", autouse=True)
def _on_postgres(pg_database: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CUMBERLAND_DB", pg_database)
        yield
