"""An agency's face library matched at triage and enrich: the gallery holds one copy of
scikit-image's astronaut (folder-labelled) and, from a CSV of embeddings, its cameraman; the
case holds other transformed copies of both among faceless pictures."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from tests.vision.conftest import (
    damage_face_model,
    jpeg,
    plain_background,
    reviewer_client,
    rotate,
)
from typer.testing import CliRunner

from cumberland.cli import app

runner = CliRunner()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    from skimage import data

    from cumberland.settings import Settings
    from cumberland.signals.faces import describe_faces

    base = tmp_path_factory.mktemp("facelib")
    ws = str(base / "ws")
    astronaut = np.ascontiguousarray(data.astronaut())
    camera = np.stack([data.camera()] * 3, axis=-1)
    gallery = base / "gallery"
    (gallery / "Eileen Collins").mkdir(parents=True)
    Image.fromarray(rotate(astronaut, 8)).save(gallery / "Eileen Collins" / "portrait.png")
    Image.fromarray(plain_background(96, 64)).save(gallery / "Eileen Collins" / "empty.png")
    (gallery / "Eileen Collins" / "notes.txt").write_text("not a picture")
    added = runner.invoke(app, ["faces", "library", "add", str(gallery), "--name", "agency",
                                "--label-from", "folder", "--kind", "victims",
                                "--workspace", ws])
    again = _cli("faces", "library", "add", str(gallery), "--name", "agency",
                 "--label-from", "folder", "--workspace", ws)
    evidence = base / "evidence"
    evidence.mkdir()
    Image.fromarray(astronaut[20:300, 100:400]).save(evidence / "astronaut-crop.jpg", quality=85)
    Image.fromarray(np.clip(astronaut * 1.3 + 20, 0, 255).astype(np.uint8)).save(
        evidence / "astronaut-bright.png")
    Image.fromarray(jpeg(rotate(camera, 10), 80)).save(evidence / "camera-tilted.png")
    Image.fromarray(plain_background()).save(evidence / "plain.png")
    Image.fromarray(np.ascontiguousarray(data.chelsea())).save(evidence / "cat.png")
    _cli("triage", str(evidence), "--case", "fl", "--workspace", ws, "--workers", "1")
    reference = describe_faces(camera, Settings()).faces[0].embedding
    assert reference is not None
    table = base / "known.csv"
    table.write_text("label,embedding\n"
                     f"Cameraman,{' '.join(f'{v:.6f}' for v in reference)}\n"
                     "Broken,1 2 3\n")
    return {"base": base, "ws": ws, "added": added, "again": again, "csv": table}


def _persons(ws: str) -> list[dict[str, object]]:
    persons: list[dict[str, object]] = json.loads(
        _cli("faces", "--case", "fl", "--json", "--workspace", ws))["persons"]
    return persons


def test_a_gallery_folder_keeps_one_labelled_face_per_picture(loaded: dict[str, object]
                                                              ) -> None:
    added = loaded["added"]
    assert added.exit_code == 0, added.output  # type: ignore[attr-defined]
    assert "1 face(s) added, 0 already present, 2 note(s)" in added.stdout  # type: ignore[attr-defined]
    assert "empty.png: no face found" in added.output  # type: ignore[attr-defined]
    assert "notes.txt" in added.output  # type: ignore[attr-defined]
    assert "0 face(s) added, 1 already present" in str(loaded["again"])  # the same file again
    listed = json.loads(_cli("faces", "library", "list", "--json", "--workspace",
                             str(loaded["ws"])))["face_libraries"]
    assert [(lib["name"], lib["kind"], lib["faces"], lib["labels"])
            for lib in listed] == [("agency", "victims", 1, 1)]
    import hashlib

    from cumberland.store.workspace import Workspace

    portrait = (Path(str(loaded["base"])) / "gallery" / "Eileen Collins" / "portrait.png")
    sha = hashlib.sha256(portrait.read_bytes()).digest()
    ws = Workspace(Path(str(loaded["ws"])))
    try:  # the gallery's picture is not kept: no copy, no thumbnail
        assert not ws.thumb_path(sha).exists()
        assert not [p for p in ws.root.rglob("*") if p.is_file()
                    and p.stat().st_size == portrait.stat().st_size
                    and hashlib.sha256(p.read_bytes()).digest() == sha]
    finally:
        ws.close()


def test_triage_matches_the_copies_of_the_known_face_only(loaded: dict[str, object]) -> None:
    from cumberland.settings import Settings

    ws = str(loaded["ws"])
    persons = _persons(ws)
    eileen = [p for p in persons if p["library"]]
    assert len(eileen) == 1 and len(eileen[0]["media"]) == 2  # type: ignore[arg-type]
    matches = eileen[0]["library"]
    assert {(m["library"], m["label"]) for m in matches} == {("agency", "Eileen Collins")}  # type: ignore[union-attr]
    assert all(m["distance"] < Settings().face_library_distance for m in matches)  # type: ignore[union-attr]
    assert len(persons) == 2  # the cameraman, not in this library, has no match
    text = _cli("faces", "--case", "fl", "--workspace", ws)
    assert "in face library agency (victims): Eileen Collins (distance" in text
    report = json.loads((Path(ws) / "reports" / "fl" / "report.json").read_text())
    media = report["face_library"]["media"]
    assert report["face_library"]["libraries"] == ["agency"]
    assert sorted(Path(m["path"]).name for m in media) == ["astronaut-bright.png",
                                                          "astronaut-crop.jpg"]
    assert media[0]["faces"][0]["label"] == "Eileen Collins"
    assert media[0]["faces"][0]["kind"] == "victims"


VICTIM = "a face matches a known victim (face library)"
OFFENDER = "a face matches a known offender (face library)"


def _queue(ws_path: str) -> list[tuple[str, int, str]]:
    """The case's review queue in review order: (file name, priority, reasons)."""
    from sqlalchemy import select

    from cumberland.store.models import Item, ReviewEntry
    from cumberland.store.workspace import Workspace

    ws = Workspace(Path(ws_path))
    try:
        with ws.engine.connect() as conn:
            rows = conn.execute(select(Item.path, ReviewEntry.priority, ReviewEntry.reasons)
                                .join(Item, Item.id == ReviewEntry.item_id)
                                .order_by(ReviewEntry.priority, Item.path)).all()
    finally:
        ws.close()
    return [(Path(r[0]).name, int(r[1]), r[2]) for r in rows]


def test_a_known_victims_face_brings_its_media_forward(loaded: dict[str, object]) -> None:
    """The two copies of the victims' library face are reviewed first, saying why, in the
    queue, report.json and the grid's tooltip; the other media keep their place."""
    from cumberland.analysis.priority import BASE
    from cumberland.settings import PriorityWeights

    ws = str(loaded["ws"])
    queue = _queue(ws)
    forward = BASE - PriorityWeights().known_victim
    assert queue[:2] == [("astronaut-bright.png", forward, "unknown,known_victim"),
                         ("astronaut-crop.jpg", forward, "unknown,known_victim")]
    assert {p for _, p, _ in queue[2:]} == {BASE}  # the cameraman's library is not loaded yet
    report = json.loads((Path(ws) / "reports" / "fl" / "report.json").read_text())
    assert report["face_library"]["kinds"] == {"agency": "victims"}
    assert {(m["priority"], tuple(m["reasons"])) for m in report["face_library"]["media"]} == {
        (forward, ("unknown to every hash set", VICTIM))}


def test_the_html_and_pdf_reports_list_the_known_faces(loaded: dict[str, object]) -> None:
    """report.html (written by triage) and the PDF's HTML: one row per matched face, with its
    media's path, library, the library's kind, label and distance; no image of any kind."""
    import re

    from cumberland.reports.pdf import case_report_html
    from cumberland.store.workspace import Workspace

    ws = Workspace(Path(str(loaded["ws"])))
    try:
        printed = case_report_html(ws, 1)
    finally:
        ws.close()
    written = (ws.root / "reports" / "fl" / "report.html").read_text()
    for html in (written, printed):
        section = html.split("<h2>Known faces (2)</h2>")[1].split("<h2>")[0]
        rows = re.findall(r"<tr><td><code>[^<]*(astronaut-\w+\.\w+)</code></td><td>agency</td>"
                          r"<td>victims</td><td>Eileen Collins</td><td class=\"n\">0\.\d{3}</td>"
                          r"</tr>", section)
        assert sorted(rows) == ["astronaut-bright.png", "astronaut-crop.jpg"]
        assert "<img" not in section and "camera-tilted" not in section
        assert "(agency: victims; " in section  # the libraries loaded, with their kinds


def test_the_persons_pages_show_the_library_label(loaded: dict[str, object]) -> None:
    from cumberland.store.workspace import Workspace

    ws = Workspace(Path(str(loaded["ws"])))
    try:
        client, case = reviewer_client(ws, "fl", "fay")
        page = client.get(f"/cases/{case}/persons")
        assert page.status_code == 200
        assert page.text.count('data-kind="victims"') == 1  # the library's kind, said
        assert page.text.count("agency (victims): Eileen Collins") == 1
        assert page.text.count('class="face-crop"') >= 3  # crops blurred (not revealed)
        number = 1 if "agency" in page.text.split("person 2")[0] else 2
        person = client.get(f"/cases/{case}/persons/{number}")
        assert 'id="library-matches"' in person.text
        assert person.text.count("agency (victims): Eileen Collins (") == 3  # summary, 2 faces
        report = json.loads((ws.root / "reports" / "fl" / "report.json").read_text())
        known = report["face_library"]["media"][0]["sha256"]
        viewer = client.get(f"/cases/{case}/media/{known}").text  # its facts: the match
        table = viewer.split('id="known-faces"')[1].split("</table>")[0]
        assert "Known faces (1)" in viewer and "<th>kind</th>" in table
        assert "<td>agency</td><td>victims</td><td>Eileen Collins</td>" in table
        import hashlib

        cat = hashlib.sha256((Path(str(loaded["base"])) / "evidence" / "cat.png").read_bytes())
        faceless = client.get(f"/cases/{case}/media/{cat.hexdigest()}")
        assert faceless.status_code == 200 and 'id="known-faces"' not in faceless.text
        grid = client.get(f"/cases/{case}/review").text  # the tiles' tooltips say why
        assert grid.count(f'title="Priority: unknown to every hash set; {VICTIM}"') == 2
        assert grid.index(known) < grid.index(cat.hexdigest())
    finally:
        ws.close()


def test_a_csv_library_added_later_is_matched_at_once(loaded: dict[str, object]) -> None:
    """Adding a library after triage matches the case's faces and ranks their media again
    before the command returns; adding the same CSV again stores nothing twice; enrich then
    finds the same."""
    from cumberland.analysis.priority import BASE
    from cumberland.settings import PriorityWeights

    ws = str(loaded["ws"])
    weights = PriorityWeights()
    victim, offender = BASE - weights.known_victim, BASE - weights.known_offender
    ranked = [(victim, "unknown,known_victim"), (victim, "unknown,known_victim"),
              (offender, "unknown,known_offender")]  # victims first, then the offender
    assert [row[1:] for row in _queue(ws)[:3]] != ranked
    added = runner.invoke(app, ["faces", "library", "add", str(loaded["csv"]), "--name",
                                "archive", "--kind", "offenders", "--workspace", ws])
    assert added.exit_code == 0, added.output
    assert "1 face(s) added, 0 already present, 1 note(s); 1 case face(s) matched" \
        in added.stdout and "row 3: an embedding has 128 numbers, not 3" in added.output
    queue = _queue(ws)  # no enrich yet: the camera's media moved forward at once
    assert [row[1:] for row in queue[:3]] == ranked and queue[2][0] == "camera-tilted.png"
    again = _cli("faces", "library", "add", str(loaded["csv"]), "--name", "archive",
                 "--workspace", ws)
    assert "0 face(s) added, 1 already present, 1 note(s); 0 case face(s) matched" in again
    listed = json.loads(_cli("faces", "library", "list", "--json", "--workspace", ws))
    assert {lib["name"]: lib["faces"] for lib in listed["face_libraries"]} == {
        "agency": 1, "archive": 1}
    labels = sorted(m["label"] for p in _persons(ws) for m in p["library"])  # type: ignore[attr-defined]
    assert labels == ["Cameraman", "Eileen Collins", "Eileen Collins"]  # matched once each
    _cli("enrich", "--case", "fl", "--workspace", ws)  # no signal stale: faces matched again
    assert sorted(m["label"] for p in _persons(ws)
                  for m in p["library"]) == labels  # type: ignore[attr-defined]
    assert [row[1:] for row in _queue(ws)[:3]] == ranked
    gallery = str(Path(str(loaded["base"])) / "gallery")  # the agency says: offenders after all
    _cli("faces", "library", "add", gallery, "--name", "agency", "--label-from", "folder",
         "--kind", "offenders", "--workspace", ws)
    assert [row[1:] for row in _queue(ws)[:3]] == [(offender, "unknown,known_offender")] * 3
    _cli("faces", "library", "remove", "agency", "--actor", "lab", "--workspace", ws)
    assert sorted(m["label"] for p in _persons(ws)
                  for m in p["library"]) == ["Cameraman"]  # type: ignore[attr-defined]
    queue = _queue(ws)  # rebuilt at once: the victims' matches are gone with their library
    assert queue[0] == ("camera-tilted.png", offender, "unknown,known_offender")
    assert {p for _, p, _ in queue[1:]} == {BASE}
    gone = runner.invoke(app, ["faces", "library", "remove", "agency", "--workspace", ws])
    assert gone.exit_code != 0 and "no face library named 'agency'" in gone.output
    _assert_audited(ws, str(loaded["base"]))


def _assert_audited(ws_path: str, base: str) -> None:
    """Who added or removed which library, from where, with what counts; the chain holds."""
    from sqlalchemy import select

    from cumberland.store import audit
    from cumberland.store.models import AuditEntry
    from cumberland.store.workspace import Workspace

    ws = Workspace(Path(ws_path))
    try:
        with ws.engine.connect() as conn:
            rows = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target,
                                       AuditEntry.details)
                                .where(AuditEntry.action.like("face-library-%"))
                                .order_by(AuditEntry.id)).all()
        assert audit.verify(ws).ok
    finally:
        ws.close()
    gallery = str((Path(base) / "gallery").resolve())
    assert [tuple(r) for r in rows] == [
        ("cli", "face-library-add", "agency",
         {"origin": gallery, "kind": "victims", "added": 1, "already": 0, "notes": 2,
          "matched": 0}),  # added before triage: no case face yet
        ("cli", "face-library-add", "agency",
         {"origin": gallery, "kind": "victims", "added": 0, "already": 1, "notes": 2,
          "matched": 0}),
        ("cli", "face-library-add", "archive",
         {"origin": str((Path(base) / "known.csv").resolve()), "kind": "offenders",
          "added": 1, "already": 0, "notes": 1, "matched": 1}),
        ("cli", "face-library-add", "archive",
         {"origin": str((Path(base) / "known.csv").resolve()), "kind": "offenders",
          "added": 0, "already": 1, "notes": 1, "matched": 0}),
        ("cli", "face-library-add", "agency",
         {"origin": gallery, "kind": "offenders", "added": 0, "already": 1, "notes": 2,
          "matched": 0, "kind_was": "victims"}),
        ("lab", "face-library-remove", "agency", {"origin": gallery, "faces": 1})]


def test_the_same_face_twice_is_stored_once(tmp_path: Path) -> None:
    """One embedding under two labels in a CSV, then the CSV again: one face stored, the
    others counted as already there, the clash of labels noted."""
    numbers = " ".join(f"{v:.4f}" for v in np.linspace(-0.2, 0.2, 128))
    table = tmp_path / "twice.csv"
    table.write_text(f"label,embedding\nJane,{numbers}\nJ. Doe,{numbers}\n")
    ws = str(tmp_path / "ws")
    added = runner.invoke(app, ["faces", "library", "add", str(table), "--name", "t",
                                "--workspace", ws])
    assert added.exit_code == 0, added.output
    assert "1 face(s) added, 1 already present, 1 note(s)" in added.stdout
    assert "row 3: the same face is in the library already, as 'Jane'" in added.output
    assert "0 face(s) added, 2 already present" in _cli(
        "faces", "library", "add", str(table), "--name", "t", "--workspace", ws)
    listed = json.loads(_cli("faces", "library", "list", "--json", "--workspace", ws))
    assert [(lib["faces"], lib["labels"]) for lib in listed["face_libraries"]
            if lib["name"] == "t"] == [(1, 1)]


def test_bad_sources_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = str(tmp_path / "ws")
    table = tmp_path / "wrong.csv"
    table.write_text("name,vector\nx,1\n")
    wrong = runner.invoke(app, ["faces", "library", "add", str(table), "--name", "w",
                                "--workspace", ws])
    assert wrong.exit_code != 0 and "needs the columns label and embedding" in wrong.output
    damage_face_model(tmp_path, monkeypatch)
    result = runner.invoke(app, ["faces", "library", "add", str(tmp_path / "evidence"),
                                 "--name", "g",
                                 "--workspace", ws])
    assert result.exit_code != 0 and "model yunet" in result.output
    assert len(result.output.strip().splitlines()) <= 3  # one line (wrapped at most)
    missing = runner.invoke(app, ["faces", "--workspace", ws])
    assert missing.exit_code != 0 and "--case is required" in missing.output
