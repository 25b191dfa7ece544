"""Duplicate stacks group re-encoded copies of one picture and leave others alone."""

from __future__ import annotations

from pathlib import Path

from cumberland.analysis.stacks import stack_counts
from cumberland.demo import synthetic_image
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.store.workspace import Workspace


def test_reencoded_copies_form_one_stack(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    picture = synthetic_image(5)
    picture.save(evidence / "a.png")
    picture.save(evidence / "b.jpg", quality=70)
    picture.resize((320, 240)).save(evidence / "c.jpg", quality=90)
    synthetic_image(6).save(evidence / "other.png")
    ws = Workspace(tmp_path / "ws")
    outcome = triage(ws, TriageRequest(sources=[evidence]))
    assert stack_counts(ws, 1) == {"stacks": 1, "stacked_media": 3, "largest": 3}
    assert outcome.summary["stacks"]["stacks"] == 1
