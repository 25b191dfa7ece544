"""Series in the workbench: the case's candidate series (analysis/series.py) as a list, and
one series' page with its members (blurred tiles, like every grid), a timeline of capture
times, its cameras, places and folders, and the reasons for every link. A reviewer (role
with ``categorise``) confirms, names, splits and merges series (analysis/series_review.py:
each an audit entry, kept across rebuilds)."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from cumberland.analysis import series_review as review
from cumberland.analysis.series import capture_times, case_series
from cumberland.store import accounts
from cumberland.store.models import Media
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_review import shown
from cumberland.web.security import current, require, workspace

router = APIRouter()
MAX_SPLIT = 5000


def reason_kind(reason: str) -> str:
    """A link's reason without its particulars: "same scene", "taken close together"..."""
    if reason.startswith("taken "):
        return "taken close together"
    if reason.startswith("same folder"):
        return "same folder"
    return reason.split(" (", 1)[0]


def reasons_summary(series: dict[str, Any]) -> list[tuple[str, int]]:
    """How many links give each kind of reason, most first."""
    counts = Counter(reason_kind(r) for link in series["links"] for r in link["reasons"])
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _visible(request: Request) -> set[str]:
    """The names of the cases this user is a member of: "also in case X" names no other."""
    return {name for _, name in accounts.member_cases(workspace(request),
                                                       current(request).account.id)}


@router.get("/cases/{case_id}/series")
def series_list(request: Request, case_id: int) -> Response:
    ws = workspace(request)
    visible = _visible(request)
    rows = [{"s": s, "reasons": reasons_summary(s),
             "also_in": [n for n in s.get("also_in", []) if n in visible]}
            for s in case_series(ws, case_id)]
    return render(request, "series_list.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "rows": rows})


@router.get("/cases/{case_id}/series/{number}")
def series_page(request: Request, case_id: int, number: int) -> Response:
    ws = workspace(request)
    every = case_series(ws, case_id)
    found = next((s for s in every if s["series"] == number), None)
    if found is None:
        raise HTTPException(404, "not found")
    shas = [bytes.fromhex(m) for m in found["members"]]
    with ws.engine.connect() as conn:
        kinds = {bytes(s): str(k) for s, k in conn.execute(
            select(Media.sha256, Media.kind).where(Media.sha256.in_(shas)))}
    taken = capture_times(ws, shas)
    sharp = shown(request, case_id, shas)
    visible = _visible(request)
    seen = found.get("also_in_members") or {}
    members = [{"sha": s.hex(), "kind": kinds.get(s, ""), "taken": taken.get(s),
                "sharp": s in sharp,
                "also_in": [n for n in seen.get(s.hex(), []) if n in visible]} for s in shas]
    timeline = sorted((m for m in members if m["taken"]), key=lambda m: (m["taken"], m["sha"]))
    return render(request, "series.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "s": found,
        "members": members, "timeline": timeline, "reasons": reasons_summary(found),
        "also_in": [n for n in found.get("also_in", []) if n in visible],
        "others": [s["series"] for s in every if s["series"] != number],
        "can_label": current(request).account.can("categorise")})


def _changed(request: Request, case_id: int, change: Any, *args: Any) -> Response:
    session = require(request, "categorise")
    ws = workspace(request)
    try:
        label = change(ws, case_id, *args, session.account.name)
    except review.LabelError as exc:
        raise HTTPException(400, str(exc)) from None
    number = review.number_of(ws, case_id, label)
    target = f"/cases/{case_id}/series" + (f"/{number}" if number else "")
    return RedirectResponse(target, status_code=303)


@router.post("/cases/{case_id}/series/{number}/confirm")
def confirm_series(request: Request, case_id: int, number: int) -> Response:
    return _changed(request, case_id, review.confirm, number)


@router.post("/cases/{case_id}/series/{number}/name")
def name_series(request: Request, case_id: int, number: int, name: str = Form()) -> Response:
    return _changed(request, case_id, review.name, number, name[:200])


@router.post("/cases/{case_id}/series/{number}/merge")
def merge_series(request: Request, case_id: int, number: int, into: int = Form()) -> Response:
    return _changed(request, case_id, review.merge, number, into)


@router.post("/cases/{case_id}/series/{number}/split")
def split_series(request: Request, case_id: int, number: int,
                 member: Annotated[list[str] | None, Form()] = None) -> Response:
    """The checked members taken out into a new series."""
    chosen = [m[:64] for m in (member or [])[:MAX_SPLIT]]
    return _changed(request, case_id, review.split, number, chosen)
