"""A bounded loop of concurrent reviewers against one running server (bench/web_load.py and
its correctness test): each logs in and categorises its own share of media as fast as the
server answers, so afterwards every decision can be checked against what was sent.

Plain ``http.client`` over keep-alive connections (no client library beyond the standard one).
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field


@dataclass
class Reviewer:
    name: str
    password: str
    media: list[str]  # sha256 hex, this reviewer's share (disjoint from the others')
    sent: dict[str, int] = field(default_factory=dict)  # media -> last category accepted
    latencies: list[float] = field(default_factory=list)  # seconds per decision
    errors: list[str] = field(default_factory=list)


class _Client:
    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self.host = parsed.netloc
        self.conn = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port,
                                               timeout=60)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        sent = {"host": self.host, **(headers or {})}
        if self.cookies:
            sent["cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body=body, headers=sent)
        response = self.conn.getresponse()
        data = response.read()
        for header in response.headers.get_all("set-cookie") or []:
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            if "max-age=0" in header.lower() or 'expires=thu, 01 jan 1970' in header.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, data

    def login(self, name: str, password: str) -> str:
        _, page = self.request("GET", "/login")
        token = re.search(rb'name="csrf" value="([^"]+)"', page)
        assert token, "no login form"
        form = urllib.parse.urlencode({"name": name, "password": password,
                                       "csrf": token.group(1).decode()}).encode()
        status, _ = self.request("POST", "/login", form,
                                 {"content-type": "application/x-www-form-urlencoded"})
        if status != 303:
            raise RuntimeError(f"login of {name} answered {status}")
        _, home = self.request("GET", "/")
        csrf = re.search(rb'<meta name="csrf" content="([^"]+)">', home)
        assert csrf, "no CSRF token after login"
        return csrf.group(1).decode()


def _work(url: str, case: int, reviewer: Reviewer, rounds: int, categories: list[int],
          start: threading.Barrier) -> None:
    client = _Client(url)
    try:
        csrf = client.login(reviewer.name, reviewer.password)
    except (OSError, RuntimeError) as exc:
        reviewer.errors.append(f"login: {exc}")
        start.abort()
        return
    start.wait()
    for n in range(rounds):
        sha = reviewer.media[n % len(reviewer.media)]
        category = categories[(n + len(reviewer.name)) % len(categories)]
        body = json.dumps({"media": [sha], "category": category}).encode()
        began = time.perf_counter()
        try:
            status, data = client.request("POST", f"/cases/{case}/decisions", body, {
                "content-type": "application/json", "x-csrf-token": csrf})
        except OSError as exc:
            reviewer.errors.append(f"decision {n}: {exc}")
            client = _Client(url)
            csrf = client.login(reviewer.name, reviewer.password)
            continue
        reviewer.latencies.append(time.perf_counter() - began)
        if status == 200 and sha in json.loads(data)["previous"]:
            reviewer.sent[sha] = category
        else:
            reviewer.errors.append(f"decision {n}: {status} {data[:200]!r}")
    client.conn.close()


@dataclass(frozen=True, slots=True)
class LoadResult:
    decisions: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: list[str]

    @property
    def per_second(self) -> float:
        return self.decisions / self.seconds if self.seconds else 0.0


def run(url: str, case: int, reviewers: list[Reviewer], rounds: int,
        categories: list[int]) -> LoadResult:
    """Every reviewer sends ``rounds`` decisions at once (a thread and a connection each)."""
    start = threading.Barrier(len(reviewers) + 1)
    threads = [threading.Thread(target=_work, args=(url, case, r, rounds, categories, start))
               for r in reviewers]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    latencies = sorted(t for r in reviewers for t in r.latencies)

    def quantile(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 \
            if latencies else 0.0

    return LoadResult(len(latencies), seconds, quantile(0.5), quantile(0.99),
                      [e for r in reviewers for e in r.errors])
