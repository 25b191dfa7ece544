"""Two triage processes writing into one PostgreSQL case at the same time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from cumberland.store.models import Case, Item, Media
from resume.smallfiles import write_tree

pytestmark = pytest.mark.postgres


@pytest.mark.slow
def test_two_ingests_into_one_case_lose_and_duplicate_nothing(
    tmp_path: Path, pg_database: str
) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    total = write_tree(a, 120) + write_tree(b, 120, start=1000)
    env = {**os.environ, "CUMBERLAND_DB": pg_database}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "cumberland", "triage", *map(str, order), "--case", "shared",
             "--workspace", str(tmp_path / f"ws{n}"), "--report-dir", str(tmp_path / f"r{n}"),
             "--workers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        for n, order in enumerate([(a, b), (b, a)])
    ]
    for proc in procs:
        _, stderr = proc.communicate(timeout=300)
        assert proc.returncode == 0, stderr
    engine = create_engine(pg_database)
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Case)) == 1
        paths = conn.scalars(select(Item.path)).all()
        statuses = dict(conn.execute(select(Item.status, func.count()).group_by(Item.status)).all())
        media = conn.scalar(select(func.count()).select_from(Media))
        dangling = conn.scalar(select(func.count()).select_from(Item).where(
            Item.status == "done", Item.media_sha256.is_(None)))
    engine.dispose()
    on_disk = sorted(str(p) for root in (a, b) for p in root.rglob("*") if p.is_file())
    assert sorted(paths) == on_disk and len(paths) == total  # nothing lost, nothing twice
    assert statuses.get("pending", 0) == 0
    assert sum(statuses.values()) == total
    distinct = {p.read_bytes() for root in (a, b) for p in root.rglob("*") if p.is_file()}
    assert media == len(distinct)
    assert dangling == 0
