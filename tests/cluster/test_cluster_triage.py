"""The same triage on the local process pool and on a 2-worker Dask LocalCluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.pipeline.executors import ClusterError, make_executor
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace

runner = CliRunner()


def _run(tree: Path, base: Path, cluster: str | None) -> tuple[dict[str, Any], list[str]]:
    sets = tree / "hashsets"
    request = TriageRequest(
        sources=[tree / "seized"], case="demo", alert_sets=[sets / "known-vics2.json",
                                                           sets / "known-pdq.txt"],
        ignore_sets=[sets / "nsrl-known-good.txt"], report_dir=base / "report",
        settings=Settings(workers=2, chunk_size=3), cluster=cluster)
    ws = Workspace(base / "ws")
    triage(ws, request)
    ws.close()
    report = json.loads((base / "report" / "report.json").read_text())
    report.pop("generated_at")
    items = runner.invoke(app, ["items", "--case", "demo", "--jsonl",
                                "--workspace", str(base / "ws")])
    assert items.exit_code == 0, items.output
    return report, items.stdout.splitlines()


@pytest.mark.slow
def test_dask_local_cluster_gives_identical_results(demo_tree: Path, tmp_path: Path) -> None:
    local_report, local_items = _run(demo_tree, tmp_path / "local", None)
    dask_report, dask_items = _run(demo_tree, tmp_path / "dask", "local:2")
    assert local_report["files_seen"] > 0 and local_report["matches"]
    assert dask_report == local_report
    assert dask_items == local_items
    assert len(dask_items) == local_report["files_seen"]


@pytest.mark.parametrize("spec", ["bogus", "local:two", "localhost:8786"])
def test_malformed_cluster_is_a_clear_error(spec: str, tmp_path: Path) -> None:
    with pytest.raises(ClusterError, match="local:N"):
        make_executor(Settings(), cluster=spec)
    result = runner.invoke(app, ["triage", str(tmp_path), "--cluster", spec,
                                 "--workspace", str(tmp_path / "ws")])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "local:N" in message and "\n" not in message
