"""The tips server under load on loopback: tips/s, p50/p99, memory, floods turned away.

  .venv/bin/python bench/tips_load.py [--tips 4000] [--connections 8] [--seconds 60]

``cumberland tips serve`` runs as its own process on 127.0.0.1 over a site of 20 objects
(proof of work at ``--pow-bits``: checking costs two hashes whatever the difficulty, so the
bench solves cheap tokens). Clients are separate processes, one keep-alive connection each,
sending as fast as the server answers. Phases, each bounded by ``--tips`` requests and
``--seconds``:

1. baseline: GET of a page of the site (the same server, the same clients);
2. tips with a valid proof of work (each a 303, each stored);
3. a flood of tips whose proof of work is wrong (each a 400, nothing stored);
4. a flood without proof of work (the no-JavaScript lane: a few 303, then 429);
5. bad input: 1 MB fields, invalid UTF-8, unknown ids, replayed tokens (4xx, nothing stored).

The server's resident memory is read from /proc after each phase; the tips database is
checked afterwards (exactly the accepted tips, no address in it).
"""

from __future__ import annotations

import argparse
import http.client
import io
import multiprocessing
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from PIL import Image

from cumberland.intel.trace.site import PublicObject, render_site, write_site
from cumberland.tips import proof

OBJECTS = [f"{chr(97 + i % 26)}{'bcdefghijk'[i % 10]}" + "m" * 14 for i in range(20)]
FORM = {"content-type": "application/x-www-form-urlencoded"}


def site(folder: Path, port: int, bits: int) -> None:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 48)).save(out, "JPEG")
    objects = [PublicObject(i, f"Object {n}", "packaging", ("Where?",), ("en",),
                            out.getvalue(), 64, 48, "2026-12-01") for n, i in enumerate(OBJECTS)]
    write_site(render_site(objects, f"http://127.0.0.1:{port}/tip", bits), folder)


def tip(n: int, bits: int, valid: bool = True, plain: bool = False) -> bytes:
    minute = int(time.time() // 60)
    text = f"Tip number {n}: I have seen this object in a shop in town {n % 97}."
    fields = {"object": OBJECTS[n % len(OBJECTS)], "lang": "en", "text": text, "contact": ""}
    if not plain:
        inner = proof.inner(fields["object"], "en", minute, text, "")
        nonce = proof.solve(inner, bits)
        if not valid:
            nonce = next(k for k in range(nonce + 1, nonce + 10_000)
                         if not proof.enough(proof.work(inner, k), bits))
        fields |= {"pow_t": str(minute), "pow_n": str(nonce)}
    return urlencode(fields).encode()


def worker(args: tuple[int, str, str, list[bytes], float]) -> tuple[list[float], dict[int, int]]:
    port, method, path, bodies, deadline = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies, statuses = [], {}
    for body in bodies:
        if time.monotonic() > deadline:
            break
        start = time.perf_counter()
        conn.request(method, path, body=body or None, headers=FORM if body else {})
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        statuses[response.status] = statuses.get(response.status, 0) + 1
        if response.getheader("connection", "").lower() == "close":
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()
    return latencies, statuses


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def phase(pool: multiprocessing.pool.Pool, port: int, connections: int, method: str, path: str,
          bodies: list[bytes], seconds: float) -> dict[str, float | dict[int, int]]:
    deadline = time.monotonic() + seconds
    shares = [bodies[i::connections] for i in range(connections)]
    start = time.perf_counter()
    results = pool.map(worker, [(port, method, path, s, deadline) for s in shares])
    elapsed = time.perf_counter() - start
    latencies = sorted(x for lat, _ in results for x in lat)
    statuses: dict[int, int] = {}
    for _, st in results:
        for k, v in st.items():
            statuses[k] = statuses.get(k, 0) + v

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {"requests": len(latencies), "seconds": elapsed, "per_s": len(latencies) / elapsed,
            "p50": pct(0.50), "p99": pct(0.99), "statuses": statuses}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tips", type=int, default=4000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--pow-bits", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tips-load-") as tmp:
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        site(Path(tmp) / "site", port, args.pow_bits)
        db = Path(tmp) / "tips" / "tips.db"
        server = subprocess.Popen(
            [sys.executable, "-m", "cumberland", "tips", "serve", "--site", f"{tmp}/site",
             "--db", str(db), "--port", str(port), "--pow-per-second", "100000",
             "--plain-per-minute", "6"], stderr=subprocess.PIPE, text=True)
        try:
            for _ in range(300):  # until it listens (a bench may wait; tests never do)
                try:
                    socket.create_connection(("127.0.0.1", port), 1).close()
                    break
                except OSError:
                    time.sleep(0.1)
            made = time.perf_counter()
            good = [tip(n, args.pow_bits) for n in range(args.tips)]
            bad = [tip(n, args.pow_bits, valid=False) for n in range(args.tips)]
            plain = [tip(n, args.pow_bits, plain=True) for n in range(args.tips)]
            print(f"{3 * args.tips} forms prepared in {time.perf_counter() - made:.1f} s")
            hostile = ([b"object=" + OBJECTS[0].encode() + b"&lang=en&text=" + b"x" * 1_000_000]
                       * 20 + [good[0].replace(b"text=Tip", b"text=%FF%FETip")] * 200
                       + [good[1].replace(OBJECTS[1].encode(), b"zzzzzzzzzzzzzzzz")] * 200
                       + [good[2]] * 200)  # good[2] was taken in phase 2: replays
            rows = []
            with multiprocessing.Pool(args.connections) as pool:
                memory = [rss_mib(server.pid)]
                for name, method, path, bodies in (
                        ("baseline: GET a page", "GET", "/en/index.html", [b""] * args.tips),
                        ("tips with proof of work", "POST", "/tip", good),
                        ("flood: wrong proof of work", "POST", "/tip", bad),
                        ("flood: no proof of work", "POST", "/tip", plain),
                        ("bad input (1 MB, UTF-8, ids, replays)", "POST", "/tip", hostile)):
                    result = phase(pool, port, args.connections, method, path, bodies,
                                   args.seconds)
                    memory.append(rss_mib(server.pid))
                    rows.append((name, result, memory[-1]))
        finally:
            server.terminate()
            _, log = server.communicate(timeout=30)
        with sqlite3.connect(db) as conn:
            stored = conn.execute("SELECT count(*) FROM tips").fetchone()[0]
            lanes = dict(conn.execute("SELECT lane, count(*) FROM tips GROUP BY lane").fetchall())
        raw = b"".join(p.read_bytes() for p in db.parent.iterdir())
    print(f"{'phase':40} {'requests':>8} {'s':>6} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
          f"{'RSS MiB':>7}  answers")
    for name, r, mib in rows:
        print(f"{name:40} {r['requests']:>8} {r['seconds']:>6.1f} {r['per_s']:>7.0f} "
              f"{r['p50']:>7.1f} {r['p99']:>7.1f} {mib:>7.1f}  {r['statuses']}")
    baseline, tips_, wrong = rows[0][1], rows[1][1], rows[2][1]
    print(f"tips/s {tips_['per_s']:.0f} = {tips_['per_s'] / baseline['per_s']:.2f}x the GET "
          f"baseline; wrong-proof rejections/s {wrong['per_s']:.0f} = "
          f"{wrong['per_s'] / baseline['per_s']:.2f}x")
    print(f"server RSS MiB after start and each phase: {', '.join(f'{m:.1f}' for m in memory)}")
    accepted = rows[1][1]["statuses"].get(303, 0) + rows[3][1]["statuses"].get(303, 0)
    print(f"stored tips {stored} (accepted answers {accepted}; lanes {lanes}); "
          f"'127.0.0.1' in the database: {b'127.0.0.1' in raw}; server log lines: "
          f"{len(log.splitlines())}")
    if stored != accepted or b"127.0.0.1" in raw:
        raise SystemExit("FAILED: the database does not hold exactly the accepted tips")


if __name__ == "__main__":
    main()
