"""Pages over a case's platform records: countries, ranked persons, one person with its
accounts, links and their evidence, and a reviewer's confirm or cut (audited).

Every route sits under ``/cases/{case_id}``, so the app-wide guard already refuses a
non-member (404); a person of another case is a 404 too.
"""

from __future__ import annotations

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from cumberland.intel.platform import views
from cumberland.intel.platform.resolution import review_link
from cumberland.store import audit
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.security import parse_id, require, workspace

router = APIRouter()
COUNTRY = 16  # "unattributed" and ISO codes fit


@router.get("/cases/{case_id}/platform")
def platform_countries(request: Request, case_id: int) -> Response:
    ws = workspace(request)
    return render(request, "platform_countries.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id),
        "countries": views.countries(ws, case_id), "imports": views.imports(ws, case_id)})


@router.get("/cases/{case_id}/platform/persons")
def platform_persons(request: Request, case_id: int, country: str = "", role: str = "",
                     page: int = 0) -> Response:
    ws = workspace(request)
    if len(country) > COUNTRY or page < 0 or page > 1_000_000:
        raise HTTPException(400, "bad filter")
    found = views.persons(ws, case_id, country or None, page, role or None)
    return render(request, "platform_persons.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "country": country,
        "role": role, "result": found})


def _person_id(text: str) -> int:
    number = parse_id(text)
    if number is None:
        raise HTTPException(404, "not found")
    return number


@router.get("/cases/{case_id}/platform/persons/{person_id}")
def platform_person(request: Request, case_id: int, person_id: str) -> Response:
    ws = workspace(request)
    found = views.person(ws, case_id, _person_id(person_id))
    if found is None:
        raise HTTPException(404, "not found")
    return render(request, "platform_person.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), **found})


@router.post("/cases/{case_id}/platform/links")
def platform_review(request: Request, case_id: int, account_a: str = Form(),
                    account_b: str = Form(), decision: str = Form(),
                    back: str = Form(""), note: str = Form("")) -> Response:
    """Confirm or cut the link between two accounts; the persons are rebuilt."""
    session = require(request, "categorise")
    ws = workspace(request)
    a, b = _person_id(account_a), _person_id(account_b)
    if decision not in ("confirmed", "cut"):
        raise HTTPException(400, "decision must be confirmed or cut")
    try:
        review_link(ws, case_id, a, b, decision, session.account.name, note[:500] or None)
    except LookupError:
        raise HTTPException(404, "not found") from None
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from None
    audit.append(ws, session.account.name, f"platform-link-{decision[:7]}", case_id,
                 f"accounts {min(a, b)}-{max(a, b)}", {"note": note[:500] or None})
    target = back if back.startswith(f"/cases/{case_id}/platform") and "//" not in back \
        else f"/cases/{case_id}/platform"
    return RedirectResponse(target, status_code=303)
