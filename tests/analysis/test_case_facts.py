"""One account of a case's numbers: report.json, report.html, the PDF's page, the web
dashboard and `case list --json` agree, on a case with unknown non-image media, media
matching both an alert and a known-good set, and media nobody assessed."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from sqlalchemy import update
from typer.testing import CliRunner

from cumberland.analysis.facts import NOT_ASSESSED, case_facts
from cumberland.cli import app
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.reports.files import write_reports
from cumberland.reports.pdf import case_report_html
from cumberland.reports.summary import case_summary
from cumberland.store.models import Media
from cumberland.store.workspace import Workspace
from cumberland.web.routes_cases import dashboard_counts
from sources.evidence_kit import jpeg, video


def _sums(path: Path, contents: list[bytes]) -> Path:
    path.write_text("".join(f"{hashlib.sha256(c).hexdigest()}  f{i}\n"
                            for i, c in enumerate(contents)))
    return path


def _card(html: str, label: str) -> int:
    found = re.search(rf"<b>([\d,]+)</b>\s*{re.escape(label)}", html)
    assert found, label
    return int(found.group(1).replace(",", ""))


def test_every_surface_gives_the_same_numbers(tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    pictures = [jpeg(seed) for seed in range(1, 7)]
    for i, data in enumerate(pictures):
        (seized / f"p{i}.jpg").write_bytes(data)
    video(seized / "clip.mp4", [8, 9], fps=4)  # an unknown video
    (seized / "notes.txt").write_bytes(b"a shopping list\n")  # other, matches nothing
    (seized / "driver.dll").write_bytes(b"MZ benign known-good bytes")  # known-good other
    (seized / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")  # unknown, unassessed
    alert = _sums(tmp_path / "alert.sha256", [pictures[0], pictures[1]])
    ignore = _sums(tmp_path / "good.sha256",
                   [pictures[1], pictures[2], b"MZ benign known-good bytes"])
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[seized], case="c", alert_sets=[alert],
                             ignore_sets=[ignore]))
    with ws.engine.begin() as conn:  # a picture ingested before provenance ran
        conn.execute(update(Media).where(Media.sha256 == hashlib.sha256(pictures[5]).digest())
                     .values(ai_level=None))

    facts = case_facts(ws, 1)
    # p0 and p1 alert (p1 is on the known-good list too: the alert wins), p2 and the DLL
    # known-good, p3..p5, the video and the broken JPEG unknown, the text other
    assert (facts.alert, facts.known_good, facts.unknown, facts.other) == (2, 2, 5, 1)
    assert facts.alert + facts.known_good + facts.unknown + facts.other == facts.unique_media
    assert facts.ai_levels[NOT_ASSESSED] == 2  # the broken JPEG and the unassessed picture
    assert sum(facts.ai_levels.values()) == facts.by_kind["image"]

    summary = case_summary(ws, 1)
    json_path, html_path = write_reports(summary, tmp_path / "report")
    report = json.loads(json_path.read_text())
    assert (report["matched_media"], report["known_good"], report["unknown_media"],
            report["other_media"]) == (facts.alert, facts.known_good, facts.unknown, facts.other)
    assert report["ai_levels"] == facts.ai_levels and report["stacks"] == facts.stacks
    assert report["items"] == facts.items and report["by_kind"] == facts.by_kind

    for html in (html_path.read_text(), case_report_html(ws, 1)):  # report.html, the PDF's
        assert _card(html, "media matching alert sets") == facts.alert
        assert _card(html, "known-good media") == facts.known_good
        assert _card(html, "unknown images/videos") == facts.unknown

    board = dashboard_counts(ws, 1)
    assert board["by_match"] == {"alert match": facts.alert, "known good": facts.known_good,
                                 "unknown": facts.unknown, "other": facts.other}
    assert board["by_ai"] == facts.ai_levels and board["by_status"] == facts.items
    assert board["by_kind"] == facts.by_kind

    listed = CliRunner().invoke(app, ["case", "list", "--json", "--workspace",
                                      str(tmp_path / "ws")])
    assert listed.exit_code == 0, listed.output
    row = json.loads(listed.stdout.splitlines()[0])
    assert row["case"] == "c" and row["facts"] == facts.to_dict()
    ws.close()
