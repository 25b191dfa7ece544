"""Server time per review-grid page on a case of 1 M media, keyset vs OFFSET pagination.

  .venv/bin/python bench/web_grid.py [--media 1000000] [--repeat 5]

Rows are generated straight into a temporary SQLite workspace with bulk inserts (no image
files: tiles fall back to the placeholder). Measured in the same run:

* the whole HTTP request for a grid page (120 tiles, rendered) through the app, at several
  depths, with keyset pagination (what the app does);
* the page query alone, keyset, beside the naive baseline: the same query with OFFSET at
  the same depths;
* the one-off rebuild of the review queue after a run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import select

from cumberland.analysis.grid import PAGE, Filters, offset_page, review_page
from cumberland.analysis.review import refresh_queue
from cumberland.store import accounts
from cumberland.store.models import ReviewEntry
from cumberland.store.workspace import Workspace
from cumberland.web import create_app

BATCH = 50_000
AI = (None, None, None, None, None, None, "weak", "strong", "declared-ai", "camera-metadata")
PASSWORD = "bench-password-1"


def populate(ws: Workspace, count: int) -> int:
    """One case, one source, ``count`` media and one item per media, by executemany."""
    now = time.time()
    with ws.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO cases (name, created_at) VALUES ('bench', ?)", (now,))
        conn.exec_driver_sql(
            "INSERT INTO sources (case_id, uri, raw_path, kind, added_at, enumerated) "
            "VALUES (1, '/evidence/bench', x'00', 'folder', ?, 1)", (now,))
    for start in range(0, count, BATCH):
        media, items = [], []
        for n in range(start, min(start + BATCH, count)):
            seed = n.to_bytes(8, "little")
            sha = hashlib.sha256(seed).digest()
            camera = n % 7 == 0
            meta = '{"exif": {"make": "DemoCam", "model": "DC-1"}}' if camera else "{}"
            media.append((sha, hashlib.md5(seed).digest(), hashlib.sha1(seed).digest(),
                          1000 + n % 5000, "image", "image/jpeg", 640, 480, sha, 90, 0,
                          AI[n % len(AI)], meta))
            path = f"/evidence/bench/dir{n // 1000:04d}/img_{n:07d}.jpg"
            items.append((1, 1, path, hashlib.sha1(path.encode()).digest(), f'["{path}"]',
                          1000, "done", sha, "image/jpeg", 0, int(n % 50 == 0), now))
        with ws.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO media (sha256, md5, sha1, size, kind, mime, width, height, pdq, "
                "pdq_quality, has_thumb, ai_level, meta) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", media)
            conn.exec_driver_sql(
                "INSERT INTO items (case_id, source_id, path, path_key, chain, size, status, "
                "media_sha256, mime, ext_mismatch, deleted, modified) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    return 1


def timed(call: object, repeat: int) -> float:
    """Median milliseconds of ``repeat`` calls (after one warm-up)."""
    assert callable(call)
    call()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        call()
        samples.append((time.perf_counter() - t0) * 1000)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cumberland-bench-grid-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        t0 = time.perf_counter()
        case = populate(ws, args.media)
        print(f"generated {args.media:,} media + items in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        size = refresh_queue(ws, case)
        rebuild = time.perf_counter() - t0
        print(f"review queue rebuilt: {size:,} tiles in {rebuild:.1f} s")
        accounts.add_user(ws, "bench", "reviewer", PASSWORD)
        accounts.grant(ws, "bench", "bench")
        client = TestClient(create_app(ws), base_url="http://127.0.0.1")  # an allowed host
        page = client.get("/login")
        token = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert token
        client.post("/login", data={"name": "bench", "password": PASSWORD,
                                    "csrf": token.group(1)})
        filters = Filters(status="all")
        rows = []
        for fraction in (0.0, 0.1, 0.5, 0.99):
            number = int(size * fraction) // PAGE
            cursor = ""
            if number:
                with ws.engine.connect() as conn:
                    row = conn.execute(
                        select(ReviewEntry.priority, ReviewEntry.media_sha256)
                        .where(ReviewEntry.case_id == case)
                        .order_by(ReviewEntry.priority, ReviewEntry.media_sha256)
                        .offset(number * PAGE - 1).limit(1)).one()
                cursor = f"{row.priority}.{row.media_sha256.hex()}"
            url = f"/cases/{case}/review?status=all&after={cursor}"

            def keyset(url: str = url) -> None:
                response = client.get(url)
                assert response.status_code == 200 and response.text.count('class="tile') == PAGE

            def keyset_query(cursor: str = cursor) -> None:
                assert len(review_page(ws, case, filters, cursor or None).tiles) == PAGE

            def offset(number: int = number) -> None:
                assert len(offset_page(ws, case, filters, number)) == PAGE

            rows.append((number + 1, timed(keyset, args.repeat), timed(keyset_query, args.repeat),
                         timed(offset, args.repeat)))
        default_view = timed(lambda: client.get(f"/cases/{case}/review"), args.repeat)
        prefix = timed(lambda: client.get(
            f"/cases/{case}/review?status=all&path=/evidence/bench/dir0500/"), args.repeat)
        ws.close()
    print(f"\nreview grid, {size:,} media, {PAGE} tiles per page, median of {args.repeat}")
    print("| page | whole HTTP request, keyset (ms) | query, keyset (ms) | query, OFFSET "
          "baseline (ms) | OFFSET / keyset |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    for number, request, fast, slow in rows:
        print(f"| {number:,} | {request:.0f} | {fast:.1f} | {slow:.1f} | {slow / fast:.0f}× |")
    print(f"\ndefault view (unknown only), first page: {default_view:.0f} ms")
    print(f"path-prefix filter (1 folder of 1,000), first page: {prefix:.0f} ms")
    print(f"queue rebuild after a run: {rebuild:.1f} s")
    print(f"(cpu count {os.cpu_count()}, python {sys.version.split()[0]})")


if __name__ == "__main__":
    main()
