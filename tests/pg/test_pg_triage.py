"""The demo end-to-end expectations, run again with the workspace database on PostgreSQL.

The tests and the ``demo_run`` fixture are imported from ``e2e.test_triage_demo`` so both
back ends are held to one set of expectations; ``CUMBERLAND_DB`` routes every Workspace and
CLI invocation of this module to a fresh PostgreSQL database.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from cumberland.store.models import Item
from e2e.test_triage_demo import (  # noqa: F401  (re-collected here, against PostgreSQL)
    demo_run,
    test_case_and_hashset_listing,
    test_counts_are_exact,
    test_evidence_is_untouched,
    test_html_report_written_without_media,
    test_items_jsonl_streams_every_item,
    test_matches_are_exact_and_perceptual,
    test_problems_have_reasons,
    test_rerun_is_idempotent_and_skips_unchanged_sets,
)

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module", autouse=True)
def _on_postgres(pg_database: str) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CUMBERLAND_DB", pg_database)
        yield


@pytest.mark.usefixtures("demo_run")
def test_workspace_really_is_postgres(pg_database: str, demo_tree: Path) -> None:
    on_disk = sum(len(files) for _, _, files in os.walk(demo_tree / "seized"))
    engine = create_engine(pg_database)
    with engine.connect() as conn:
        assert conn.dialect.name == "postgresql"
        assert conn.scalar(select(func.count()).select_from(Item)) == on_disk
    engine.dispose()
