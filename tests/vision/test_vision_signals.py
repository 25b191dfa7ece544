"""OCR and faces as registered signals: computed at triage in the one decode, kept per media,
found by `cumberland search --text` (SQLite FTS5) and `cumberland faces`, recomputed by
`cumberland enrich --signal`, and a damaged model stops a run at its start in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text
from tests.vision.conftest import damage_face_model, triage_case
from typer.testing import CliRunner

from cumberland.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("vision")
    triage_case(base)
    return base


def _rows(base: Path, name: str) -> dict[str, dict[str, object]]:
    from cumberland.store.workspace import Workspace

    ws = Workspace(base / "ws")  # on PostgreSQL when CUMBERLAND_DB says so (tests/pg)
    try:
        with ws.engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT i.path, s.data FROM signals s JOIN items i "
                "ON i.media_sha256 = s.media_sha256 WHERE s.name = :n"), {"n": name}).all()
    finally:
        ws.close()
    return {Path(p).name: (d if isinstance(d, dict) else json.loads(d)) for p, d in rows}


def test_triage_keeps_text_and_faces_only_where_there_are_some(triaged: Path) -> None:
    ocr = _rows(triaged, "ocr")
    assert set(ocr) == {"sign.png"}
    assert "hotel" in str(ocr["sign.png"]["search"]) and ocr["sign.png"]["lines"]
    faces = _rows(triaged, "faces")
    assert set(faces) == {"astronaut.png", "astronaut-crop.jpg"}
    face = faces["astronaut.png"]["faces"][0]  # type: ignore[index]
    assert len(face["landmarks"]) == 5 and face["embedding"] and face["quality"]["overall"] > 0


def test_search_text_finds_the_sign_with_its_word_box(triaged: Path) -> None:
    ws = str(triaged / "ws")
    found = runner.invoke(app, ["search", "--case", "v", "--text", "Hotel", "--json",
                                "--workspace", ws])
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)["hits"]
    assert [Path(h["paths"][0]).name for h in hits] == ["sign.png"]
    assert hits[0]["matches"][0]["text"] == "HOTEL" and len(hits[0]["matches"][0]["box"]) == 4
    folded = runner.invoke(app, ["search", "--case", "v", "--text", "zur*", "--workspace", ws])
    assert folded.exit_code == 0 and "sign.png" in folded.stdout  # diacritics folded, prefix
    none = runner.invoke(app, ["search", "--case", "v", "--text", "station", "--json",
                               "--workspace", ws])
    assert json.loads(none.stdout)["hits"] == []
    empty = runner.invoke(app, ["search", "--case", "v", "--text", "!!", "--workspace", ws])
    assert empty.exit_code != 0 and "no word to search for" in empty.output


def test_faces_groups_the_astronaut_copies_into_one_person(triaged: Path) -> None:
    ws = str(triaged / "ws")
    listed = runner.invoke(app, ["faces", "--case", "v", "--json", "--workspace", ws])
    assert listed.exit_code == 0, listed.output
    persons = json.loads(listed.stdout)["persons"]
    assert len(persons[0]["media"]) == 2  # both copies: one person
    ref = persons[0]["faces"][0]["face"]
    like = runner.invoke(app, ["faces", "--case", "v", "--like", ref, "--json",
                               "--workspace", ws])
    ranked = json.loads(like.stdout)["faces"]
    assert ranked[0]["same_person"] and ranked[0]["sha256"] != ref.split(":")[0]


def test_enrich_recomputes_ocr_only(triaged: Path) -> None:
    done = runner.invoke(app, ["enrich", "--case", "v", "--signal", "ocr", "--workspace",
                               str(triaged / "ws")])
    assert done.exit_code == 0, done.output
    assert "0 of 4 media had missing or stale signals" in done.stdout  # all current


def test_a_damaged_model_stops_triage_at_its_start(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = damage_face_model(tmp_path, monkeypatch)
    result = runner.invoke(app, ["triage", str(tmp_path / "evidence"), "--case", "x",
                                 "--workspace", str(tmp_path / "ws")])
    assert result.exit_code != 0
    assert "model yunet" in result.output and str(damaged) in result.output.replace("\n", "")
    assert not (tmp_path / "ws" / "reports").exists()  # stopped before any item


def test_report_json_holds_the_text_per_media_and_the_face_counts(triaged: Path) -> None:
    report = json.loads((triaged / "ws" / "reports" / "v" / "report.json").read_text())
    assert report["text"]["media"] == 1
    sign = report["text"]["pictures"][0]
    assert Path(sign["path"]).name == "sign.png" and "HOTEL" in sign["text"]
    assert len(sign["lines"][0]["quad"]) == 4
    assert report["faces"] == {"media": 2, "faces": 2, "persons": 1}


def test_the_case_report_lists_the_text_and_the_faces(triaged: Path) -> None:
    from cumberland.reports.pdf import case_report_html
    from cumberland.store import writer
    from cumberland.store.workspace import Workspace

    ws = Workspace(triaged / "ws")
    try:
        html = case_report_html(ws, writer.case_id(ws, "v", create=False))
    finally:
        ws.close()
    assert "Text read in pictures (1)" in html and "HOTEL" in html and "sign.png" in html
    assert "Faces: 2 in 2 picture(s), 1 person(s)" in html
