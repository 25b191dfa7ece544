"""Trace An Object in the workbench: draw a box on a revealed picture to make a candidate
object, look at it and approve it (a second person), withdraw it; the tips pulled for it.

The object's own picture (the sanitised crop) is shown only to members who may trace or
approve; the picture it is cut from only after this session revealed it (the viewer's rule).
Every change goes through ``intel.trace`` and so into the audit log.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from cumberland.intel.trace.objects import (
    Draft,
    ObjectError,
    add_object,
    approve,
    case_objects,
    get_object,
    summary,
    withdraw,
)
from cumberland.intel.trace.site_text import CATEGORIES
from cumberland.intel.trace.tips import TipState, add_note, case_tips, set_state
from cumberland.settings import Settings
from cumberland.store.models import Media
from cumberland.store.trace_models import TraceObject
from cumberland.store.workspace import Workspace
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_view import _revealed
from cumberland.web.security import current, require, workspace

router = APIRouter()
SIDEWAYS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


def _object(request: Request, case_id: int, public_id: str) -> TraceObject:
    try:
        obj = get_object(workspace(request), public_id)
    except ObjectError:
        raise HTTPException(404, "not found") from None
    if obj.case_id != case_id:
        raise HTTPException(404, "not found")
    return obj


def _may_see_objects(request: Request) -> None:
    account = current(request).account
    if not (account.can("trace") or account.can("approve")):
        raise HTTPException(403, "your role may not trace or approve objects")


def _refused(exc: ObjectError) -> HTTPException:
    return HTTPException(400, str(exc))


@router.get("/cases/{case_id}/objects")
def objects_page(request: Request, case_id: int) -> Response:
    _may_see_objects(request)
    ws = workspace(request)
    tips = case_tips(ws, case_id)
    counts: dict[str, int] = {}
    for tip in tips:
        counts[tip["object"]] = counts.get(tip["object"], 0) + 1
    return render(request, "trace_objects.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id),
        "objects": [summary(o) for o in case_objects(ws, case_id)], "tip_counts": counts})


@router.get("/cases/{case_id}/media/{sha256}/trace")
def new_object(request: Request, case_id: int, sha256: str) -> Response:
    """The revealed picture to draw the object's box on, and the object's text."""
    require(request, "trace")
    digest = _revealed(request, case_id, sha256)
    ws = workspace(request)
    with ws.engine.connect() as conn:
        media = conn.execute(select(Media.kind, Media.width, Media.height, Media.meta)
                             .where(Media.sha256 == digest)).one()
    if media.kind != "image":
        raise HTTPException(400, "objects are cut from pictures")
    width, height = media.width or 0, media.height or 0
    if ((media.meta or {}).get("exif") or {}).get("orientation") in SIDEWAYS:
        width, height = height, width
    return render(request, "trace_new.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "sha": sha256,
        "width": width, "height": height, "categories": CATEGORIES})


@router.post("/cases/{case_id}/objects")
def create_object(request: Request, case_id: int, media: str = Form(), region: str = Form(),
                  title: str = Form(), category: str = Form(), fill: str = Form("flat"),
                  hints: str = Form(""), languages: str = Form("en"),
                  polygon: str = Form("")) -> Response:
    session = require(request, "trace")
    _revealed(request, case_id, media)
    ws = workspace(request)
    draft = Draft(case=case_name(ws, case_id), media=media, region=region, title=title,
                  category=category, polygon=polygon.strip() or None, fill=fill,
                  hints=tuple(line for line in hints.splitlines() if line.strip())[:20],
                  languages=tuple(languages.replace(",", " ").split())[:10])
    try:
        obj = add_object(ws, draft, session.account.name, Settings())
    except ObjectError as exc:
        raise _refused(exc) from None
    return RedirectResponse(f"/cases/{case_id}/objects/{obj.public_id}", status_code=303)


@router.get("/cases/{case_id}/objects/{public_id}")
def object_page(request: Request, case_id: int, public_id: str) -> Response:
    _may_see_objects(request)
    obj = _object(request, case_id, public_id)
    ws = workspace(request)
    account = current(request).account
    return render(request, "trace_object.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "o": summary(obj),
        "checks": obj.checks or {}, "tips": case_tips(ws, case_id, public_id),
        "states": list(TipState),
        "may_approve": account.can("approve") and account.name != obj.created_by})


@router.get("/cases/{case_id}/objects/{public_id}/image")
def object_image(request: Request, case_id: int, public_id: str) -> Response:
    """The sanitised crop: the bytes that are (or would be) published."""
    _may_see_objects(request)
    return Response(_object(request, case_id, public_id).image, media_type="image/jpeg")


@router.post("/cases/{case_id}/objects/{public_id}/approve")
def approve_object(request: Request, case_id: int, public_id: str,
                   override_faces: str = Form(""), note: str = Form("")) -> Response:
    session = require(request, "approve")
    _object(request, case_id, public_id)
    try:
        approve(workspace(request), public_id, session.account.name, Settings(),
                override_faces == "1", note or None)
    except ObjectError as exc:
        raise _refused(exc) from None
    return RedirectResponse(f"/cases/{case_id}/objects/{public_id}", status_code=303)


@router.post("/cases/{case_id}/objects/{public_id}/withdraw")
def withdraw_object(request: Request, case_id: int, public_id: str,
                    note: str = Form("")) -> Response:
    _may_see_objects(request)
    _object(request, case_id, public_id)
    try:
        withdraw(workspace(request), public_id, current(request).account.name, note or None)
    except ObjectError as exc:
        raise _refused(exc) from None
    return RedirectResponse(f"/cases/{case_id}/objects/{public_id}", status_code=303)


@router.get("/cases/{case_id}/tips")
def tips_page(request: Request, case_id: int) -> Response:
    _may_see_objects(request)
    ws = workspace(request)
    return render(request, "trace_tips.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id),
        "tips": case_tips(ws, case_id), "states": list(TipState)})


def _back(case_id: int, back: str) -> str:
    ok = back.startswith(f"/cases/{case_id}/") and "//" not in back and "\\" not in back
    return back if ok else f"/cases/{case_id}/tips"


def _on_tip(request: Request, case_id: int, uid: str, back: str,
            change: Callable[[Workspace, str], None]) -> Response:
    """One audited change by the signed-in reviewer to a tip of this case (404 for a tip of
    another case, whatever its id), then back to where the form was."""
    session = require(request, "trace")
    ws = workspace(request)
    if not any(t["uid"] == uid for t in case_tips(ws, case_id)):
        raise HTTPException(404, "not found")
    try:
        change(ws, session.account.name)
    except ObjectError as exc:
        raise _refused(exc) from None
    return RedirectResponse(_back(case_id, back), status_code=303)


@router.post("/cases/{case_id}/tips/{uid}/state")
def tip_state(request: Request, case_id: int, uid: str, state: str = Form(),
              back: str = Form("")) -> Response:
    return _on_tip(request, case_id, uid, back,
                   lambda ws, actor: set_state(ws, uid, state, actor))


@router.post("/cases/{case_id}/tips/{uid}/note")
def tip_note(request: Request, case_id: int, uid: str, text: str = Form(),
             back: str = Form("")) -> Response:
    return _on_tip(request, case_id, uid, back, lambda ws, actor: add_note(ws, uid, text, actor))
