"""A triage killed with SIGKILL mid-ingest and started again ends exactly like one that
was never interrupted: same report (minus its timestamp), same items, in the same order."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from resume.killing import DEADLINE_S, counts, sigkill_when
from resume.smallfiles import write_tree

FILES = 300


def _command(src: Path, base: Path) -> list[str]:
    return [sys.executable, "-m", "cumberland", "triage", str(src), "--case", "resume",
            "--workspace", str(base / "ws"), "--report-dir", str(base / "report"),
            "--workers", "1"]


def _progress(db: Path) -> tuple[int, ...]:
    """(items enumerated, items no longer pending)."""
    return counts(db, "SELECT count(*), coalesce(sum(status != 'pending'), 0) FROM items", 2)


def _kill_mid_ingest(src: Path, base: Path) -> int:
    """Start a triage, SIGKILL its whole process group once some but not all items are done.
    Returns how many items were finished when it died."""
    db = base / "ws" / "cumberland.db"

    def some_done() -> int | None:
        total, finished = _progress(db)
        return finished if total == FILES and 0 < finished < FILES else None

    return sigkill_when(_command(src, base), some_done)


def _result(base: Path) -> tuple[dict[str, Any], list[str]]:
    report = json.loads((base / "report" / "report.json").read_text())
    report.pop("generated_at")
    items = CliRunner().invoke(app, ["items", "--case", "resume", "--jsonl",
                                     "--workspace", str(base / "ws")])
    assert items.exit_code == 0, items.output
    return report, items.stdout.splitlines()


@pytest.mark.slow
def test_sigkilled_run_resumes_to_the_uninterrupted_result(tmp_path: Path) -> None:
    src = tmp_path / "evidence"
    write_tree(src, FILES)
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    subprocess.run(_command(src, clean), check=True, capture_output=True, timeout=DEADLINE_S)

    finished_at_kill = _kill_mid_ingest(src, resumed)
    assert 0 < finished_at_kill < FILES
    assert not (resumed / "report" / "report.json").exists()
    again = subprocess.run(_command(src, resumed), capture_output=True, text=True,
                           timeout=DEADLINE_S)
    assert again.returncode == 0, again.stderr

    clean_report, clean_items = _result(clean)
    resumed_report, resumed_items = _result(resumed)
    assert clean_report["files_seen"] == FILES
    assert resumed_report == clean_report
    assert resumed_items == clean_items
    assert _progress(resumed / "ws" / "cumberland.db") == (FILES, FILES)
