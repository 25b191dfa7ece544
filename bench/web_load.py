"""Concurrent reviewers against one server on loopback: decisions/s, p50/p99, nothing lost.

  .venv/bin/python bench/web_load.py [--media 20000] [--reviewers 8] [--rounds 200]

A real uvicorn server on 127.0.0.1 over a temporary SQLite workspace (rows generated as in
web_grid.py). Each reviewer logs in and sends ``--rounds`` categorisations of its own share,
one at a time over a keep-alive connection, all reviewers at once. Measured in the same run:
the same total number of decisions sent by one reviewer alone (the baseline). Afterwards every
decision is checked (the table holds exactly the last category each reviewer sent) and the
audit chain and the decisions-against-log replay are verified.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from sqlalchemy import select

from cumberland.analysis.review import refresh_queue
from cumberland.store import accounts
from cumberland.store.anchors import verify_all
from cumberland.store.models import Decision, ReviewEntry
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import running
from cumberland.web.loadtest import LoadResult, Reviewer, run

sys.path.insert(0, str(Path(__file__).parent))
from web_grid import populate

PASSWORD = "bench-password-1"
CATEGORIES = [0, 1, 2, 3, 4]


def check(ws: Workspace, reviewers: list[Reviewer]) -> None:
    expected = {bytes.fromhex(s): c for r in reviewers for s, c in r.sent.items()}
    with ws.engine.connect() as conn:
        stored = {bytes(s): c for s, c in conn.execute(
            select(Decision.media_sha256, Decision.category))}
    lost = {s for s, c in expected.items() if stored.get(s) != c}
    report = verify_all(ws)
    print(f"decisions checked: {len(expected):,} media, {len(lost)} lost or wrong; "
          f"audit: {'intact, decisions match the log' if report.ok else report.findings}")
    if lost or not report.ok:
        raise SystemExit(1)


def one_run(ws: Workspace, url: str, shas: list[str], users: list[str], rounds: int
            ) -> tuple[LoadResult, list[Reviewer]]:
    per = len(shas) // len(users)
    reviewers = [Reviewer(u, PASSWORD, shas[i * per:(i + 1) * per]) for i, u in enumerate(users)]
    return run(url, 1, reviewers, rounds, CATEGORIES), reviewers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=int, default=20_000)
    parser.add_argument("--reviewers", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cumberland-bench-load-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        populate(ws, args.media)
        refresh_queue(ws, 1)
        with ws.engine.connect() as conn:
            shas = [bytes(s).hex() for s in conn.scalars(select(ReviewEntry.media_sha256))]
        users = [f"reviewer{n}" for n in range(args.reviewers)]
        for user in [*users, "solo"]:
            accounts.add_user(ws, user, "reviewer", PASSWORD)
            accounts.grant(ws, user, "bench")
        half = len(shas) // 2
        with running(create_app(ws)) as url:
            solo, _ = one_run(ws, url, shas[half:], ["solo"], args.rounds * args.reviewers)
            together, reviewers = one_run(ws, url, shas[:half], users, args.rounds)
        print("| run | decisions | seconds | decisions/s | p50 ms | p99 ms |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for name, result in (("1 reviewer (baseline)", solo),
                             (f"{args.reviewers} reviewers at once", together)):
            print(f"| {name} | {result.decisions:,} | {result.seconds:.1f} | "
                  f"{result.per_second:.0f} | {result.p50_ms:.1f} | {result.p99_ms:.1f} |")
        print(f"\nthroughput {together.per_second / solo.per_second:.2f}x the baseline; "
              f"errors: {len(together.errors) + len(solo.errors)}")
        check(ws, reviewers)
        print(f"(cpu count {os.cpu_count()}, python {sys.version.split()[0]}, SQLite)")
        ws.close()


if __name__ == "__main__":
    main()
