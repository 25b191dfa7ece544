"""An enrichment killed with SIGKILL and started again redoes only what was not committed
and ends exactly like one that was never interrupted."""

from __future__ import annotations

import io
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cumberland.demo import synthetic_image
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace
from resume.killing import DEADLINE_S, counts, sigkill_when

PICTURES = 520  # three chunks of 256: commits land between the first result and the last


def _current(db: Path) -> int:
    """Media whose thumbnail is at the registry's version again."""
    return counts(db, "SELECT count(*) FROM media WHERE json_extract(signal_versions, "
                      "'$.thumbnail') = 1", 1)[0]


def _command(base: Path) -> list[str]:
    return [sys.executable, "-m", "cumberland", "enrich", "--case", "resume", "--workspace",
            str(base / "ws"), "--report-dir", str(base / "report"), "--workers", "1"]


def _thumbs(base: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in (base / "ws" / "thumbs").rglob("*.jpg")}


def _report(base: Path) -> dict[str, object]:
    report = json.loads((base / "report" / "report.json").read_text())
    report.pop("generated_at")
    return dict(report)


@pytest.mark.slow
def test_sigkilled_enrich_redoes_only_what_was_not_committed(tmp_path: Path) -> None:
    src = tmp_path / "evidence"
    src.mkdir()
    for i in range(PICTURES):
        buf = io.BytesIO()
        synthetic_image(i, (128, 96)).save(buf, "PNG")
        (src / f"p{i:04d}.png").write_bytes(buf.getvalue())
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[src], case="resume", report_dir=tmp_path / "report",
                             settings=Settings(workers=1), workers=1))
    ws.close()
    clean_report, clean_thumbs = _report(tmp_path), _thumbs(tmp_path)
    db = tmp_path / "ws" / "cumberland.db"
    with sqlite3.connect(db) as conn:  # the thumbnail signal as if its version had changed
        conn.execute("UPDATE media SET signal_versions = "
                     "json_set(signal_versions, '$.thumbnail', 0)")
    assert _current(db) == 0

    sigkill_when(_command(tmp_path), lambda: True if 0 < _current(db) < PICTURES else None)
    committed = _current(db)
    assert 0 < committed < PICTURES

    again = subprocess.run(_command(tmp_path), capture_output=True, text=True,
                           timeout=DEADLINE_S)
    assert again.returncode == 0, again.stderr
    redone = re.search(r"computed thumbnail: ([\d,]+) media", again.stdout)
    assert redone, again.stdout
    assert int(redone.group(1).replace(",", "")) == PICTURES - committed  # only the rest
    assert _current(db) == PICTURES
    assert _thumbs(tmp_path) == clean_thumbs
    assert _report(tmp_path) == clean_report
