"""Security properties of the workbench, checked over every route the app declares."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, text, update
from starlette.routing import BaseRoute

from cumberland.store.models import AuditEntry, User, WebSession
from cumberland.web.security import SESSION_COOKIE

from .conftest import PASSWORD, Built, login, web_config

PUBLIC = {("GET", "/login"), ("POST", "/login")}


def _walk(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    """Every route, descending into included routers (FastAPI keeps those as wrappers)."""
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _walk(included.routes)
        else:
            yield route


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    found = []
    for route in _walk(app.routes):
        if isinstance(route, APIRoute):
            found.extend((method, route.path) for method in sorted(route.methods))
    return found


def _fill(path: str, case: int, sha: str) -> str:
    return path.replace("{case_id}", str(case)).replace("{sha256}", sha).replace(
        "{person_id}", "1").replace("{public_id}", "a" * 16).replace("{uid}", "a" * 32).replace(
        "{number}", "1")


def test_route_table_is_what_these_tests_cover(app: FastAPI) -> None:
    routes = _routes(app)
    assert len(routes) >= 15
    unknown_params = [p for _, p in routes if set(re.findall(r"{(\w+)}", p)) -
                      {"case_id", "sha256", "person_id", "public_id", "uid", "number"}]
    assert unknown_params == [], "a new path parameter needs a value in these tests"
    others = [r for r in _walk(app.routes) if not isinstance(r, APIRoute)]
    assert [getattr(r, "path", None) for r in others] == ["/static"]


def test_every_route_refuses_anonymous_requests(app: FastAPI, built: Built) -> None:
    client = TestClient(app)
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    checked = 0
    for method, path in _routes(app):
        if (method, path) in PUBLIC:
            continue
        response = client.request(method, _fill(path, case, sha), follow_redirects=False,
                                  json={"media": [sha], "category": 1})
        assert response.status_code in (303, 401), (method, path, response.status_code)
        if response.status_code == 303:
            assert response.headers["location"] == "/login"
        assert sha not in response.text and b"\xff\xd8" not in response.content[:2]
        checked += 1
    assert checked >= 14


def test_member_of_another_case_gets_404_everywhere(app: FastAPI, built: Built) -> None:
    client = TestClient(app)
    csrf = login(client, "bob")  # member of bravo only, and an investigator (may export)
    alpha, sha = built.cases["alpha"], built.media["alpha"][0]
    case_routes = [(m, p) for m, p in _routes(app) if "{case_id}" in p]
    assert len(case_routes) >= 10
    for method, path in case_routes:
        response = client.request(method, _fill(path, alpha, sha), follow_redirects=False,
                                  headers={"x-csrf-token": csrf},
                                  json={"media": [sha], "category": 1})
        assert response.status_code == 404, (method, path, response.status_code)
    # a case that does not exist looks the same as one you are not on
    assert client.get("/cases/999999").status_code == 404
    # his own case works, and media of alpha are not reachable through it either
    bravo = built.cases["bravo"]
    assert client.get(f"/cases/{bravo}").status_code == 200
    assert client.get(f"/cases/{bravo}/media/{sha}/thumb").status_code == 404
    assert client.get(f"/cases/{bravo}/media/{sha}").status_code == 404


def test_state_changes_need_the_csrf_token(client: TestClient, built: Built) -> None:
    csrf = login(client, "alice")
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    url = f"/cases/{case}/decisions"
    body = {"media": [sha], "category": 2}
    assert client.post(url, json=body).status_code == 403
    assert client.post(url, json=body, headers={"x-csrf-token": "forged"}).status_code == 403
    assert client.post(f"/cases/{case}/media/{sha}/reveal").status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    assert client.post(url, json=body, headers={"x-csrf-token": csrf}).status_code == 200
    # the login form has its own token (double-submit cookie)
    anonymous = TestClient(client.app)
    anonymous.get("/login")
    refused = anonymous.post("/login", data={"name": "alice", "password": PASSWORD})
    assert refused.status_code == 403


def test_path_traversal_in_media_urls_is_refused(client: TestClient, built: Built) -> None:
    login(client, "alice")
    case = built.cases["alpha"]
    sha = built.media["alpha"][0]
    for bad in ("..%2F..%2Fcumberland.db", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e", sha.upper(),
                sha[:-1], sha + "0", "%2E%2E%2F%2E%2E", "thumbs%2F" + sha[:2]):
        for tail in ("/thumb", "/sharp", ""):
            response = client.get(f"/cases/{case}/media/{bad}{tail}", follow_redirects=False)
            assert response.status_code == 404, (bad, tail)
            assert b"SQLite format" not in response.content
            assert b"root:" not in response.content
    # dot segments are resolved by the client; what arrives still never leaves the workspace
    response = client.get(f"/cases/{case}/media/{sha}/../../../../cumberland.db")
    assert response.status_code == 404


def test_audit_chain_detects_an_edited_row(client: TestClient, built: Built) -> None:
    from cumberland.store import audit

    csrf = login(client, "alice")
    case = built.cases["alpha"]
    for sha in built.media["alpha"][:3]:
        client.post(f"/cases/{case}/media/{sha}/reveal", headers={"x-csrf-token": csrf})
    before = audit.verify(built.ws)
    assert before.ok and before.rows >= 4
    with built.ws.engine.begin() as conn:
        target = conn.scalar(select(AuditEntry.id).where(AuditEntry.action == "reveal")
                             .order_by(AuditEntry.id).limit(1))
        conn.execute(update(AuditEntry).where(AuditEntry.id == target).values(
            target=built.media["alpha"][7]))
    after = audit.verify(built.ws)
    assert not after.ok and after.bad_id == target
    assert after.reason is not None and "modified" in after.reason


def test_audit_chain_detects_a_deleted_row(built: Built) -> None:
    from cumberland.store import audit

    for n in range(5):
        audit.append(built.ws, "tester", "note", details={"n": n})
    with built.ws.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id = 3"))
    verdict = audit.verify(built.ws)
    assert verdict.bad_id == 4


def test_audit_anchor_catches_entries_removed_from_the_end(built: Built) -> None:
    from cumberland.store import audit

    for n in range(3):
        audit.append(built.ws, "tester", "note", details={"n": n})
    anchor = audit.verify(built.ws).last_hash
    assert audit.verify(built.ws, anchor=anchor).ok
    audit.append(built.ws, "tester", "note", details={"n": 3})
    assert audit.verify(built.ws, anchor=anchor).ok  # the chain goes on past the anchor
    with built.ws.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE id >= (SELECT max(id) - 1 "
                          "FROM audit_log)"))
    assert audit.verify(built.ws).ok  # without an anchor the shortened chain looks intact
    cut = audit.verify(built.ws, anchor=anchor)
    assert not cut.ok and cut.reason is not None and "removed from its end" in cut.reason


def test_passwords_are_argon2_and_cookie_is_strict(client: TestClient, built: Built) -> None:
    with built.ws.engine.connect() as conn:
        hashes = list(conn.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    response = client.post("/login", data={"name": "alice", "password": PASSWORD,
                                           "csrf": token.group(1)}, follow_redirects=False)
    cookie = next(c for c in response.headers.get_list("set-cookie")
                  if c.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie
    # the database keeps only a hash of the token
    value = cookie.split(";")[0].split("=", 1)[1]
    with built.ws.engine.connect() as conn:
        assert value not in set(conn.scalars(select(WebSession.id)))


def _attempt(client: TestClient, password: str) -> int:
    """One login of alice through the form: the response's status."""
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    return client.post("/login", data={"name": "alice", "password": password,
                                       "csrf": token.group(1)},
                       follow_redirects=False).status_code


def test_login_is_rate_limited(client: TestClient) -> None:
    assert [_attempt(client, "wrong-guess") for _ in range(3)] == [401, 401, 401]
    assert _attempt(client, PASSWORD) == 429  # even the right password, until the window passes


def test_idle_session_expires(client: TestClient, built: Built) -> None:
    login(client, "alice")
    assert client.get("/", follow_redirects=False).status_code == 200
    with built.ws.engine.begin() as conn:
        conn.execute(update(WebSession).values(last_seen=WebSession.last_seen - 3600))
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login"
    with built.ws.engine.connect() as conn:
        assert conn.scalar(select(WebSession.id)) is None


def test_security_headers(client: TestClient, built: Built) -> None:
    login(client, "alice")
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    for url in ("/login", "/", f"/cases/{case}/review", f"/cases/{case}/media/{sha}/thumb",
                "/static/app.js", "/no-such-page"):
        headers = client.get(url).headers
        csp = headers["content-security-policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'", url
        assert directives["frame-ancestors"] == "'none'"
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert "no-store" in headers["cache-control"]


def test_templates_have_no_inline_script(client: TestClient, built: Built) -> None:
    login(client, "alice")
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    for url in ("/", f"/cases/{case}", f"/cases/{case}/review", f"/cases/{case}/media/{sha}",
                f"/cases/{case}/audit"):
        page = client.get(url).text
        scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.S)
        assert scripts and all('src="/static/' in attrs and not body.strip()
                               for attrs, body in scripts), url
        assert not re.search(r"\son[a-z]+=", page), url  # no inline event handlers


def test_thumbnails_are_blurred_greyscale_until_revealed(client: TestClient,
                                                         built: Built) -> None:
    csrf = login(client, "alice")
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    blurred = client.get(f"/cases/{case}/media/{sha}/thumb")
    assert blurred.status_code == 200 and blurred.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(blurred.content))
    assert image.mode == "L"
    sharp_bytes = built.ws.thumb_path(bytes.fromhex(sha)).read_bytes()
    assert blurred.content != sharp_bytes
    assert client.get(f"/cases/{case}/media/{sha}/sharp").status_code == 404
    grid = client.get(f"/cases/{case}/review?status=all").text
    assert f"/media/{sha}/sharp" not in grid and f"/media/{sha}/thumb" in grid
    reveal = client.post(f"/cases/{case}/media/{sha}/reveal", headers={"x-csrf-token": csrf})
    assert reveal.status_code == 200
    sharp = client.get(f"/cases/{case}/media/{sha}/sharp")
    assert sharp.status_code == 200 and sharp.content == sharp_bytes
    assert f"/media/{sha}/sharp" in client.get(f"/cases/{case}/review?status=all").text
    # only that one item, only for this session
    other = built.media["alpha"][1]
    assert client.get(f"/cases/{case}/media/{other}/sharp").status_code == 404
    second = TestClient(client.app)
    login(second, "root")
    assert second.get(f"/cases/{case}/media/{sha}/sharp").status_code == 404
    audit_page = client.get(f"/cases/{case}/audit").text
    assert "reveal" in audit_page and sha in audit_page


def test_show_all_needs_confirmation_and_is_logged(client: TestClient, built: Built) -> None:
    csrf = login(client, "alice")
    case, sha = built.cases["alpha"], built.media["alpha"][5]
    assert client.post("/session/show", data={"csrf": csrf}).status_code == 400
    assert client.get(f"/cases/{case}/media/{sha}/sharp").status_code == 404
    done = client.post("/session/show", data={"csrf": csrf, "confirm": "yes"},
                       follow_redirects=False)
    assert done.status_code == 303
    assert client.get(f"/cases/{case}/media/{sha}/sharp").status_code == 200
    with built.ws.engine.connect() as conn:
        actions = list(conn.scalars(select(AuditEntry.action).where(AuditEntry.actor == "alice")))
    assert "show-all-on" in actions
    client.post("/session/hide", data={"csrf": csrf})
    assert client.get(f"/cases/{case}/media/{sha}/sharp").status_code == 404


def test_roles_limit_what_members_may_do(app: FastAPI, built: Built) -> None:
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    auditor = TestClient(app)
    csrf = login(auditor, "audrey")
    headers = {"x-csrf-token": csrf}
    assert auditor.get(f"/cases/{case}/review").status_code == 200
    assert auditor.post(f"/cases/{case}/decisions", json={"media": [sha], "category": 1},
                        headers=headers).status_code == 403
    assert auditor.post(f"/cases/{case}/media/{sha}/reveal", headers=headers).status_code == 403
    assert auditor.get("/audit").status_code == 200
    reviewer = TestClient(app)
    csrf = login(reviewer, "alice")
    assert reviewer.get("/audit").status_code == 403
    assert reviewer.post(f"/cases/{case}/export/vics",
                         headers={"x-csrf-token": csrf}).status_code == 403


def test_login_limit_is_shared_by_server_processes(built: Built) -> None:
    """Failures are counted from the audit log: a second server (or a restarted one) on the
    same workspace sees them; a successful login clears the name's count."""
    from cumberland.web.app import create_app

    def server() -> TestClient:
        return TestClient(create_app(built.ws, web_config()))

    first, second = server(), server()
    assert [_attempt(first, "wrong"), _attempt(first, "wrong")] == [401, 401]
    assert _attempt(second, PASSWORD) == 303  # two of three: not locked; the login clears them
    assert [_attempt(second, "wrong"), _attempt(first, "wrong")] == [401, 401]
    assert _attempt(second, "wrong") == 401  # the third since that login, on either server
    assert _attempt(first, PASSWORD) == 429  # the other server counts all three
    assert _attempt(server(), PASSWORD) == 429  # and so does a restarted one


def test_login_failures_count_per_name_and_address(built: Built) -> None:
    import time

    from cumberland.store import audit

    start = time.time() - 1
    for address in ("10.0.0.1", "10.0.0.1", "10.0.0.2"):
        audit.append(built.ws, "bob", "login-failed", details={"address": address})
    audit.append(built.ws, "bob", "login", details={"address": "10.0.0.2"})
    audit.append(built.ws, "bob", "login-failed", details={"address": "10.0.0.2"})
    audit.append(built.ws, "carol", "login-failed", details={"address": "10.0.0.1"})
    # bob: one failure since his last login; addresses keep theirs through a login
    (name, _), (address, _) = audit.login_history(built.ws, "bob", "10.0.0.1", start)
    assert (name, address) == (1, 3)
    (name, last), (address, _) = audit.login_history(built.ws, "bob", "10.0.0.2", start)
    assert (name, address) == (1, 2) and start < last <= time.time()
    later = audit.login_history(built.ws, "bob", "10.0.0.1", time.time() + 1)
    assert later == ((0, 0.0), (0, 0.0))
