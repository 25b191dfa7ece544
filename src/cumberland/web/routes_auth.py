"""Login, logout and the session-wide "show sharp thumbnails" toggle."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cumberland.store import accounts, audit
from cumberland.web import throttle
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
    secure = config(request).secure_cookies or request.url.scheme == "https"
    response.set_cookie(name, value, httponly=True, samesite="strict", path="/", secure=secure)


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
async def login(request: Request, name: Annotated[str, Form(max_length=200)],
                password: Annotated[str, Form(max_length=1000)]) -> Response:
    ws = workspace(request)
    cfg = config(request)
    address = _address(request)
    now = throttle.clock()
    (by_name, name_last), (by_address, address_last) = await run_in_threadpool(
        audit.login_history, ws, name, address, now - cfg.login_window)
    locked = throttle.account_wait(throttle.Failures(by_name, name_last), now, cfg)
    if locked:
        await run_in_threadpool(audit.append, ws, name, "login-blocked",
                                None, None, {"address": address})
        minutes = max(1, round(locked / 60))
        return _login_form(request, f"Too many failed attempts for this account; try again in "
                           f"about {minutes} minute(s).", 429)
    delay = throttle.address_delay(throttle.Failures(by_address, address_last), cfg)
    if delay:
        async with request.app.state.address_queue.lock(address):
            await throttle.pause(delay)
            account = await run_in_threadpool(accounts.authenticate, ws, name, password)
    else:
        account = await run_in_threadpool(accounts.authenticate, ws, name, password)
    if account is None:
        await run_in_threadpool(audit.append, ws, name, "login-failed",
                                None, None, {"address": address})
        return _login_form(request, "Wrong name or password.", 401)
    token = await run_in_threadpool(accounts.open_session, ws, account)
    await run_in_threadpool(audit.append, ws, account.name, "login", None, None,
                            {"address": address, "role": account.role})
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
