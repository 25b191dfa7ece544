"""Members of a disk image are items like any other: listed as pending items with their
locators, fingerprinted in chunks by any worker, checkpointed per transaction. A triage
SIGKILLed while the image's members are being fingerprinted, then started again, redoes
only the members that were not committed (counted) and ends like an uninterrupted run."""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.records import Task
from cumberland.store import writer
from resume.killing import counts, sigkill_when
from resume.smallfiles import write_tree
from resume.test_resume_sigkill import _result
from sources.evidence_kit import e01, need, run

FILES = 1500


def _command(image: Path, base: Path) -> list[str]:
    return ["triage", str(image), "--case", "resume", "--workspace", str(base / "ws"),
            "--report-dir", str(base / "report"), "--workers", "1"]


def _members(db: Path) -> tuple[int, ...]:
    """(members listed, members no longer pending)."""
    return counts(db, "SELECT count(*), coalesce(sum(status != 'pending'), 0) FROM items "
                      "WHERE parent_id IS NOT NULL", 2)


@pytest.fixture(scope="module")
def image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    need("mke2fs")
    work = tmp_path_factory.mktemp("image")
    write_tree(work / "tree", FILES)
    raw = work / "fs.img"
    run("mke2fs", "-q", "-F", "-t", "ext4", "-N", "4096", "-d", work / "tree", raw, "24M")
    return e01(raw, tmp_path_factory.mktemp("seized") / "phone")


def _kill_while_members_run(image: Path, base: Path) -> int:
    db = base / "ws" / "cumberland.db"

    def some_done() -> int | None:
        listed, finished = _members(db)
        return finished if listed >= FILES and 0 < finished < listed else None

    return sigkill_when([sys.executable, "-m", "cumberland", *_command(image, base)], some_done)


@pytest.mark.slow
def test_killed_while_fingerprinting_members_redoes_only_uncommitted_ones(
        image: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean, resumed = tmp_path / "clean", tmp_path / "resumed"
    done = CliRunner().invoke(app, _command(image, clean))
    assert done.exit_code == 0, done.output

    finished_at_kill = _kill_while_members_run(image, resumed)
    listed, finished = _members(resumed / "ws" / "cumberland.db")
    assert finished == finished_at_kill and 0 < finished < listed
    with sqlite3.connect(resumed / "ws" / "cumberland.db") as conn:
        located = conn.execute("SELECT count(*) FROM items WHERE parent_id IS NOT NULL "
                               "AND locator IS NOT NULL").fetchone()[0]
    assert located == listed  # every member was listed with its locator before any ran

    redone: list[int] = []
    pending_tasks = writer.pending_tasks

    def counted(*args: object, **kwargs: object) -> Iterator[list[Task]]:
        for chunk in pending_tasks(*args, **kwargs):  # type: ignore[arg-type]
            redone.extend(t.item_id for t in chunk)
            yield chunk

    monkeypatch.setattr(writer, "pending_tasks", counted)
    again = CliRunner().invoke(app, _command(image, resumed))
    assert again.exit_code == 0, again.output
    assert len(redone) == len(set(redone)) == listed - finished  # nothing committed redone

    clean_report, clean_items = _result(clean)
    resumed_report, resumed_items = _result(resumed)
    assert clean_report["files_seen"] == FILES + 1  # the image and every file in it
    assert resumed_report == clean_report
    assert resumed_items == clean_items
