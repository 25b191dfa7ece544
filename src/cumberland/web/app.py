"""The review workbench: a FastAPI app with server-rendered pages over one workspace."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from cumberland.store.workspace import Workspace
from cumberland.web import (
    routes_auth,
    routes_cases,
    routes_deconflict,
    routes_export,
    routes_pictures,
    routes_platform,
    routes_review,
    routes_scenes,
    routes_series,
    routes_share,
    routes_trace,
    routes_view,
    routes_vision,
)
from cumberland.web.anchoring import AnchorSchedule
from cumberland.web.evidence import VerifiedFiles
from cumberland.web.pages import render
from cumberland.web.queue import QueueKeeper
from cumberland.web.rendering import Keyframes
from cumberland.web.security import (
    AllowedHosts,
    LoginRequired,
    SecurityHeaders,
    WebConfig,
    guard,
)
from cumberland.web.similar import SimilarCache
from cumberland.web.throttle import AddressQueue

STATIC = Path(__file__).with_name("static")


def _wants_html(request: Request) -> bool:
    return request.method == "GET" and "text/html" in request.headers.get("accept", "text/html")


def create_app(workspace: Workspace | Path | str, config: WebConfig | None = None) -> FastAPI:
    """The app over ``workspace``; every route requires a session unless marked public."""
    ws = workspace if isinstance(workspace, Workspace) else Workspace(workspace)
    cfg = config or WebConfig()
    anchors = AnchorSchedule(ws, cfg)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        anchors.start()
        yield
        anchors.stop()

    app = FastAPI(title="Cumberland", docs_url=None, redoc_url=None, openapi_url=None,
                  dependencies=[Depends(guard)], lifespan=lifespan)
    app.state.workspace = ws
    app.state.config = cfg
    app.state.anchors = anchors
    app.state.similar = SimilarCache()
    app.state.queues = QueueKeeper(ws)
    app.state.address_queue = AddressQueue()
    app.state.verified = VerifiedFiles()
    app.state.keyframes = Keyframes()
    for module in (routes_auth, routes_cases, routes_review, routes_view, routes_share,
                   routes_export, routes_deconflict, routes_platform, routes_trace, routes_vision,
                   routes_scenes, routes_series, routes_pictures):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # Outermost last: headers on everything, then the proxy's view of the client, then hosts.
    app.add_middleware(AllowedHosts, hosts=cfg.allowed_hosts)
    if cfg.trusted_proxies:
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=list(cfg.trusted_proxies))
    app.add_middleware(SecurityHeaders)

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, _exc: LoginRequired) -> Response:
        if request.method == "GET":
            return RedirectResponse("/login", status_code=303)
        return JSONResponse({"detail": "login required"}, status_code=401)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if _wants_html(request):
            return render(request, "error.html", {"status": exc.status_code,
                                                  "message": exc.detail}, exc.status_code)
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)

    return app
