"""Exports and reports: VICS 2.0 case file, printable HTML report, PDF. Each is audited."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from cumberland.reports.pdf import PdfError, case_report_html, case_report_pdf
from cumberland.reports.vics_export import write_vics
from cumberland.store import audit
from cumberland.web.security import current, require, workspace

router = APIRouter()
REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _export_path(request: Request, case_id: int, name: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    return workspace(request).root / "exports" / str(case_id) / f"{stamp}-{name}"


@router.post("/cases/{case_id}/export/vics")
def export_vics(request: Request, case_id: int) -> Response:
    session = require(request, "export")
    ws = workspace(request)
    outcome = write_vics(ws, case_id, _export_path(request, case_id, "vics.json"))
    audit.append(ws, session.account.name, "export-vics", case_id, outcome.path.name,
                 {"media": outcome.media, "files": outcome.files, "scheme": outcome.scheme,
                  "sha256": _file_sha256(outcome.path)})
    request.app.state.anchors.anchor("export-vics")
    return FileResponse(outcome.path, media_type="application/json",
                        filename=f"case-{case_id}-vics.json")


@router.get("/cases/{case_id}/report")
def report_html(request: Request, case_id: int) -> Response:
    current(request)
    return HTMLResponse(case_report_html(workspace(request), case_id),
                        headers={"content-security-policy": REPORT_CSP})


@router.post("/cases/{case_id}/report.pdf")
def report_pdf(request: Request, case_id: int) -> Response:
    session = require(request, "export")
    ws = workspace(request)
    try:
        out = case_report_pdf(ws, case_id, _export_path(request, case_id, "report.pdf"))
    except PdfError as exc:
        raise HTTPException(503, str(exc)) from None
    audit.append(ws, session.account.name, "export-pdf", case_id, out.name,
                 {"sha256": _file_sha256(out)})
    request.app.state.anchors.anchor("export-pdf")
    return FileResponse(out, media_type="application/pdf", filename=f"case-{case_id}-report.pdf")
