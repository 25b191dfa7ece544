"""What every request goes through: authentication, case membership, CSRF, Origin, allowed
host names, headers.

It is wired as an app-wide dependency and ASGI middlewares, not per route, so a route added
later is protected without anyone remembering to protect it. Routes meant for anonymous users
(the login form) opt out with :func:`public`.
"""

from __future__ import annotations

import ipaddress
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi import HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from cumberland.store import accounts
from cumberland.store.accounts import SessionInfo
from cumberland.store.workspace import Workspace

SESSION_COOKIE = "cb_session"
LOGIN_COOKIE = "cb_login"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
       "base-uri 'none'")
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    # Nothing is cached: pages and thumbnails are case material.
    (b"cache-control", b"no-store"),
    (b"pragma", b"no-cache"),
]

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)
MAX_ID = 2**31 - 1  # ids are 32-bit integers in every database the workspace supports
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class WebConfig:
    idle_timeout: float = 15 * 60
    # Login throttling (web/throttle.py): an account is locked after login_attempts failures
    # since its last login, for login_backoff seconds doubling with each further failure; an
    # address is slowed (never locked) after address_attempts failures of any names.
    login_attempts: int = 5
    login_backoff: float = 60
    login_backoff_max: float = 3600
    address_attempts: int = 20
    address_delay: float = 1.0
    address_delay_max: float = 8.0
    login_window: float = 24 * 3600  # failures older than this are forgotten
    # Cookies are marked Secure when this is set, or when the request arrived over https
    # (directly, or through a proxy named in trusted_proxies).
    secure_cookies: bool = False
    # Host names (without port) the server answers; anything else is refused (DNS rebinding).
    allowed_hosts: tuple[str, ...] = LOOPBACK_NAMES
    # Addresses or networks of reverse proxies whose X-Forwarded-For/-Proto are believed.
    trusted_proxies: tuple[str, ...] = ()
    page_size: int = 120
    reveal_seconds: float = 5 * 60  # a reveal shows one item sharp for this long
    break_minutes: int = 50  # the session timer reminds the reviewer to take a break
    # Signed audit anchors (store/anchors.py): the agency's Ed25519 key, outside the workspace.
    audit_key: Path | None = None
    audit_anchors: Path | None = None
    anchor_interval: float = 3600


def parse_id(text: str | None) -> int | None:
    """A database id from a URL, or None when it is not one (negative, not a number, or larger
    than any id can be: SQLite refused those with an overflow error, a 500)."""
    if text is None or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= MAX_ID else None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public(endpoint: F) -> F:
    """Mark a route as reachable without a session (the login form only)."""
    endpoint.public = True  # type: ignore[attr-defined]
    return endpoint


class LoginRequired(Exception):
    """Raised for anonymous requests; answered with a redirect to /login or a 401."""


def workspace(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def config(request: Request) -> WebConfig:
    cfg: WebConfig = request.app.state.config
    return cfg


def current(request: Request) -> SessionInfo:
    """The session :func:`guard` attached to this request."""
    session: SessionInfo | None = getattr(request.state, "session", None)
    if session is None:  # only reachable from a public route by mistake
        raise LoginRequired()
    return session


def require(request: Request, power: str) -> SessionInfo:
    session = current(request)
    if not session.account.can(power):
        raise HTTPException(403, f"your role may not {power}")
    return session


async def _submitted_token(request: Request) -> str:
    token = request.headers.get("x-csrf-token")
    if token:
        return token
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form()
        value = form.get("csrf")
        return value if isinstance(value, str) else ""
    return ""


def _same(a: str, b: str) -> bool:
    return bool(a) and bool(b) and secrets.compare_digest(a.encode(), b.encode())


def same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from our own pages.

    Browsers say where a POST comes from: ``Sec-Fetch-Site`` (its relation to us) and
    ``Origin``. Either pointing elsewhere is refused even with a valid token (a token leaked
    into another site must not be usable from it). Our ``no-referrer`` policy makes a browser
    send ``Origin: null`` for our own forms, so ``null`` is accepted only when the browser
    also said ``same-origin``. Clients that send neither (scripts) still need the token.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None or (origin == "null" and site is not None):
        return True
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return secrets.compare_digest(origin.lower().encode(), own.lower().encode())


def _refuse_forgery(request: Request, submitted: str, expected: str) -> None:
    if not same_origin(request):
        raise HTTPException(403, "this request came from another site")
    if not _same(submitted, expected):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page")


async def guard(request: Request) -> None:
    """App-wide dependency: session, CSRF and Origin on state changes, and case membership
    (else 404)."""
    route = request.scope.get("route")
    is_public = bool(getattr(getattr(route, "endpoint", None), "public", False))
    if is_public:
        if request.method not in SAFE_METHODS:
            _refuse_forgery(request, await _submitted_token(request),
                            request.cookies.get(LOGIN_COOKIE, ""))
        return
    token = request.cookies.get(SESSION_COOKIE)
    session = await run_in_threadpool(
        accounts.load_session, workspace(request), token, config(request).idle_timeout
    ) if token else None
    if session is None:
        raise LoginRequired()
    if request.method not in SAFE_METHODS:
        _refuse_forgery(request, await _submitted_token(request), session.csrf)
    request.state.session = session
    case_id = request.path_params.get("case_id")
    if case_id is not None:
        number = parse_id(str(case_id))
        if number is None or not await run_in_threadpool(
                accounts.is_member, workspace(request), session.account.id, number):
            raise HTTPException(404, "not found")


def host_name(header: str) -> str:
    """The name of a Host header without its port: ``[::1]:8000`` is ``::1``."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


class AllowedHosts:
    """Refuses requests naming a host the server does not serve: a page on a rebinding DNS
    name (``evil.example`` resolving to 127.0.0.1) would otherwise reach the workbench with
    the victim's browser."""

    def __init__(self, app: ASGIApp, hosts: tuple[str, ...]) -> None:
        self.app = app
        self.hosts = frozenset(host_name(h) for h in hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
            if host_name(header) not in self.hosts:
                await _plain(send, 400, b"unknown host name")
                return
        await self.app(scope, receive, send)


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class SecurityHeaders:
    """Adds the headers above to every response, errors and static files included.

    It is the outermost layer, so it also answers an unexpected exception itself (Starlette's
    own 500 page is sent from outside every middleware, without these headers).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                own = list(message.get("headers", []))
                # A route may tighten or restate the CSP (the printable report does).
                has_csp = any(k.lower() == b"content-security-policy" for k, _ in own)
                names = {name for name, _ in HEADERS if not (has_csp and name == HEADERS[0][0])}
                kept = [(k, v) for k, v in own if k.lower() not in names]
                message["headers"] = kept + [(k, v) for k, v in HEADERS if k in names]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await _plain(send_with_headers, 500, b"internal error; the server log has details")
