"""The format registry is the one place formats are declared: the CLI's choices, auto-detection
and the README's table all come from it."""

from __future__ import annotations

from pathlib import Path

import typer.main
from typer.testing import CliRunner

from cumberland.cli.common import app
from cumberland.hashsets import detect_format
from cumberland.hashsets.formats import BY_NAME, CLI_FORMATS, REGISTRY, readme_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_the_registry() -> None:
    text = README.read_text()
    assert readme_table() in text
    rows = [line for line in text.splitlines() if line.startswith("| `") and "` | " in line
            and line.split("`")[1] in BY_NAME]
    assert [row.split("`")[1] for row in rows] == [f.name for f in REGISTRY]


def test_cli_format_choices_are_the_registry(tmp_path: Path) -> None:
    import cumberland.cli.main  # noqa: F401  (registers the commands)

    command = typer.main.get_command(app)
    hashset = command.commands["hashset"]  # type: ignore[attr-defined]
    option = next(p for p in hashset.commands["import"].params if p.name == "format")
    assert [str(c) for c in option.type_descriptor.annotation] == list(CLI_FORMATS)
    assert ("auto", *(f.name for f in REGISTRY)) == CLI_FORMATS
    listing = tmp_path / "list.txt"
    listing.write_text("a" * 64 + "\n")
    runner = CliRunner()
    refused = runner.invoke(app, ["hashset", "import", str(listing), "--format", "tiger",
                                  "--workspace", str(tmp_path / "ws")])
    assert refused.exit_code == 2
    taken = runner.invoke(app, ["hashset", "import", str(listing), "--format", "sha256",
                                "--workspace", str(tmp_path / "ws")])
    assert taken.exit_code == 0, taken.output
    assert "1 entries" in taken.output


def test_every_format_is_declared_whole() -> None:
    assert len(BY_NAME) == len(REGISTRY)
    for declared in REGISTRY:
        assert declared.name.isidentifier() and declared.title and len(declared.accepts) > 40
    assert [f.name for f in REGISTRY if f.sniff is None] == ["sha256"]


def test_a_new_format_is_one_declaration(tmp_path: Path, monkeypatch: object) -> None:
    """Adding a HashSetFormat to the registry is all detection needs."""
    from cumberland.hashsets import detect, formats
    from cumberland.hashsets.base import HashSetFormat, opener
    from cumberland.hashsets.sums import SumsReader

    extra = HashSetFormat(name="example", title="t", accepts="a", open=opener(SumsReader),
                          sniff=lambda sample: sample.first == "EXAMPLE LIST")
    path = tmp_path / "list.txt"
    path.write_text("EXAMPLE LIST\n")
    monkeypatch.setattr(detect, "REGISTRY", (*formats.REGISTRY, extra))  # type: ignore[attr-defined]
    assert detect_format(path) == "example"
