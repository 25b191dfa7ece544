"""Shared work on a case: assignments, the second-opinion queue, and the stacks view."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from cumberland.analysis import sharing
from cumberland.analysis.review import DEFAULT_SCHEME, load_schemes
from cumberland.analysis.stacks import stack_page
from cumberland.store.accounts import POWERS
from cumberland.store.models import CaseMember, Source, User
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_review import shown
from cumberland.web.security import current, parse_id, require, workspace

router = APIRouter()


def _reviewers(request: Request, case_id: int) -> list[tuple[int, str, str]]:
    """Members of the case who may categorise."""
    with workspace(request).engine.connect() as conn:
        rows = conn.execute(select(User.id, User.name, User.role)
                            .join(CaseMember, CaseMember.user_id == User.id)
                            .where(CaseMember.case_id == case_id, User.disabled.is_(False))
                            .order_by(User.name)).all()
    return [(int(r.id), str(r.name), str(r.role)) for r in rows
            if "categorise" in POWERS.get(str(r.role), frozenset())]


@router.get("/cases/{case_id}/assignments")
def assignments(request: Request, case_id: int, done: str = "") -> Response:
    require(request, "manage")
    ws = workspace(request)
    with ws.engine.connect() as conn:
        sources = conn.execute(select(Source.id, Source.uri).where(Source.case_id == case_id)
                               .order_by(Source.id)).all()
    return render(request, "assignments.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id),
        "reviewers": _reviewers(request, case_id), "sources": sources,
        "progress": sharing.reviewers_progress(ws, case_id), "done": done[:200]})


@router.post("/cases/{case_id}/assignments")
def assign(request: Request, case_id: int,
           reviewer: Annotated[list[str] | None, Form()] = None,
           scope: Annotated[str, Form()] = "case", source: Annotated[str, Form()] = "",
           folder: Annotated[str, Form(max_length=500)] = "",
           count: Annotated[str, Form()] = "", double: Annotated[str, Form()] = "") -> Response:
    """Split the case's unassigned media among the chosen reviewers (by source, folder or
    count); logged in the audit chain."""
    session = require(request, "manage")
    allowed = {uid for uid, _, _ in _reviewers(request, case_id)}
    chosen = [parse_id(r) for r in reviewer or []]
    if not chosen or any(c is None or c not in allowed for c in chosen):
        raise HTTPException(400, "choose reviewers who are members of this case")
    where = sharing.Scope()
    if scope == "source":
        where = sharing.Scope(source=parse_id(source))
        if where.source is None:
            raise HTTPException(400, "choose a source")
    elif scope == "folder":
        if not folder.strip():
            raise HTTPException(400, "name a folder (a path prefix)")
        where = sharing.Scope(folder=folder.strip())
    per = parse_id(count) if count else None
    if count and not per:
        raise HTTPException(400, "the count must be a positive number")
    try:
        given = sharing.assign(workspace(request), case_id, [c for c in chosen if c is not None],
                               where, session.account.name, per, double == "1")
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    total = sum(given.values())
    return RedirectResponse(f"/cases/{case_id}/assignments?done={total}", status_code=303)


@router.post("/cases/{case_id}/assignments/clear")
def unassign(request: Request, case_id: int, reviewer: Annotated[str, Form()]) -> Response:
    session = require(request, "manage")
    who = parse_id(reviewer)
    if who is None or who not in {uid for uid, _, _ in _reviewers(request, case_id)}:
        raise HTTPException(400, "no such reviewer in this case")
    sharing.unassign(workspace(request), case_id, who, session.account.name)
    return RedirectResponse(f"/cases/{case_id}/assignments", status_code=303)


@router.get("/cases/{case_id}/second-opinion")
def second_opinion(request: Request, case_id: int) -> Response:
    """Media two reviewers categorised differently, for an investigator to settle."""
    session = current(request)
    ws = workspace(request)
    disputes = sharing.disputes(ws, case_id)
    return render(request, "second_opinion.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "disputes": disputes,
        "shown": shown(request, case_id, [d.sha256 for d in disputes]),
        "scheme": load_schemes(ws)[DEFAULT_SCHEME],
        "can_settle": session.account.can("manage"),
        "can_reveal": session.account.can("reveal")})


@router.get("/cases/{case_id}/stacks")
def stacks(request: Request, case_id: int, after: str = "") -> Response:
    """One tile per duplicate stack with its size; a key categorises the whole stack."""
    session = current(request)
    ws = workspace(request)
    start = parse_id(after) if after else None
    tiles = stack_page(ws, case_id, -1 if start is None else start)
    return render(request, "stacks.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "tiles": tiles,
        "shown": shown(request, case_id, [t.sha256 for t in tiles]),
        "next": tiles[-1].stack if len(tiles) == 120 else None,
        "scheme": load_schemes(ws)[DEFAULT_SCHEME],
        "can_categorise": session.account.can("categorise"),
        "can_reveal": session.account.can("reveal")})
