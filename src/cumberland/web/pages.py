"""Rendering pages: Jinja2 templates with what every page needs (user, CSRF token, toggles)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from cumberland.analysis.priority import explain
from cumberland.reports.charts import bar_chart
from cumberland.sources.artefacts.catalogue import catalogue

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.globals["bar_chart"] = bar_chart
templates.env.globals["artefact_categories"] = catalogue().labels()  # the grid's "Found in"
templates.env.filters["reasons"] = lambda codes: "; ".join(explain(codes))
templates.env.filters["when"] = lambda t: (
    time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + " UTC" if t else "")


def middle(text: str, width: int = 40) -> str:
    """``text`` shortened in its middle: a long path keeps its start (the device, the
    container) and its end (the file name)."""
    if len(text) <= width:
        return text
    tail = max(8, (width - 1) * 3 // 5)
    return f"{text[:width - 1 - tail]}…{text[-tail:]}"


def render(request: Request, name: str, context: dict[str, Any] | None = None,
           status: int = 200) -> HTMLResponse:
    session = getattr(request.state, "session", None)
    config = request.app.state.config
    base = {"session": session, "user": session.account if session else None,
            "csrf": session.csrf if session else "",
            "show_all": bool(session and session.show_all),
            "break_minutes": config.break_minutes, "middle": middle}
    return templates.TemplateResponse(request, name, {**base, **(context or {})},
                                      status_code=status)
