"""The review grid, thumbnails (blurred unless revealed), reveals and categorisation."""

from __future__ import annotations

import re
from dataclasses import asdict, replace

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from cumberland.analysis.grid import position_cursor, review_page
from cumberland.analysis.review import (
    DEFAULT_SCHEME,
    categorise,
    in_case,
    load_schemes,
    media_in_case,
)
from cumberland.analysis.sharing import has_share, progress
from cumberland.store import accounts, audit
from cumberland.store.models import Source
from cumberland.web import grid_query, thumbs
from cumberland.web.grid_query import MAX_CATEGORY, GridQuery, with_args
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.security import config, current, require, workspace

router = APIRouter()
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_BATCH = 5000
AUDIT_LIST = 100  # media named in a refused request's audit entry (the count is complete)


def media_key(request: Request, case_id: int, sha256: str) -> bytes:
    """The media's SHA-256 if it belongs to the case; 404 for anything else (traversal too)."""
    if not SHA256.fullmatch(sha256):
        raise HTTPException(404, "not found")
    digest = bytes.fromhex(sha256)
    if not in_case(workspace(request), case_id, digest):
        raise HTTPException(404, "not found")
    return digest


def grid_of(request: Request, case_id: int) -> GridQuery:
    """The grid's filters from the request, with "PDQ within a distance" resolved."""
    session = current(request)
    ws = workspace(request)
    query = grid_query.parse(request, ws, session.account.id,
                             has_share(ws, case_id, session.account.id))
    text = query.filters.hash
    if len(text) == 64 and SHA256.fullmatch(text):
        near = request.app.state.similar.neighbours(ws, case_id, bytes.fromhex(text), None,
                                                    limit=10_000, radius=query.pdq_distance)
        query = GridQuery(replace(query.filters, similar=frozenset(n.sha256 for n in near)),
                          query.args, query.share, query.pdq_distance)
    return query


def shown(request: Request, case_id: int, shas: list[bytes]) -> set[bytes]:
    """Which media this session sees sharp: its unexpired reveals, or all with the toggle."""
    session = current(request)
    if session.show_all:
        return set(shas)
    return accounts.revealed(workspace(request), session.id, case_id, shas,
                             config(request).reveal_seconds)


@router.get("/cases/{case_id}/review")
def review(request: Request, case_id: int, after: str = "", focus: str = "") -> Response:
    session = current(request)
    ws = workspace(request)
    queue = request.app.state.queues.check(case_id)
    grid = grid_of(request, case_id)
    page = review_page(ws, case_id, grid.filters, after[:300] or None, config(request).page_size)
    if focus and SHA256.fullmatch(focus) and all(t.sha256.hex() != focus for t in page.tiles):
        # back from the viewer past this page: start the page at the item
        start = position_cursor(ws, case_id, grid.filters, bytes.fromhex(focus), inclusive=True)
        page = review_page(ws, case_id, grid.filters, start, config(request).page_size)
        after = start or ""
    with ws.engine.connect() as conn:
        sources = conn.execute(select(Source.id, Source.uri).where(Source.case_id == case_id)
                               .order_by(Source.id)).all()
    schemes = load_schemes(ws)
    return render(request, "review.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "page": page,
        "filters": grid.filters, "grid": grid, "after": after, "focus": focus,
        "shown": shown(request, case_id, [t.sha256 for t in page.tiles]),
        "sources": sources, "queue": queue, "progress": progress(ws, case_id, session.account.id),
        "scheme": schemes[DEFAULT_SCHEME], "with_args": with_args,
        "can_categorise": session.account.can("categorise"),
        "can_reveal": session.account.can("reveal")})


def image_response(data: bytes | None) -> Response:
    if data is None:
        return Response(thumbs.PLACEHOLDER, media_type="image/svg+xml")
    return Response(data, media_type="image/jpeg")


@router.get("/cases/{case_id}/media/{sha256}/thumb")
def thumb(request: Request, case_id: int, sha256: str) -> Response:
    """Always the blurred greyscale thumbnail (for a video, its blurred contact sheet)."""
    return image_response(thumbs.blurred_thumb(workspace(request),
                                               media_key(request, case_id, sha256)))


@router.get("/cases/{case_id}/media/{sha256}/sharp")
def sharp(request: Request, case_id: int, sha256: str) -> Response:
    """The sharp thumbnail, only after a logged reveal (or the confirmed session toggle)."""
    require(request, "reveal")
    digest = media_key(request, case_id, sha256)
    if digest not in shown(request, case_id, [digest]):
        raise HTTPException(404, "not revealed")
    return image_response(thumbs.sharp_thumb(workspace(request), digest))


@router.post("/cases/{case_id}/media/{sha256}/reveal")
def reveal(request: Request, case_id: int, sha256: str) -> Response:
    session = require(request, "reveal")
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    entry = audit.append(ws, session.account.name, "reveal", case_id, sha256)
    accounts.add_reveal(ws, session.id, case_id, digest)
    base = f"/cases/{case_id}/media/{sha256}"
    return JSONResponse({"sharp": f"{base}/sharp", "full": f"{base}/full",
                         "audit": entry, "seconds": config(request).reveal_seconds})


class DecisionIn(BaseModel):
    media: list[str] = Field(max_length=MAX_BATCH)
    category: int | None = Field(default=None, ge=0, le=MAX_CATEGORY)
    scheme: str = DEFAULT_SCHEME
    undo: bool = False
    stacks: bool = False  # categorise whole duplicate stacks
    final: bool = False  # an investigator settling a disagreement


@router.post("/cases/{case_id}/decisions")
def decide(request: Request, case_id: int, body: DecisionIn) -> Response:
    """Categorise (or clear) media; answers the previous categories so the page can undo."""
    session = require(request, "categorise")
    if body.final:
        require(request, "manage")
    ws = workspace(request)
    schemes = load_schemes(ws)
    if body.scheme not in schemes:
        raise HTTPException(400, f"unknown category scheme {body.scheme!r}")
    if body.category is not None and body.category not in schemes[body.scheme].labels:
        raise HTTPException(400, f"{body.category} is not a category of {body.scheme}")
    if not all(SHA256.fullmatch(s) for s in body.media):
        raise HTTPException(400, "media must be lower-case SHA-256 hex")
    wanted = [bytes.fromhex(s) for s in body.media]
    found = media_in_case(ws, case_id, wanted)
    foreign = [s.hex() for s in dict.fromkeys(wanted) if s not in found]
    if foreign:  # someone asked to categorise what this case does not hold: say no, and log it
        audit.append(ws, session.account.name, "categorise-refused", case_id, None, {
            "media": body.media[:AUDIT_LIST], "foreign": foreign[:AUDIT_LIST],
            "count": len(body.media), "category": body.category, "scheme": body.scheme})
        raise HTTPException(404, "not found")
    previous = categorise(ws, case_id, wanted, body.category, body.scheme, session.account.id,
                          body.stacks and not body.undo, actor=session.account.name,
                          action="undo" if body.undo else "categorise", final=body.final)
    return JSONResponse({"previous": {s.hex(): c for s, c in previous.items()},
                         "category": body.category,
                         "progress": asdict(progress(ws, case_id, session.account.id))})
