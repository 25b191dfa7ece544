"""The grouping engines agree, and the bench's generated platform is resolved within the
issue's aims (precision >= 0.99, recall >= 0.95 against its planted persons)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import text

from cumberland.intel.platform.analyse import analyse
from cumberland.intel.platform.engines import ENGINES, grouped_uses
from cumberland.intel.platform.importer import import_platform
from cumberland.intel.platform.mapping import load_mapping
from cumberland.store.workspace import Workspace
from cumberland.store.writer import case_id
from intel_platform.mmdb import write_mmdb

BENCH = Path(__file__).resolve().parents[2] / "bench" / "_platform_data.py"


def _bench_data():  # type: ignore[no-untyped-def]
    pytest.importorskip("polars")
    spec = importlib.util.spec_from_file_location("_platform_data", BENCH)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["_platform_data"] = module
    spec.loader.exec_module(module)
    return module


def test_generated_platform_meets_the_resolution_aims(tmp_path: Path,
                                                     workspace: Workspace) -> None:
    data = _bench_data()
    made = data.generate(tmp_path / "dump", scale=0.001, seed=7)
    case = case_id(workspace, "bench")
    out = import_platform(workspace, case, made.folder, load_mapping(made.mapping))
    assert out.skipped == 0 and out.rows["logins"] == 20_000
    done = analyse(workspace, case, geoip=write_mmdb(tmp_path / "g.mmdb"),
                   transactions=made.transactions)
    assert done.resolution.hubs["ip"] > 0  # VPN exits and carrier NAT were seen, and ignored
    with workspace.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.ext_id, m.person_id FROM platform_accounts a JOIN "
            "platform_person_accounts m ON m.account_id = a.id")).all()
    predicted = np.empty(len(made.truth), dtype=np.int64)
    for ext, person in rows:
        predicted[int(ext) - 1] = person
    precision, recall = data.pair_scores(made.truth, predicted)
    assert precision >= 0.99 and recall >= 0.95, (precision, recall)
    # and the scorer itself: merging everything is all recall, no precision
    everything = data.pair_scores(made.truth, np.zeros_like(predicted))
    assert everything[1] == 1.0 and everything[0] < 0.01


def test_engines_group_identically(tmp_path: Path, workspace: Workspace) -> None:
    data = _bench_data()
    for module in ("duckdb", "pandas"):
        pytest.importorskip(module)
    made = data.generate(tmp_path / "dump", scale=0.0005, seed=3)
    case = case_id(workspace, "bench")
    import_platform(workspace, case, made.folder, load_mapping(made.mapping))
    with workspace.engine.connect() as conn:
        results = {engine: [(int(r[0]), int(r[1]), float(r[2]), float(r[3]), int(r[4]),
                             int(r[5])) for r in grouped_uses(conn, "ip", case, engine)]
                   for engine in ENGINES}
    assert results["store"]
    assert all(rows == results["store"] for rows in results.values())
    with pytest.raises(ValueError, match="engine must be one of"):
        grouped_uses(conn, "ip", case, "spark")
