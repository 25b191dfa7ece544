"""The tips server: an edge apart from the store, keeping nothing of the sender, strict about
what it takes, the same refusal for every bad tip, proof of work and its no-JavaScript lane."""

from __future__ import annotations

import ast
import json
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import uvicorn
from starlette.testclient import TestClient

from cumberland.intel.trace import site as published
from cumberland.store.workspace import Workspace
from cumberland.tips import form, proof, server
from cumberland.tips.db import TipsDb, TipsDbError, read_tips

from .tipsite import BITS, IDS, encoded, make_site, tip_form

SRC = Path(__file__).resolve().parents[2] / "src" / "cumberland" / "tips"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    return make_site(tmp_path / "site")


@pytest.fixture()
def app(site: Path, tmp_path: Path) -> Iterator[server.TipsApp]:
    db = TipsDb(tmp_path / "tips" / "tips.db")
    yield server.TipsApp(site, db, server.Limits(plain_rate=0.001, plain_burst=2))
    db.close()


@pytest.fixture()
def client(app: server.TipsApp) -> TestClient:
    return TestClient(app, follow_redirects=False)


def stored(app: server.TipsApp) -> list[dict[str, object]]:
    return read_tips(app.db.path)


def post(client: TestClient, body: bytes, headers: dict[str, str] | None = None
         ) -> httpx.Response:
    return client.post("/tip", content=body, headers=headers or FORM)


def test_the_tips_package_imports_nothing_of_cumberland_but_itself() -> None:
    for path in sorted(SRC.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            for name in names:
                assert not name.startswith("cumberland.") or name.startswith("cumberland.tips"),\
                    f"{path.name} imports {name}"
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, cumberland.tips.server, cumberland.tips.db; "
         "print(' '.join(m for m in sys.modules if m.startswith('cumberland')))"],
        capture_output=True, text=True, check=True).stdout.split()
    assert loaded and all(m == "cumberland" or m.startswith("cumberland.tips") for m in loaded)


def test_a_case_workspace_is_never_the_tips_database(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    ws.close()
    for path in (tmp_path / "ws" / "cumberland.db", tmp_path / "ws" / "tips.db"):
        with pytest.raises(TipsDbError, match="case workspace"):
            TipsDb(path)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE media (sha256 BLOB)").connection.commit()
    with pytest.raises(TipsDbError, match="something else"):
        TipsDb(other)
    assert not (tmp_path / "ws" / "tips.db").exists()


def test_the_tips_database_is_never_inside_the_served_site(site: Path) -> None:
    with pytest.raises(TipsDbError, match="inside the site folder"):
        server.serve(site, site / "answers" / "tips.db", "127.0.0.1", 9)
    assert not (site / "answers" / "tips.db").exists()
    db = TipsDb(site / "tips.db")
    with pytest.raises(TipsDbError, match="inside the site folder"):
        server.TipsApp(site, db)
    db.close()


def test_the_limits_are_the_sites() -> None:
    assert (form.TEXT_MAX, form.CONTACT_MAX) == (published.TEXT_MAX, published.CONTACT_MAX)


def test_a_tip_with_proof_of_work_is_taken(client: TestClient, app: server.TipsApp) -> None:
    text = "I saw this mug\r\nin a shop in Lyon."
    answer = post(client, encoded(tip_form(IDS[0], text, contact="  a@b.example ")))
    assert answer.status_code == 303 and answer.headers["location"] == "/en/thanks.html"
    assert "set-cookie" not in answer.headers and "server" not in answer.headers
    [tip] = stored(app)
    assert tip["text"] == "I saw this mug\nin a shop in Lyon." and tip["contact"] == "a@b.example"
    assert tip["lane"] == "pow" and tip["object"] == IDS[0] and tip["title"] == "Object mug"
    assert str(tip["received"]).endswith(":00Z")
    page = client.get("/en/thanks.html")
    assert page.status_code == 200 and b"Thank you" in page.content
    assert page.headers["referrer-policy"] == "no-referrer"


def test_a_real_server_keeps_and_logs_nothing_of_the_sender(
        site: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Over a socket, from 127.0.0.7 with a marked user agent, cookie and forwarded-for."""
    caplog.set_level("DEBUG")
    db = TipsDb(tmp_path / "tips" / "tips.db")
    app = server.TipsApp(site, db)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    running = uvicorn.Server(server.uvicorn_config(app))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    marks = {"user-agent": "MarkedAgent/9.9", "cookie": "session=MarkedCookie",
             "x-forwarded-for": "198.51.100.77", **FORM}
    try:
        with httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.7"),
                          base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as http:
            ok = http.post("/tip", content=encoded(tip_form(IDS[1], "Sold in Ghent")),
                           headers=marks)
            bad = http.post("/tip", content=b"object=%FF", headers=marks)
            missing = http.get("/nothing-here", headers=marks)
    finally:
        running.should_exit = True
        thread.join(30)
        sock.close()
    assert (ok.status_code, bad.status_code, missing.status_code) == (303, 400, 404)
    db.close()
    kept = b"".join(p.read_bytes() for p in (tmp_path / "tips").iterdir())
    assert b"Sold in Ghent" in kept
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records
                       if not r.name.startswith(("httpx", "httpcore")))  # the client's own
    assert "taking tips" not in logged  # (serve() logs that; here the app runs directly)
    for mark in ("127.0.0.7", "MarkedAgent", "MarkedCookie", "198.51.100.77"):
        assert mark.encode() not in kept, mark
        assert mark not in logged, mark


@pytest.mark.parametrize("case", [
    "unknown id", "bad id", "invalid utf-8", "raw bytes", "megabyte field", "too long text",
    "too long contact", "empty text", "control character", "unknown field", "repeated field",
    "no text", "bad language", "no work done", "stale minute", "future minute", "huge nonce",
    "not a form"])
def test_bad_tips_are_refused_alike_and_nothing_is_stored(client: TestClient,
                                                          app: server.TipsApp,
                                                          case: str) -> None:
    good = tip_form(IDS[0], "Seen in Ghent")
    bodies: dict[str, bytes] = {
        "unknown id": encoded(tip_form("zzzzzzzzzzzzzzzz", "Seen in Ghent")),
        "bad id": encoded({**good, "object": "../../etc/passwd"}),
        "invalid utf-8": encoded(good).replace(b"text=Seen", b"text=%FF%FESeen"),
        "raw bytes": encoded(good).replace(b"Ghent", "Gänt".encode()),
        "megabyte field": encoded({**good, "text": "x" * 1_000_000}),
        "too long text": encoded(tip_form(IDS[0], "x" * 5001)),
        "too long contact": encoded(tip_form(IDS[0], "Seen", contact="c" * 201)),
        "empty text": encoded(tip_form(IDS[0], " \n ")),
        "control character": encoded(tip_form(IDS[0], "Seen\x00in Ghent")),
        "unknown field": encoded({**good, "ip": "1"}),
        "repeated field": encoded(good) + b"&text=again",
        "no text": encoded({k: v for k, v in good.items() if k != "text"}),
        "bad language": encoded(tip_form(IDS[0], "Seen", lang="xx")),
        "no work done": encoded({**good, "pow_n": str(_failing_nonce(good))}),
        "stale minute": encoded(tip_form(IDS[0], "Seen", minute=int(good["pow_t"]) - 30)),
        "future minute": encoded(tip_form(IDS[0], "Seen", minute=int(good["pow_t"]) + 30)),
        "huge nonce": encoded({**good, "pow_n": str(2 ** 64)}),
        "not a form": b"{\"object\": \"x\"}",
    }
    answer = post(client, bodies[case])
    assert 400 <= answer.status_code < 500, answer.status_code
    assert stored(app) == []
    if answer.status_code == 400:  # every refusal reads the same
        reference = post(client, encoded(tip_form("zzzzzzzzzzzzzzzz", "Seen in Ghent")))
        assert (answer.content, sorted(answer.headers.items())) == \
            (reference.content, sorted(reference.headers.items()))


def _works(fields: dict[str, str], nonce: int) -> bool:
    inner = proof.inner(fields["object"], fields["lang"], int(fields["pow_t"]), fields["text"],
                        fields["contact"])
    return proof.enough(proof.work(inner, nonce), BITS)


def _failing_nonce(fields: dict[str, str]) -> int:
    return next(n for n in range(1000) if not _works(fields, n))


def test_other_requests(client: TestClient, app: server.TipsApp) -> None:
    assert post(client, encoded(tip_form(IDS[0], "Seen")),
                {"content-type": "text/plain"}).status_code == 415
    assert client.post("/tip", content=b"x" * 100,
                       headers={**FORM, "content-length": str(10 ** 7)}).status_code == 413
    assert client.get("/tip").status_code == 405
    assert client.put("/en/index.html", content=b"x").status_code == 405
    assert client.get("/../tips.db").status_code == 404
    assert stored(app) == []


def test_a_token_is_spent_once(client: TestClient, app: server.TipsApp) -> None:
    body = encoded(tip_form(IDS[0], "Seen in Ghent"))
    assert post(client, body).status_code == 303
    assert post(client, body).status_code == 400
    assert len(stored(app)) == 1


def test_without_javascript_a_stricter_global_limit(client: TestClient,
                                                    app: server.TipsApp) -> None:
    plain = [post(client, encoded(tip_form(IDS[0], f"plain {i}", minute=-1))) for i in range(4)]
    assert [a.status_code for a in plain] == [303, 303, 429, 429]
    assert plain[2].headers["retry-after"].isdigit()
    assert b"try again later" in plain[2].content
    assert post(client, encoded(tip_form(IDS[0], "with work"))).status_code == 303
    assert sorted(t["lane"] for t in stored(app)) == ["plain", "plain", "pow"]


def test_a_flood_of_bad_tokens_stores_nothing(client: TestClient, app: server.TipsApp) -> None:
    good = tip_form(IDS[0], "flood")
    bad = [n for n in range(400) if not _works(good, n)][:200]
    for n in bad:
        assert post(client, encoded({**good, "pow_n": str(n)})).status_code == 400
    assert stored(app) == [] and app.counts["refused"] == 200


def test_a_republished_site_is_taken_without_restart(client: TestClient, app: server.TipsApp,
                                                     site: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "RELOAD_SECONDS", 0.0)
    make_site(site, IDS[1:])  # the first object withdrawn
    assert post(client, encoded(tip_form(IDS[0], "late tip"))).status_code == 400
    assert post(client, encoded(tip_form(IDS[1], "still open"))).status_code == 303
    assert [t["object"] for t in stored(app)] == [IDS[1]]
    with sqlite3.connect(app.db.path) as conn:
        assert dict(conn.execute("SELECT id, listed FROM objects")) == {IDS[0]: 0, IDS[1]: 1}


def test_a_site_it_cannot_serve_is_refused(tmp_path: Path, site: Path) -> None:
    from cumberland.tips.feed import FeedError, load

    feed = json.loads((site / "objects.json").read_text())
    for change, match in (({"format": "x"}, "not a Trace An Object feed"),
                          ({"limits": {"text": 9, "contact": 1}}, "limits"),
                          ({"objects": [{"id": "bad"}]}, "malformed|not as published")):
        (site / "objects.json").write_text(json.dumps({**feed, **change}))
        with pytest.raises(FeedError, match=match):
            load(site)
    with pytest.raises(FeedError, match="not a readable feed"):
        load(tmp_path / "nowhere")


def test_tips_arriving_together_share_a_commit_and_a_token_still_counts_once(
        app: server.TipsApp) -> None:
    import asyncio

    async def send(body: bytes) -> int:
        sent: list[dict[str, object]] = []
        scope = {"type": "http", "method": "POST", "path": "/tip", "headers": [
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"content-length", str(len(body)).encode())]}

        async def receive() -> dict[str, object]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def record(message: dict[str, object]) -> None:
            sent.append(message)

        await app(scope, receive, record)  # type: ignore[arg-type]
        return int(sent[0]["status"])  # type: ignore[call-overload]

    async def together() -> list[int]:
        same = encoded(tip_form(IDS[0], "one token, sent twice at once"))
        others = [encoded(tip_form(IDS[1], f"tip {n}")) for n in range(5)]
        return list(await asyncio.gather(send(same), *map(send, others), send(same)))

    answers = asyncio.run(together())
    assert sorted(answers) == [303] * 6 + [400]
    assert len(stored(app)) == 6


@pytest.mark.parametrize(("text", "contact", "taken"), [
    ("Vu au marché\u00a0: rue Mercière 🧑\u200d🍳", "", True),  # no-break space, joiner
    ("Seen", "me\n@example", False),  # a line break in the contact field
    ("Seen\u202ein Ghent", "", True),  # a direction mark is text, not a control
    ("Seen \U000e0001 tag", "", True),
    ("Seen \udfff", "", False),
])
def test_what_counts_as_text(text: str, contact: str, taken: bool) -> None:
    fields = {"object": IDS[0], "lang": "en", "text": text, "contact": contact}
    body = "&".join(f"{k}={quote(v, errors='surrogatepass')}" for k, v in fields.items())
    if taken:
        assert form.parse(body.encode()).text == text
    else:
        with pytest.raises(form.FormError):
            form.parse(body.encode())
