"""The deconfliction endpoint between two Cumberland servers (mutual TLS, agency certificates).

A separate app from the review workbench, served by ``cumberland deconflict serve``: one route,
``POST /deconflict/v1/respond``, whose body is a request file and whose answer is the response
file, exactly as they would travel on removable media. TLS (uvicorn with ``CERT_REQUIRED``
and the peers' CA) decides who may connect; the request's Ed25519 signature, checked by the
core as for a file, decides who is answered. Errors are one line of JSON and reveal nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cumberland.intel.deconflict import exchange
from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.intel.deconflict.wire import MAX_HEADER, PREFIX, SIGNATURE
from cumberland.store.workspace import Workspace

PATH = "/deconflict/v1/respond"


@dataclass(frozen=True)
class PeerConfig:
    cases: list[str] | None = None  # answer over these cases (None: all)
    limits: exchange.Limits = field(default_factory=exchange.Limits)
    workers: int = 0

    @property
    def max_body(self) -> int:
        return PREFIX.size + MAX_HEADER + SIGNATURE + self.limits.max_request * 32


DRAIN = 8 << 20  # an oversized body is read (and dropped) this far, so the refusal arrives


async def _body(request: Request, limit: int) -> bytes:
    """The body, or a refusal once it passes ``limit``. Up to ``DRAIN`` more bytes are read and
    dropped before answering: closing a socket with unread data resets the connection, and the
    peer would lose the one-line reason with it."""
    declared = request.headers.get("content-length")
    if declared is not None and not declared.isdigit():
        raise DeconflictError("the request's length is not a number")
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit + DRAIN:
            break
        if size <= limit:
            parts.append(chunk)
    if size > limit:
        raise DeconflictError(f"the request is over this server's limit of {limit:,} bytes")
    return b"".join(parts)


def create_peer_app(ws: Workspace, config: PeerConfig | None = None) -> Starlette:
    cfg = config or PeerConfig()

    async def respond(request: Request) -> Response:
        try:
            data = await _body(request, cfg.max_body)
            done = await run_in_threadpool(exchange.respond, ws, data, cfg.cases, "peer-endpoint",
                                           cfg.limits, False, cfg.workers)
        except DeconflictError as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return Response(done.data, media_type="application/octet-stream",
                        headers={"cache-control": "no-store"})

    return Starlette(routes=[Route(PATH, respond, methods=["POST"])])
