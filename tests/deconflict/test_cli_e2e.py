"""Two agencies deconflict end to end from the command line, after real triage runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.demo import synthetic_image

runner = CliRunner()


def _evidence(folder: Path, seeds: range) -> None:
    folder.mkdir(parents=True)
    for seed in seeds:
        synthetic_image(seed).save(folder / f"landscape_{seed}.png")


def cli(*args: str | Path) -> str:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def two_agencies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("agencies")
    _evidence(root / "seized-a", range(1, 7))
    _evidence(root / "seized-b", range(4, 10))
    for name, case in (("a", "op-alder"), ("b", "op-birch")):
        ws = root / f"ws-{name}"
        cli("triage", root / f"seized-{name}", "--case", case, "-w", ws, "--workers", "1")
        cli("deconflict", "init", "--agency", f"Agency {name.upper()}", "-w", ws)
        cli("deconflict", "export-key", "--out", root / f"{name}.pub", "-w", ws)
    cli("deconflict", "trust", root / "b.pub", "-w", root / "ws-a")
    cli("deconflict", "trust", root / "a.pub", "-w", root / "ws-b")
    cli("deconflict", "approve", "--case", "op-alder", "-w", root / "ws-a")
    cli("deconflict", "release", "--case", "op-birch", "--reference", "B/2025/17",
        "--contact", "vid-desk@agency-b.example", "-w", root / "ws-b")
    return root


@pytest.mark.slow
def test_request_respond_finish(two_agencies: Path) -> None:
    root = two_agencies
    out = cli("deconflict", "request", "--case", "op-alder", "--out", root / "req.bin",
              "--to", "Agency B", "-w", root / "ws-a")
    assert "6 media" in out
    out = cli("deconflict", "respond", root / "req.bin", "--out", root / "resp.bin",
              "-w", root / "ws-b")
    assert "answered Agency A's 6 elements over 6 held media" in out
    out = cli("deconflict", "finish", root / "resp.bin", "--case", "op-alder", "--json",
              "-w", root / "ws-a")
    result = json.loads(out)
    assert result["held"] == 3 and result["asked"] == 6
    items = [json.loads(line) for line in cli("items", "--case", "op-alder", "--jsonl",
                                              "-w", root / "ws-a").splitlines()]
    shared = {i["sha256"] for i in items if i["path"].rsplit("_", 1)[-1] in
              ("4.png", "5.png", "6.png")}
    assert {h["sha256"] for h in result["hits"]} == shared
    assert all(h["releases"] == [{"reference": "B/2025/17",
                                  "contact": "vid-desk@agency-b.example"}]
               for h in result["hits"])
    assert all(len(h["md5"]) == 32 and len(h["sha1"]) == 40 for h in result["hits"])


def test_a_bad_file_is_one_line_and_exit_2(two_agencies: Path) -> None:
    root = two_agencies
    (root / "junk.bin").write_bytes(b"CBDX\x00")
    result = runner.invoke(app, ["deconflict", "respond", str(root / "junk.bin"), "--out",
                                 str(root / "junk-resp.bin"), "-w", str(root / "ws-b")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == ["error: truncated: the file ends inside its "
                                                  "header"]
    assert not (root / "junk-resp.bin").exists()


def test_an_unwritable_output_is_one_line(two_agencies: Path) -> None:
    root = two_agencies
    result = runner.invoke(app, ["deconflict", "request", "--case", "op-alder", "--out",
                                 str(root / "missing" / "req.bin"), "-w", str(root / "ws-a")])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"error: {root / 'missing' / 'req.bin'}: No such file or directory"]
