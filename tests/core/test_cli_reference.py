"""docs/cli.md is what `--help` says today (regenerate: python scripts/cli_reference.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "cli_reference.py"


def test_cli_reference_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("cli_reference", SCRIPT)
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    expected = script.render()
    assert "## `cumberland enrich`" in expected and "--signal" in expected
    assert script.DOC.read_text() == expected, (
        "docs/cli.md is out of date: run python scripts/cli_reference.py")
