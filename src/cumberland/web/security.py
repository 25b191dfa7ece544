"""What every request goes through: authentication, case membership, CSRF, rate limits, headers.

It is wired as an app-wide dependency and an ASGI middleware, not per route, so a route added
later is protected without anyone remembering to protect it. Routes meant for anonymous users
(the login form) opt out with :func:`public`.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
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
       "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
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


@dataclass(frozen=True, slots=True)
class WebConfig:
    idle_timeout: float = 15 * 60
    login_attempts: int = 5  # failures per name and address within login_window
    login_window: float = 5 * 60
    secure_cookies: bool = False  # set when served over TLS (any non-loopback bind)
    page_size: int = 120


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


async def guard(request: Request) -> None:
    """App-wide dependency: session, CSRF on state changes, and case membership (else 404)."""
    route = request.scope.get("route")
    is_public = bool(getattr(getattr(route, "endpoint", None), "public", False))
    if is_public:
        if request.method not in SAFE_METHODS and not _same(
                await _submitted_token(request), request.cookies.get(LOGIN_COOKIE, "")):
            raise HTTPException(403, "missing or wrong CSRF token; reload the page")
        return
    token = request.cookies.get(SESSION_COOKIE)
    session = await run_in_threadpool(
        accounts.load_session, workspace(request), token, config(request).idle_timeout
    ) if token else None
    if session is None:
        raise LoginRequired()
    if request.method not in SAFE_METHODS and not _same(await _submitted_token(request),
                                                        session.csrf):
        raise HTTPException(403, "missing or wrong CSRF token; reload the page")
    request.state.session = session
    case_id = request.path_params.get("case_id")
    if case_id is not None:
        text = str(case_id)
        if not text.isdigit() or not await run_in_threadpool(
                accounts.is_member, workspace(request), session.account.id, int(text)):
            raise HTTPException(404, "not found")


class SecurityHeaders:
    """Adds the headers above to every response, errors and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", []))
                # A route may tighten or restate the CSP (the printable report does).
                has_csp = any(k.lower() == b"content-security-policy" for k, _ in own)
                names = {name for name, _ in HEADERS if not (has_csp and name == HEADERS[0][0])}
                kept = [(k, v) for k, v in own if k.lower() not in names]
                message["headers"] = kept + [(k, v) for k, v in HEADERS if k in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)
