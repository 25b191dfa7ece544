"""The review grid, thumbnails (blurred unless revealed), reveals, categorisation, item detail."""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from cumberland.analysis.review import (
    DEFAULT_SCHEME,
    STATUSES,
    Filters,
    categorise,
    in_case,
    load_schemes,
    media_in_case,
    review_page,
)
from cumberland.store import accounts, audit
from cumberland.store.models import (
    Decision,
    HashEntry,
    HashSet,
    Item,
    Match,
    Media,
    SignalRecord,
    Source,
)
from cumberland.web import thumbs
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.security import config, current, parse_id, require, workspace

router = APIRouter()
SHA256 = re.compile(r"^[0-9a-f]{64}$")
MAX_BATCH = 5000
MAX_CATEGORY = 99
AUDIT_LIST = 100  # media named in a refused request's audit entry (the count is complete)


def media_key(request: Request, case_id: int, sha256: str) -> bytes:
    """The media's SHA-256 if it belongs to the case; 404 for anything else (traversal too)."""
    if not SHA256.fullmatch(sha256):
        raise HTTPException(404, "not found")
    digest = bytes.fromhex(sha256)
    if not in_case(workspace(request), case_id, digest):
        raise HTTPException(404, "not found")
    return digest


def _filters(status: str, category: str, ai: str, kind: str, source: str, path: str,
             deleted: str) -> Filters:
    """The grid's filters from its query; an id that cannot exist (a source or category that
    is no number, or too large for the database) is a 404 like any unknown id."""
    source_id = parse_id(source) if source else None
    if source and source_id is None:
        raise HTTPException(404, "no such source")
    if category not in ("", "none"):
        code = parse_id(category)
        if code is None or code > MAX_CATEGORY:
            raise HTTPException(404, "no such category")
    return Filters(status=status if status in STATUSES else "unknown", category=category,
                   ai_level=ai[:32], kind=kind[:16], source=source_id,
                   path_prefix=path[:500], deleted=deleted == "1")


@router.get("/cases/{case_id}/review")
def review(request: Request, case_id: int, status: str = "unknown", category: str = "",
                 ai: str = "", kind: str = "", source: str = "", path: str = "",
                 deleted: str = "", after: str = "") -> Response:
    session = current(request)
    ws = workspace(request)
    queue = request.app.state.queues.check(case_id)
    filters = _filters(status, category, ai, kind, source, path, deleted)
    page = review_page(ws, case_id, filters, after or None, config(request).page_size)
    shown = {t.sha256 for t in page.tiles} if session.show_all else accounts.revealed(
        ws, session.id, case_id, [t.sha256 for t in page.tiles])
    with ws.engine.connect() as conn:
        sources = conn.execute(select(Source.id, Source.uri).where(Source.case_id == case_id)
                               .order_by(Source.id)).all()
    schemes = load_schemes(ws)
    return render(request, "review.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "page": page,
        "filters": filters, "shown": shown, "sources": sources, "queue": queue,
        "scheme": schemes[DEFAULT_SCHEME], "statuses": STATUSES,
        "can_categorise": session.account.can("categorise"),
        "can_reveal": session.account.can("reveal")})


def _image(data: bytes | None) -> Response:
    if data is None:
        return Response(thumbs.PLACEHOLDER, media_type="image/svg+xml")
    return Response(data, media_type="image/jpeg")


@router.get("/cases/{case_id}/media/{sha256}/thumb")
def thumb(request: Request, case_id: int, sha256: str) -> Response:
    """Always the blurred greyscale thumbnail."""
    return _image(thumbs.blurred_thumb(workspace(request), media_key(request, case_id, sha256)))


@router.get("/cases/{case_id}/media/{sha256}/sharp")
def sharp(request: Request, case_id: int, sha256: str) -> Response:
    """The sharp thumbnail, only after a logged reveal (or the confirmed session toggle)."""
    session = require(request, "reveal")
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    if not session.show_all and not accounts.revealed(ws, session.id, case_id, [digest]):
        raise HTTPException(404, "not revealed")
    return _image(thumbs.sharp_thumb(ws, digest))


@router.post("/cases/{case_id}/media/{sha256}/reveal")
def reveal(request: Request, case_id: int, sha256: str) -> Response:
    session = require(request, "reveal")
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    entry = audit.append(ws, session.account.name, "reveal", case_id, sha256)
    accounts.add_reveal(ws, session.id, case_id, digest)
    return JSONResponse({"sharp": f"/cases/{case_id}/media/{sha256}/sharp", "audit": entry})


class DecisionIn(BaseModel):
    media: list[str] = Field(max_length=MAX_BATCH)
    category: int | None = Field(default=None, ge=0, le=MAX_CATEGORY)
    scheme: str = DEFAULT_SCHEME
    undo: bool = False
    stacks: bool = False  # categorise whole duplicate stacks


@router.post("/cases/{case_id}/decisions")
def decide(request: Request, case_id: int, body: DecisionIn) -> Response:
    """Categorise (or clear) media; answers the previous categories so the page can undo."""
    session = require(request, "categorise")
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
                          action="undo" if body.undo else "categorise")
    return JSONResponse({"previous": {s.hex(): c for s, c in previous.items()},
                         "category": body.category})


def _signal_reasons(data: dict[str, Any]) -> list[str]:
    """Human reasons a signal gave, wherever it keeps them."""
    reasons: list[str] = []
    for key in ("reasons", "reason"):
        value = data.get(key)
        if isinstance(value, list):
            reasons += [str(v) for v in value]
        elif isinstance(value, str):
            reasons.append(value)
    for finding in data.get("findings") or []:
        if isinstance(finding, dict):
            reasons.append(f"{finding.get('signal', '')} {finding.get('kind', '')}: "
                           f"{finding.get('level', '')}".strip())
    return reasons


@router.get("/cases/{case_id}/media/{sha256}")
def item_detail(request: Request, case_id: int, sha256: str) -> Response:
    session = current(request)
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    with ws.session() as orm:
        media = orm.execute(select(Media).where(Media.sha256 == digest)).scalar_one()
        items = orm.execute(select(Item, Source.uri).join(Source, Source.id == Item.source_id)
                             .where(Item.case_id == case_id, Item.media_sha256 == digest)
                             .order_by(Item.path)).all()
        matches = orm.execute(
            select(Match, HashSet.name, HashSet.purpose, HashSet.category_scheme,
                   HashEntry.name.label("known_name"))
            .join(HashSet, HashSet.id == Match.hashset_id)
            .outerjoin(HashEntry, HashEntry.id == Match.entry_id)
            .where(Match.media_sha256 == digest).order_by(HashSet.name, Match.method)).all()
        decision = orm.scalar(select(Decision).where(Decision.case_id == case_id,
                                                     Decision.media_sha256 == digest))
        signals = orm.execute(select(SignalRecord).where(SignalRecord.media_sha256 == digest)
                               .order_by(SignalRecord.name)).scalars().all()
    neighbours = request.app.state.similar.neighbours(ws, case_id, media.pdq, digest)
    shown = session.show_all or bool(accounts.revealed(ws, session.id, case_id, [digest]))
    return render(request, "item.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "sha": sha256, "m": media,
        "items": items, "matches": matches, "decision": decision,
        "signals": [(s, _signal_reasons(s.data)) for s in signals],
        "neighbours": neighbours, "shown": shown, "scheme": load_schemes(ws)[DEFAULT_SCHEME],
        "can_reveal": session.account.can("reveal"),
        "can_categorise": session.account.can("categorise")})

