"""The objects commands, end to end on a workspace: add, list, approve, publish, withdraw."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cumberland.cli import app

from .conftest import MUG, Scene

runner = CliRunner()


def run(scene: Scene, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, [*args, "--workspace", str(scene.ws.root)],
                           env={"COLUMNS": "250"})
    return result.exit_code, result.output


@pytest.mark.usefixtures("no_detector")  # so the override path is taken
def test_objects_commands(scene: Scene, tmp_path: Path) -> None:
    code, out = run(scene, "objects", "add", "--case", scene.case, "--media", scene.sha256,
                    "--region", MUG, "--polygon", "320,430 800,440 790,860 330,850",
                    "--fill", "blur", "--title", "Red mug", "--category", "packaging",
                    "--hint", "Where is this mug sold?", "--language", "en", "--user", "ivan")
    assert code == 0, out
    public_id = out.split()[1]
    assert "faces: unavailable" in out and "no face detector" in out
    code, out = run(scene, "objects", "list", "--case", scene.case, "--json")
    (row,) = json.loads(out)
    assert row["id"] == public_id and row["state"] == "candidate" and row["fill"] == "blur"
    code, out = run(scene, "objects", "approve", public_id, "--user", "anna")
    assert code == 2 and "no face detector" in out
    code, out = run(scene, "objects", "approve", public_id, "--user", "ivan")
    assert code == 2 and "may not approve" in out
    code, out = run(scene, "objects", "approve", public_id, "--user", "anna", "--override-faces",
                    "--note", "looked: a mug, no face")
    assert code == 0, out
    site = tmp_path / "site"
    code, out = run(scene, "objects", "publish", "--case", scene.case, "--out", str(site),
                    "--tips-url", "http://127.0.0.1:9/tip")
    assert code == 0 and "published 1 object(s)" in out, out
    assert public_id in (site / "objects.json").read_text()
    code, out = run(scene, "objects", "list", "--case", scene.case)
    assert code == 0 and public_id in out and "overridden" in out
    code, out = run(scene, "objects", "withdraw", public_id, "--user", "ivan")
    assert code == 0, out
    code, out = run(scene, "objects", "publish", "--case", scene.case, "--out", str(site),
                    "--tips-url", "http://127.0.0.1:9/tip")
    assert code == 0 and "published 0 object(s)" in out
    assert public_id not in (site / "objects.json").read_text()
    code, out = run(scene, "objects", "add", "--case", scene.case, "--media", scene.sha256,
                    "--region", "1,2,3", "--title", "x", "--category", "toy", "--user", "ivan")
    assert code == 2 and "region must be x,y,w,h" in out
