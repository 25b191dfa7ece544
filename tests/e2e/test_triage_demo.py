"""End to end on the demo evidence: exact counts, exact and PDQ matches, known-good
filtering, error accounting, and the evidence left exactly as it was."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace

runner = CliRunner()


def _snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            path = Path(dirpath) / name
            st = path.lstat()
            out[str(path)] = (hashlib.sha256(path.read_bytes()).hexdigest(), st.st_mtime_ns,
                              st.st_ctime_ns)
    return out


def _request(tree: Path, report: Path) -> TriageRequest:
    sets = tree / "hashsets"
    return TriageRequest(
        sources=[tree / "seized"], case="demo",
        alert_sets=[sets / "known-vics2.json", sets / "known-pdq.txt"],
        ignore_sets=[sets / "nsrl-known-good.txt"], report_dir=report,
        settings=Settings(workers=2, chunk_size=4),
    )


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory: pytest.TempPathFactory, demo_tree: Path) -> dict[str, Any]:
    before = _snapshot(demo_tree)
    base = tmp_path_factory.mktemp("run")
    ws = Workspace(base / "ws")
    outcome = triage(ws, _request(demo_tree, base / "report"))
    ws.close()
    return {"summary": outcome.summary, "before": before, "base": base,
            "report": json.loads((base / "report" / "report.json").read_text())}


def _rel(path: str) -> str:
    return path.split("/seized/", 1)[1]


def test_counts_are_exact(demo_run: dict[str, Any], demo_tree: Path) -> None:
    r = demo_run["report"]
    on_disk = sum(len(files) for _, _, files in os.walk(demo_tree / "seized"))
    assert r["files_seen"] == on_disk == 24
    assert r["items"] == {"done": 22, "skipped": 1, "error": 1, "encrypted": 0}
    assert sum(r["items"].values()) == on_disk
    assert r["unique_media"] == 21
    assert r["by_type"] == {"application/x-empty": 1, "image/jpeg": 11, "image/png": 8,
                            "text/plain": 1}
    assert r["known_good"] == 2
    assert r["extension_mismatches"] == 1
    # 18 image media; 6 match an alert set; the icon is known-good -> 11 unknown images.
    assert r["unknown_media"] == 11


def test_ai_levels_are_counted_and_carried(demo_run: dict[str, Any]) -> None:
    r = demo_run["report"]
    # broken.jpg does not decode, so it is not assessed; the 4 EXIF originals are camera-like.
    assert r["ai_levels"] == {"camera-metadata": 4, "declared-ai": 1, "none": 12, "strong": 1,
                              "not assessed": 1}


def test_matches_are_exact_and_perceptual(demo_run: dict[str, Any]) -> None:
    got = {(_rel(m["path"]), m["hashset"], m["method"], m["category"]) for m in
           demo_run["report"]["matches"]}
    assert got == {
        ("DCIM/100DEMO/IMG_0001.JPG", "known-vics2.json", "md5", 1),
        ("Pictures/copies/holiday.jpg", "known-vics2.json", "md5", 1),
        ("Pictures/shapes/shape_4.png", "known-vics2.json", "sha1", 2),
        ("Pictures/copies/shape_4 copy.png", "known-vics2.json", "sha1", 2),
        ("Pictures/shapes/shape_8.jpg", "known-vics2.json", "sha1", 1),
        ("Backup/2024/05/shape_8.jpg", "known-vics2.json", "sha1", 1),
        ("Downloads/resized_11.jpg", "known-vics2.json", "pdq", 3),
        ("DCIM/100DEMO/IMG_0003.JPG", "known-pdq.txt", "pdq", None),
        ("Downloads/cropped_2.jpg", "known-pdq.txt", "pdq", None),
        ("Downloads/reencoded_10.jpg", "known-pdq.txt", "pdq", None),
    }
    for m in demo_run["report"]["matches"]:
        assert set(m) >= {"path", "sha256", "hashset", "method", "distance", "category",
                          "category_scheme"}
        if m["method"] == "pdq":
            assert 0 <= m["distance"] <= 31
        else:
            assert m["distance"] is None
        if m["hashset"] == "known-vics2.json":
            assert m["category_scheme"] == "vics-us"


def test_problems_have_reasons(demo_run: dict[str, Any]) -> None:
    problems = {_rel(p["path"]): (p["status"], p["reason"]) for p in
                demo_run["report"]["problems"]}
    assert problems["Downloads/empty.jpg"] == ("skipped", "empty file")
    status, reason = problems["Downloads/broken.jpg"]
    assert status == "error" and reason.startswith("corrupt image")


def test_evidence_is_untouched(demo_run: dict[str, Any], demo_tree: Path) -> None:
    assert _snapshot(demo_tree) == demo_run["before"]


def test_html_report_written_without_media(demo_run: dict[str, Any]) -> None:
    html = (demo_run["base"] / "report" / "report.html").read_text()
    assert "Case demo" in html
    assert "<img" not in html


def test_rerun_is_idempotent_and_skips_unchanged_sets(demo_run: dict[str, Any],
                                                      demo_tree: Path) -> None:
    ws = Workspace(demo_run["base"] / "ws")
    outcome = triage(ws, _request(demo_tree, demo_run["base"] / "report2"))
    ws.close()
    assert all(i.unchanged for i in outcome.imports)
    again = outcome.summary
    first = demo_run["summary"]
    for key in ("files_seen", "items", "unique_media", "known_good", "unknown_media"):
        assert again[key] == first[key]
    assert len(again["matches"]) == len(first["matches"])


def test_items_jsonl_streams_every_item(demo_run: dict[str, Any]) -> None:
    result = runner.invoke(app, ["items", "--case", "demo", "--jsonl",
                                 "--workspace", str(demo_run["base"] / "ws")])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 24
    levels = {Path(r["path"]).name: r["ai_level"] for r in rows}
    assert levels["bicycle.png"] == "strong"
    assert levels["declared.jpg"] == "declared-ai"
    assert levels["IMG_0002.JPG"] == "camera-metadata"
    assert {"path", "status", "reason", "sha256", "type", "matches"} <= set(rows[0])
    holiday = next(r for r in rows if r["path"].endswith("copies/holiday.jpg"))
    assert holiday["matches"][0]["method"] == "md5"
    assert holiday["type"] == "image/jpeg"


def test_case_and_hashset_listing(demo_run: dict[str, Any]) -> None:
    ws = str(demo_run["base"] / "ws")
    cases = runner.invoke(app, ["case", "list", "--json", "--workspace", ws])
    assert cases.exit_code == 0
    assert [json.loads(line)["case"] for line in cases.stdout.splitlines()] == ["demo"]
    sets = runner.invoke(app, ["hashset", "list", "--json", "--workspace", ws])
    assert sets.exit_code == 0
    listed = {json.loads(line)["name"]: json.loads(line) for line in sets.stdout.splitlines()}
    assert listed["known-vics2.json"]["entries"] == 5
    assert listed["known-vics2.json"]["purpose"] == "alert"
    assert listed["nsrl-known-good.txt"]["purpose"] == "ignore"
    # a known-good NSRL list is a filter: its digests live in an index, not a row each
    assert (listed["nsrl-known-good.txt"]["storage"], listed["nsrl-known-good.txt"]["entries"],
            listed["nsrl-known-good.txt"]["sha256_of"]) == ("index", 2, "file")
    assert listed["known-vics2.json"]["storage"] == "entries"
    assert listed["known-pdq.txt"]["entries"] == 2


def test_inspect_prints_every_signal(demo_tree: Path) -> None:
    target = demo_tree / "seized" / "Pictures" / "generated" / "bicycle.png"
    result = runner.invoke(app, ["inspect", str(target), "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["ai_level"] == "strong"
    assert info["type"] == "image/png"
    prov = info["signals"]["provenance"]
    finding = next(f for f in prov["findings"] if f["signal"] == "generator-metadata")
    assert finding["data"]["generator"] == "AUTOMATIC1111"
    assert finding["data"]["prompt"].startswith("a red bicycle")
    human = runner.invoke(app, ["inspect", str(target)])
    assert human.exit_code == 0
    assert "AUTOMATIC1111" in human.stdout
    assert "red bicycle" not in human.stdout  # prompt text only in --json / item detail
