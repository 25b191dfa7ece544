"""The security findings of issue 16, each reproduced as it was reported.

Integer-overflow ids, the per-address login lockout, the Host header, Origin on POSTs, secure
cookies behind a TLS proxy, the global audit page, foreign media in decisions.
"""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from cumberland.store import accounts, audit
from cumberland.store.models import AuditEntry
from cumberland.web import create_app, throttle
from cumberland.web.security import LOGIN_COOKIE, SESSION_COOKIE, WebConfig

from .conftest import PASSWORD, Built, login, web_config

HUGE = "99999999999999999999999"
SECURITY_HEADERS = ("content-security-policy", "x-frame-options", "x-content-type-options",
                    "cache-control")


def _has_security_headers(response: object) -> bool:
    headers = response.headers  # type: ignore[attr-defined]
    return all(name in headers for name in SECURITY_HEADERS) and \
        "no-store" in headers["cache-control"]


def test_overflowing_ids_are_404_with_the_security_headers(app: FastAPI, built: Built) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    login(client, "alice")
    case = built.cases["alpha"]
    for url in (f"/cases/{HUGE}", f"/cases/{HUGE}/review", f"/cases/{case}/review?source={HUGE}",
                f"/cases/{case}/review?category={HUGE}", "/cases/-1",
                f"/cases/{case}/review?after={HUGE}.{'0' * 64}"):
        response = client.get(url)
        assert response.status_code in (200, 404), (url, response.status_code)
        assert _has_security_headers(response), url
    assert client.get(f"/cases/{case}/review?source={HUGE}").status_code == 404
    assert client.get(f"/cases/{case}/review?category={HUGE}").status_code == 404
    # a cursor beyond every priority starts from the top instead of failing
    assert client.get(f"/cases/{case}/review?after={HUGE}.{'0' * 64}").status_code == 200


def test_an_unexpected_error_still_carries_the_security_headers(
        app: FastAPI, built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(app, raise_server_exceptions=False)
    login(client, "alice")

    def broken(*_args: object) -> bool:
        raise RuntimeError("database went away")

    monkeypatch.setattr(accounts, "is_member", broken)
    response = client.get(f"/cases/{built.cases['alpha']}")
    assert response.status_code == 500
    assert _has_security_headers(response)
    assert "database went away" not in response.text


def _attempt(client: TestClient, name: str, password: str) -> int:
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    return client.post("/login", data={"name": name, "password": password,
                                       "csrf": token.group(1)},
                       follow_redirects=False).status_code


def test_failures_of_one_account_never_lock_out_another(app: FastAPI) -> None:
    attacker, colleague = TestClient(app), TestClient(app)  # one address: "testclient"
    assert [_attempt(attacker, "alice", "wrong") for _ in range(4)] == [401, 401, 401, 429]
    assert _attempt(attacker, "alice", PASSWORD) == 429  # alice herself is locked for a while
    assert _attempt(colleague, "root", PASSWORD) == 303  # a colleague behind the same proxy


def test_an_address_spraying_names_is_slowed_never_locked(
        built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    pauses: list[float] = []

    async def record(seconds: float) -> None:
        pauses.append(seconds)

    monkeypatch.setattr(throttle, "pause", record)
    client = TestClient(create_app(built.ws, web_config(address_attempts=3, address_delay=0.5)))
    names = [f"nobody{n}" for n in range(5)]
    assert [_attempt(client, n, "guess") for n in names] == [401] * 5
    assert pauses == [0.5, 1.0]  # from the third failure on, each attempt waits twice as long
    assert _attempt(client, "root", PASSWORD) == 303  # slowed, never refused
    assert len(pauses) == 3


def test_account_backoff_grows_and_expires() -> None:
    cfg = WebConfig(login_attempts=3, login_backoff=60, login_backoff_max=600)
    assert throttle.account_wait(throttle.Failures(2, 1000.0), 1001.0, cfg) == 0
    assert throttle.account_wait(throttle.Failures(3, 1000.0), 1001.0, cfg) == 59
    assert throttle.account_wait(throttle.Failures(4, 1000.0), 1000.0, cfg) == 120
    assert throttle.account_wait(throttle.Failures(3, 1000.0), 1060.0, cfg) == 0  # expired
    assert throttle.account_wait(throttle.Failures(20, 1000.0), 1000.0, cfg) == 600  # capped


def test_locked_account_opens_again_after_its_backoff(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    client = TestClient(app)
    assert [_attempt(client, "alice", "wrong") for _ in range(3)] == [401] * 3
    assert _attempt(client, "alice", PASSWORD) == 429
    later = throttle.clock() + WebConfig().login_backoff + 1
    monkeypatch.setattr(throttle, "clock", lambda: later)
    assert _attempt(client, "alice", PASSWORD) == 303


def test_host_header_is_allow_listed(built: Built) -> None:
    app = create_app(built.ws, web_config())
    assert TestClient(app).get("/login").status_code == 200
    for host in ("evil.example", "evil.example:8000", "127.0.0.1.evil.example"):
        response = TestClient(app).get("/login", headers={"host": host})
        assert response.status_code == 400, host
        assert _has_security_headers(response)
    default = create_app(built.ws)  # the default allows loopback names only
    assert TestClient(default, base_url="http://127.0.0.1:8000").get("/login").status_code == 200
    assert TestClient(default, base_url="http://[::1]:8000").get("/login").status_code == 200
    assert TestClient(default).get("/login").status_code == 400  # "testserver"


def test_posts_from_another_origin_are_refused(client: TestClient, built: Built) -> None:
    csrf = login(client, "alice")
    case, sha = built.cases["alpha"], built.media["alpha"][0]
    url = f"/cases/{case}/decisions"
    body = {"media": [sha], "category": 2}
    for headers in ({"origin": "https://evil.example"}, {"origin": "null"},
                    {"origin": "http://testserver.evil.example"},
                    {"sec-fetch-site": "cross-site"}, {"sec-fetch-site": "same-site"}):
        response = client.post(url, json=body, headers={"x-csrf-token": csrf, **headers})
        assert response.status_code == 403, headers
        assert _has_security_headers(response)
    assert client.post(url, json=body, headers={
        "x-csrf-token": csrf, "origin": "http://testserver",
        "sec-fetch-site": "same-origin"}).status_code == 200
    # the login form too
    anonymous = TestClient(client.app)
    page = anonymous.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    refused = anonymous.post("/login", data={"name": "alice", "password": PASSWORD,
                                             "csrf": token.group(1)},
                             headers={"origin": "https://evil.example"})
    assert refused.status_code == 403


def _session_cookie(response: object) -> str:
    return next(c for c in response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
                if c.startswith(SESSION_COOKIE + "="))


def _login_response(client: TestClient, headers: dict[str, str] | None = None) -> object:
    page = client.get("/login", headers=headers)
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token
    # sent by hand: the client keeps a cookie marked Secure away from this http:// URL
    cookie = f"{LOGIN_COOKIE}={page.cookies[LOGIN_COOKIE]}"
    return client.post("/login", data={"name": "alice", "password": PASSWORD,
                                       "csrf": token.group(1)},
                       headers={**(headers or {}), "cookie": cookie}, follow_redirects=False)


def test_secure_cookie_behind_a_trusted_tls_proxy(built: Built) -> None:
    forwarded = {"x-forwarded-proto": "https", "x-forwarded-for": "203.0.113.7"}
    # a proxy on the same host (the usual deployment), trusted by address
    app = create_app(built.ws, web_config(trusted_proxies=("127.0.0.1",)))
    proxied = TestClient(app, client=("127.0.0.1", 40000))
    cookie = _session_cookie(_login_response(proxied, forwarded))
    assert "Secure" in cookie
    with built.ws.engine.connect() as conn:
        addresses = [d.get("address") for d in conn.scalars(
            select(AuditEntry.details).where(AuditEntry.action == "login"))]
    assert addresses[-1] == "203.0.113.7"  # the client's address, not the proxy's
    # the same headers from anyone else are ignored
    direct = TestClient(create_app(built.ws, web_config()), client=("127.0.0.1", 40001))
    assert "Secure" not in _session_cookie(_login_response(direct, forwarded))
    # and the setting forces it
    forced = TestClient(create_app(built.ws, web_config(secure_cookies=True)))
    assert "Secure" in _session_cookie(_login_response(forced))


def test_global_audit_shows_an_auditor_only_their_cases(app: FastAPI, built: Built) -> None:
    bob = TestClient(app)
    csrf = login(bob, "bob")  # investigator of bravo
    bravo, bravo_sha = built.cases["bravo"], built.media["bravo"][0]
    assert bob.post(f"/cases/{bravo}/media/{bravo_sha}/reveal",
                    headers={"x-csrf-token": csrf}).status_code == 200
    alice = TestClient(app)
    csrf = login(alice, "alice")
    alpha, alpha_sha = built.cases["alpha"], built.media["alpha"][1]
    alice.post(f"/cases/{alpha}/media/{alpha_sha}/reveal", headers={"x-csrf-token": csrf})
    auditor = TestClient(app)
    login(auditor, "audrey")  # auditor of alpha only
    page = auditor.get("/audit").text
    assert alpha_sha in page and bravo_sha not in page
    assert "<th>case</th>" in page and ">alpha<" in page and ">bravo<" not in page
    admin = TestClient(app)
    login(admin, "root")
    everything = admin.get("/audit").text
    assert alpha_sha in everything and bravo_sha in everything and ">bravo<" in everything


def test_decisions_with_media_of_another_case_are_refused_and_logged(
        client: TestClient, built: Built) -> None:
    csrf = login(client, "alice")
    alpha, own = built.cases["alpha"], built.media["alpha"][0]
    foreign = built.media["bravo"][0]
    response = client.post(f"/cases/{alpha}/decisions", json={"media": [own, foreign],
                                                                "category": 1},
                           headers={"x-csrf-token": csrf})
    assert response.status_code == 404
    entry = audit.recent(built.ws, alpha, limit=1)[0]
    assert entry.action == "categorise-refused" and entry.actor == "alice"
    assert entry.details["media"] == [own, foreign] and entry.details["foreign"] == [foreign]
    # nothing was stored, not even the media that does belong to the case
    with built.ws.engine.connect() as conn:
        from cumberland.store.models import Decision

        assert conn.scalar(select(Decision.media_sha256)) is None
