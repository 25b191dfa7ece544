"""Within the organisation: a case's media that other cases hold too, and access requests.

A member of the case sees the other cases they belong to by name; of the rest only the fact,
the owners and a request-access button (``intel/deconflict/org.py`` decides what is told).
Owners (and administrators) answer requests at ``/deconflict/access``.
"""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from cumberland.intel.deconflict import org
from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.security import current, workspace

router = APIRouter()


@router.get("/cases/{case_id}/elsewhere")
def elsewhere(request: Request, case_id: int) -> Response:
    ws, session = workspace(request), current(request)
    rows = org.elsewhere(ws, session.account.id, case_id)
    return render(request, "elsewhere.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "rows": rows,
        "filed": request.query_params.get("filed")})


@router.post("/cases/{case_id}/elsewhere/{sha256}/request-access")
def request_access(request: Request, case_id: int, sha256: str) -> Response:
    ws, session = workspace(request), current(request)
    try:
        org.request_access(ws, session.account.id, case_id, bytes.fromhex(sha256))
    except (ValueError, DeconflictError) as exc:
        raise HTTPException(404, "not found") from exc
    return RedirectResponse(f"/cases/{case_id}/elsewhere?filed={sha256[:16]}", status_code=303)


def _mine(request: Request) -> list[org.PendingAccess]:
    session = current(request)
    owner = None if session.account.role == "admin" else session.account.id
    return org.access_requests(workspace(request), owner)


@router.get("/deconflict/access")
def access(request: Request) -> Response:
    return render(request, "access_requests.html", {"requests": _mine(request)})


@router.post("/deconflict/access")
async def decide(request: Request) -> Response:
    form = await request.form()
    number, verdict = str(form.get("request", "")), form.get("verdict")
    mine = await run_in_threadpool(_mine, request)
    if verdict not in ("grant", "decline") or not number.isdigit() or \
            int(number) not in {r.id for r in mine}:
        raise HTTPException(404, "not found")
    await run_in_threadpool(_decide, request, int(number), verdict == "grant")
    return RedirectResponse("/deconflict/access", status_code=303)


def _decide(request: Request, request_id: int, grant: bool) -> None:
    try:
        org.decide(workspace(request), request_id, grant, current(request).account.name)
    except DeconflictError as exc:
        raise HTTPException(409, str(exc)) from exc
