"""Cases list, case dashboard and the audit pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy import select

from cumberland.analysis import sharing
from cumberland.analysis.facts import case_facts
from cumberland.analysis.review import decision_counts, load_schemes
from cumberland.store import accounts, audit
from cumberland.store.anchors import verify_all
from cumberland.store.models import Case, Item, Run
from cumberland.store.workspace import Workspace
from cumberland.store.writer import count_pending
from cumberland.web.pages import render
from cumberland.web.security import config, current, require, workspace

router = APIRouter()
ERROR_LIMIT = 50


@router.get("/")
def cases(request: Request) -> Response:
    session = current(request)
    return render(request, "cases.html",
                  {"cases": accounts.member_cases(workspace(request), session.account.id)})


def case_name(ws: Workspace, case_id: int) -> str:
    with ws.engine.connect() as conn:
        return str(conn.scalar(select(Case.name).where(Case.id == case_id)))


def dashboard_counts(ws: Workspace, case_id: int) -> dict[str, Any]:
    """The case's facts (analysis/facts.py: the numbers every surface shows) as charts, its
    errors, runs and whether one is running."""
    facts = case_facts(ws, case_id)
    with ws.engine.connect() as conn:
        errors = conn.execute(select(Item.path, Item.status, Item.reason).where(
            Item.case_id == case_id, Item.status.in_(("error", "encrypted")))
            .order_by(Item.id).limit(ERROR_LIMIT)).all()
        runs = conn.execute(select(Run.id, Run.status, Run.started_at, Run.finished_at)
                            .where(Run.case_id == case_id).order_by(Run.id.desc()).limit(5)).all()
    return {
        "by_status": facts.items,
        "by_kind": facts.by_kind,
        "by_match": {"alert match": facts.alert, "known good": facts.known_good,
                     "unknown": facts.unknown, "other": facts.other},
        "by_ai": facts.ai_levels,
        "errors": errors,
        "runs": runs,
        "running": any(r.status == "running" for r in runs),
    }


@router.get("/cases/{case_id}")
def dashboard(request: Request, case_id: int) -> Response:
    ws = workspace(request)
    queue = request.app.state.queues.check(case_id)
    counts = dashboard_counts(ws, case_id)
    scheme = load_schemes(ws)
    decided = decision_counts(ws, case_id)
    pending = count_pending(ws, case_id) if counts["running"] else 0
    account = current(request).account
    return render(request, "dashboard.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "c": counts,
        "decided": _labelled(decided, scheme), "pending": pending, "queue": queue,
        "progress": sharing.progress(ws, case_id, account.id),
        "reviewers": sharing.reviewers_progress(ws, case_id) if account.can("manage") else []})


def _labelled(decided: dict[str, int], schemes: dict[str, Any]) -> dict[str, int]:
    """``vics-us:1`` becomes ``1 Child abuse material (vics-us)`` for charts."""
    out: dict[str, int] = {}
    for key, n in decided.items():
        name, _, code = key.partition(":")
        scheme = schemes.get(name)
        label = scheme.labels.get(int(code), "") if scheme and code.isdigit() else ""
        out[f"{code} {label} ({name})" if code else key] = n
    return out


@router.get("/cases/{case_id}/audit")
def case_audit(request: Request, case_id: int) -> Response:
    ws = workspace(request)
    return render(request, "audit.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id),
        "entries": audit.visible(ws, [case_id], people=False),
        "verdict": None})


@router.get("/audit")
def audit_log(request: Request) -> Response:
    """The whole log for administrators; an auditor sees only the cases granted to them."""
    session = require(request, "audit")
    ws = workspace(request)
    account = session.account
    cases = None if account.role == "admin" else [
        cid for cid, _ in accounts.member_cases(ws, account.id)]
    cfg = config(request)
    return render(request, "audit.html", {
        "case_id": None, "case_name": None, "entries": audit.visible(ws, cases),
        "verdict": verify_all(ws, key_path=cfg.audit_key, anchors=cfg.audit_anchors)})
