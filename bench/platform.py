"""Benchmark: a seized platform's dump to country packages, the whole chain.

    python bench/platform.py --scale 1      # 2 M users, 20 M logins, 5 M payments, 10 M content
    python bench/platform.py --scale 0.1    # a tenth of it

Generates a seeded dump (bench/_platform_data.py), plants case media (a fifth of the
platform's files triaged, a tenth of those in an alert set), builds the test GeoIP file, then
runs each stage in its own process (so each stage's peak memory is its own): import, the
grouping engines on the largest grouping (IP uses of 20 M logins: the store's SQL, Polars,
DuckDB, and plain pandas as the baseline), resolution with attribution, packages. Prints
rows/s, seconds, peak RSS and entity-resolution precision/recall against the planted truth.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named like the standard library's ``platform``; keep its folder off the path so
# ``import platform`` (done by numpy, SQLAlchemy, ...) finds the real one.
_HERE = str(Path(__file__).resolve().parent)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve().as_posix() != _HERE]

import argparse  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and its children (chromium): on a machine shared with
    other work, what a dedicated core would have needed."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _data() -> Any:
    """bench/_platform_data.py, loaded by path (this folder stays off sys.path)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_platform_data",
                                                  Path(_HERE) / "_platform_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["_platform_data"] = module
    spec.loader.exec_module(module)
    return module


def _workspace(work: Path) -> Any:
    from cumberland.store.workspace import Workspace

    return Workspace(work / "ws")


def stage_generate(work: Path, scale: float) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from intel_platform.mmdb import write_mmdb

    started = time.perf_counter()
    out = _data().generate(work / "dump", scale)
    write_mmdb(work / "geoip.mmdb")
    import numpy as np

    np.save(work / "truth.npy", out.truth)
    (work / "files.json").write_text(json.dumps(out.files))
    size = sum(p.stat().st_size for p in (work / "dump").iterdir())
    return {"seconds": round(time.perf_counter() - started, 1), "rows": out.rows,
            "dump_bytes": size}


def _plant_media(ws: Any, case: int, files: list[str]) -> dict[str, int]:
    """A fifth of the platform's files as triaged case media, a tenth of those in an alert
    set: the rest of what the dump names is hash-only."""
    from sqlalchemy import insert

    from cumberland.store.models import HashSet, Item, Match, Media, Source

    triaged = files[::5]
    with ws.engine.begin() as conn:
        source = conn.execute(insert(Source).values(
            case_id=case, uri="/evidence/server", raw_path=b"/evidence/server", kind="folder",
            added_at=time.time(), enumerated=True).returning(Source.id)).scalar_one()
        conn.execute(insert(Media), [{
            "sha256": bytes.fromhex(h), "md5": hashlib.md5(h.encode()).digest(),
            "sha1": hashlib.sha1(h.encode()).digest(), "size": 1, "kind": "video",
            "mime": "video/mp4", "ai_level": ("none", "weak", "strong")[i % 3], "meta": {}}
            for i, h in enumerate(triaged)])
        conn.execute(insert(Item), [{
            "case_id": case, "source_id": source, "path": f"/srv/{h}.mp4",
            "path_key": hashlib.sha1(h.encode()).digest(), "chain": [f"/srv/{h}.mp4"],
            "status": "done", "media_sha256": bytes.fromhex(h)} for h in triaged])
        hs = conn.execute(insert(HashSet).values(
            name="bench-alert", purpose="alert", format="sums", source_path="-",
            file_sha256=b"\0" * 32, file_size=0, imported_at=time.time(), properties={})
            .returning(HashSet.id)).scalar_one()
        conn.execute(insert(Match), [{"media_sha256": bytes.fromhex(h), "hashset_id": hs,
                                      "method": "sha256", "category": 1, "evidence": {}}
                                     for h in triaged[::10]])
    return {"triaged": len(triaged), "alert": len(triaged[::10])}


def stage_import(work: Path) -> dict[str, Any]:
    from cumberland.intel.platform.importer import import_platform
    from cumberland.intel.platform.mapping import load_mapping
    from cumberland.store.writer import case_id

    ws = _workspace(work)
    case = case_id(ws, "bench")
    planted = _plant_media(ws, case, json.loads((work / "files.json").read_text()))
    started, cpu = time.perf_counter(), _cpu()
    out = import_platform(ws, case, work / "dump", load_mapping(work / "dump-mapping.toml"))
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    rows = sum(out.rows.values())
    db = work / "ws" / "cumberland.db"
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "rows": rows,
            "rows_per_s": round(rows / seconds), "rows_per_cpu_s": round(rows / cpu),
            "skipped": out.skipped, "planted": planted, "peak_rss_mib": round(_rss_mib()),
            "db_bytes": db.stat().st_size + Path(f"{db}-wal").stat().st_size
            if Path(f"{db}-wal").exists() else db.stat().st_size}


def stage_engine(work: Path, engine: str) -> dict[str, Any]:
    from cumberland.intel.platform.engines import grouped_uses

    ws = _workspace(work)
    started, cpu = time.perf_counter(), _cpu()
    with ws.engine.connect() as conn:
        rows = grouped_uses(conn, "ip", 1, engine)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    digest = hashlib.sha256(repr([(int(r[0]), int(r[1]), int(r[4]), int(r[5]))
                                  for r in rows]).encode()).hexdigest()[:16]
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "groups_rows": len(rows), "digest": digest,
            "peak_rss_mib": round(_rss_mib())}


def stage_resolve(work: Path) -> dict[str, Any]:
    import numpy as np
    from sqlalchemy import text

    from cumberland.intel.platform.analyse import analyse

    ws = _workspace(work)
    started, cpu = time.perf_counter(), _cpu()
    out = analyse(ws, 1, geoip=work / "geoip.mmdb", transactions=work / "dump-transactions.csv")
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    truth = np.load(work / "truth.npy")
    with ws.engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.ext_id, m.person_id FROM platform_accounts a JOIN "
            "platform_person_accounts m ON m.account_id = a.id")).all()
        roles = dict(conn.execute(text(
            "SELECT role, count(*) FROM platform_persons GROUP BY role")).all())
        confidence = dict(conn.execute(text(
            "SELECT confidence, count(*) FROM platform_persons GROUP BY confidence")).all())
    predicted = np.empty(len(truth), dtype=np.int64)
    for ext, person in rows:
        predicted[int(ext) - 1] = person
    precision, recall = _data().pair_scores(truth, predicted)
    res = out.resolution
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1), "stages": out.seconds,
            "resolution_stages": res.seconds, "accounts": res.accounts,
            "persons": res.persons, "true_persons": len(np.unique(truth)),
            "links": res.links, "joined": res.merged, "hubs": res.hubs,
            "precision": round(precision, 5), "recall": round(recall, 5), "media": out.media,
            "roles": roles, "confidence": confidence, "peak_rss_mib": round(_rss_mib())}


def stage_packages(work: Path) -> dict[str, Any]:
    import shutil

    from cumberland.intel.platform.packages import write_packages

    ws = _workspace(work)
    out = work / "packages"
    shutil.rmtree(out, ignore_errors=True)
    started, cpu = time.perf_counter(), _cpu()
    done = write_packages(ws, 1, out)
    seconds, cpu = time.perf_counter() - started, _cpu() - cpu
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    return {"seconds": round(seconds, 1), "cpu_seconds": round(cpu, 1),
            "countries": len(done.countries),
            "files": done.files, "bytes": size, "stages": done.seconds,
            "peak_rss_mib": round(_rss_mib())}


STAGES = {"generate": stage_generate, "import": stage_import, "resolve": stage_resolve,
          "packages": stage_packages}


def _child(work: Path, stage: str, *extra: str) -> dict[str, Any]:
    command = [sys.executable, __file__, "--work", str(work), "--stage", stage, *extra]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {stage} failed:\n{done.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {stage} {' '.join(extra)}: {json.dumps(result)}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cumberland-platform-bench"))
    parser.add_argument("--engines", default="store,polars,duckdb,pandas")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage:
        result = stage_engine(args.work, args.engine) if args.stage == "engine" else \
            STAGES[args.stage](args.work, args.scale) if args.stage == "generate" else \
            STAGES[args.stage](args.work)
        print(json.dumps(result))
        return
    import shutil

    shutil.rmtree(args.work, ignore_errors=True)
    args.work.mkdir(parents=True)
    print(f"platform bench, scale {args.scale:g} (work folder {args.work})", flush=True)
    results: dict[str, Any] = {"scale": args.scale}
    results["generate"] = _child(args.work, "generate", "--scale", str(args.scale))
    results["import"] = _child(args.work, "import")
    results["engines"] = {e: _child(args.work, "engine", "--engine", e)
                          for e in args.engines.split(",")}
    results["resolve"] = _child(args.work, "resolve")
    results["packages"] = _child(args.work, "packages")
    chain = results["import"]["seconds"] + results["resolve"]["seconds"] + \
        results["packages"]["seconds"]
    chain_cpu = sum(results[s]["cpu_seconds"] for s in ("import", "resolve", "packages"))
    results["chain_cpu_seconds"] = round(chain_cpu, 1)
    peak = max(results[s]["peak_rss_mib"] for s in ("import", "resolve", "packages"))
    results["chain_seconds"] = round(chain, 1)
    results["chain_peak_rss_mib"] = peak
    (args.work / "results.json").write_text(json.dumps(results, indent=1))
    base = results["engines"].get("pandas", {}).get("seconds")
    base_cpu = results["engines"].get("pandas", {}).get("cpu_seconds")
    digests = {r["digest"] for r in results["engines"].values()}
    i = results["import"]
    print(f"\nimport: {i['rows']:,} rows in {i['seconds']} s = {i['rows_per_s']:,} rows/s, "
          f"peak {i['peak_rss_mib']:,} MiB")
    for engine, r in results["engines"].items():
        ratio = (f", {base / r['seconds']:.2f}x pandas wall, "
                 f"{base_cpu / r['cpu_seconds']:.2f}x pandas CPU") \
            if base and base_cpu and r["seconds"] and r["cpu_seconds"] else ""
        print(f"IP grouping on {engine}: {r['seconds']} s ({r['cpu_seconds']} CPU s){ratio}, "
              f"peak {r['peak_rss_mib']:,} MiB")
    print(f"engines agree: {len(digests) == 1}")
    r = results["resolve"]
    print(f"resolution + attribution: {r['seconds']} s, peak {r['peak_rss_mib']:,} MiB; "
          f"{r['accounts']:,} accounts -> {r['persons']:,} persons "
          f"(planted {r['true_persons']:,}); "
          f"precision {r['precision']:.4f}, recall {r['recall']:.4f}")
    p = results["packages"]
    print(f"packages: {p['seconds']} s, {p['countries']} countries, {p['files']:,} files, "
          f"{p['bytes'] / 2**20:,.0f} MiB, peak {p['peak_rss_mib']:,} MiB")
    print(f"whole chain (import + resolve + packages): {chain:.0f} s wall, {chain_cpu:.0f} "
          f"CPU s, peak {peak:,} MiB; load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
