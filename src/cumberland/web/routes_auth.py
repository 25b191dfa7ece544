"""Login, logout and the session-wide "show sharp thumbnails" toggle."""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from cumberland.store import accounts, audit
from cumberland.web.pages import render
from cumberland.web.security import (
    LOGIN_COOKIE,
    SESSION_COOKIE,
    config,
    current,
    public,
    require,
    workspace,
)

router = APIRouter()


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _set_cookie(request: Request, response: Response, name: str, value: str) -> None:
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/",
                        secure=config(request).secure_cookies)


def _login_form(request: Request, error: str | None = None, status: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", {"login_csrf": token, "error": error}, status)
    _set_cookie(request, response, LOGIN_COOKIE, token)
    return response


@router.get("/login")
@public
def login_page(request: Request) -> Response:
    return _login_form(request)


@router.post("/login")
@public
def login(request: Request, name: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=1000)]) -> Response:
    ws = workspace(request)
    cfg = config(request)
    address = _address(request)
    if max(audit.login_failures(ws, name, address, time.time() - cfg.login_window)) >= \
            cfg.login_attempts:
        audit.append(ws, name, "login-blocked", details={"address": address})
        return _login_form(request, "Too many failed attempts; wait a few minutes.", 429)
    account = accounts.authenticate(ws, name, password)
    if account is None:
        audit.append(ws, name, "login-failed", details={"address": address})
        return _login_form(request, "Wrong name or password.", 401)
    token = accounts.open_session(ws, account)
    audit.append(ws, account.name, "login", details={"address": address, "role": account.role})
    response = RedirectResponse("/", status_code=303)
    _set_cookie(request, response, SESSION_COOKIE, token)
    response.delete_cookie(LOGIN_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    session = current(request)
    accounts.close_session(workspace(request), request.cookies.get(SESSION_COOKIE, ""))
    audit.append(workspace(request), session.account.name, "logout")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/session/show")
def show_confirm(request: Request) -> Response:
    require(request, "reveal")
    return render(request, "show_confirm.html")


@router.post("/session/show")
def show_all(request: Request, confirm: Annotated[str, Form()] = "") -> Response:
    session = require(request, "reveal")
    if confirm != "yes":
        raise HTTPException(400, "showing sharp thumbnails needs an explicit confirmation")
    accounts.set_show_all(workspace(request), session.id, True)
    audit.append(workspace(request), session.account.name, "show-all-on")
    return RedirectResponse("/", status_code=303)


@router.post("/session/hide")
def hide_all(request: Request) -> Response:
    session = current(request)
    accounts.set_show_all(workspace(request), session.id, False)
    audit.append(workspace(request), session.account.name, "show-all-off")
    return RedirectResponse("/", status_code=303)
