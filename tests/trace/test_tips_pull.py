"""Tips from the site back into the case: linked to the object and its picture, kept once,
near-duplicates marked, states and notes audited, moved out of the tips database, exported
for the partner country; the same from an exported file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sqlalchemy import select
from starlette.testclient import TestClient
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.intel.trace.objects import Draft, add_object, approve
from cumberland.intel.trace.publish import publish
from cumberland.intel.trace.tips import normalised
from cumberland.settings import Settings
from cumberland.store.models import AuditEntry
from cumberland.tips.db import TipsDb, read_tips
from cumberland.tips.server import TipsApp

from .conftest import MUG, Scene
from .tipsite import TIPS_URL, encoded, tip_form

runner = CliRunner()
SETTINGS = Settings()


def run(scene: Scene, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--workspace", str(scene.ws.root)],
                           env={"COLUMNS": "250"})
    return result.exit_code, result.output


def published(scene: Scene, site: Path) -> str:
    obj = add_object(scene.ws, Draft(case=scene.case, media=scene.sha256, region=MUG,
                                     title="Red mug", category="packaging"), "ivan", SETTINGS)
    approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "looked: no face")
    publish(scene.ws, [scene.case], site, TIPS_URL, "anna", SETTINGS, pow_bits=8)
    return obj.public_id


def send(site: Path, db: Path, tips: list[tuple[str, str, str]]) -> None:
    tips_db = TipsDb(db)
    client = TestClient(TipsApp(site, tips_db), follow_redirects=False)
    for object_id, text, contact in tips:
        answer = client.post("/tip", content=encoded(tip_form(object_id, text, contact=contact)),
                             headers={"content-type": "application/x-www-form-urlencoded"})
        assert answer.status_code == 303, answer.text
    tips_db.close()


def actions(scene: Scene) -> list[str]:
    with scene.ws.engine.connect() as conn:
        return list(conn.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_normalised_text() -> None:
    assert normalised("  Sold at  MÉGA-Store, Lyon!! ") == normalised("sold at mega store lyon")


def test_a_tip_from_the_site_appears_in_the_case(scene: Scene, tmp_path: Path) -> None:
    site, db = tmp_path / "site", tmp_path / "tips" / "tips.db"
    public_id = published(scene, site)
    send(site, db, [
        (public_id, "This mug is sold at the Stella shop in Lyon, rue Mercière.", "a@b.example"),
        (public_id, "this mug is sold at the stella shop in lyon rue merciere", ""),  # same
        (public_id, "This mug is sold at the Stella shop in Lyon, rue Merciere!!", ""),
        (public_id, "I have the same one, bought in Ghent in 2019.", ""),
    ])
    code, out = run(scene, "tips", "pull", "--db", str(db), "--case", scene.case,
                    "--user", "ivan")
    assert code == 0, out
    assert "2 new tip(s), 2 duplicate(s)" in out and "4 moved out" in out
    assert read_tips(db) == []  # moved, not copied
    code, out = run(scene, "tips", "list", "--case", scene.case, "--json")
    rows = json.loads(out)
    assert [r["text"][:12] for r in rows] == ["This mug is ", "this mug is ", "This mug is ",
                                             "I have the s"]
    first = rows[0]
    assert first["object"] == public_id and first["media"] == scene.sha256
    assert first["contact"] == "a@b.example" and first["state"] == "new"
    assert [r["duplicate_of"] for r in rows] == [None, first["uid"], first["uid"], None]
    code, out = run(scene, "tips", "state", first["uid"], "useful", "--user", "ivan")
    assert code == 0, out
    code, out = run(scene, "tips", "state", first["uid"], "great", "--user", "ivan")
    assert code == 2 and "state must be one of" in out
    code, out = run(scene, "tips", "state", first["uid"], "passed-on", "--user", "rita")
    assert code == 2 and "may not trace" in out
    code, out = run(scene, "tips", "note", first["uid"], "Shop confirmed by phone",
                    "--user", "olga")
    assert code == 0, out
    assert actions(scene)[-3:] == ["tips-pull", "tip-state", "tip-note"]
    code, out = run(scene, "tips", "list", "--case", scene.case, "--csv")
    table = list(csv.DictReader(io.StringIO(out)))
    assert table[0]["state"] == "useful" and table[0]["notes"] == "olga: Shop confirmed by phone"
    code, out = run(scene, "tips", "list", "--case", scene.case, "--object", public_id)
    assert code == 0 and "useful" in out


def test_pulling_twice_keeps_each_tip_once(scene: Scene, tmp_path: Path) -> None:
    site, db = tmp_path / "site", tmp_path / "tips" / "tips.db"
    public_id = published(scene, site)
    send(site, db, [(public_id, "Seen in a café in Antwerp", "")])
    out_file = tmp_path / "export.jsonl"
    result = runner.invoke(app, ["tips", "export", "--db", str(db), "--out", str(out_file)])
    assert result.exit_code == 0 and "1 tip(s)" in result.output
    for _ in range(2):
        code, out = run(scene, "tips", "pull", "--file", str(out_file), "--case", scene.case,
                        "--user", "ivan")
        assert code == 0, out
    assert "0 new tip(s), 0 duplicate(s), 1 pulled before" in out
    code, out = run(scene, "tips", "pull", "--db", str(db), "--case", scene.case,
                    "--user", "ivan")
    assert "1 pulled before" in out and "1 moved out" in out
    code, out = run(scene, "tips", "list", "--case", scene.case, "--json")
    assert len(json.loads(out)) == 1


def test_bad_exports_and_tips_for_other_cases(scene: Scene, tmp_path: Path) -> None:
    site = tmp_path / "site"
    public_id = published(scene, site)
    good = {"uid": "a" * 32, "object": public_id, "lang": "en", "received": "2026-12-01T10:00Z",
            "text": "Seen in Bruges", "contact": None, "lane": "pow"}
    lines = [good, {**good, "uid": "b" * 32, "object": "otherotherother2"},
             {**good, "uid": "c" * 32, "text": "x" * 6000}, {**good, "uid": "nope"}]
    export = tmp_path / "in.jsonl"
    export.write_text("".join(json.dumps(line) + "\n" for line in lines))
    code, out = run(scene, "tips", "pull", "--file", str(export), "--case", scene.case,
                    "--user", "ivan")
    assert code == 0, out
    assert "1 new tip(s)" in out and "1 for other cases" in out
    assert "skipped: tip cccccccc" in out and "skipped: no uid" in out
    export.write_text("not json\n")
    code, out = run(scene, "tips", "pull", "--file", str(export), "--case", scene.case,
                    "--user", "ivan")
    assert code == 2 and "not a tips export" in out
    code, out = run(scene, "tips", "pull", "--case", scene.case, "--user", "ivan")
    assert code == 2 and "--db" in out
    code, out = run(scene, "tips", "pull", "--db", str(scene.ws.root / "cumberland.db"),
                    "--case", scene.case, "--user", "ivan")
    assert code == 2 and "case workspace" in out
