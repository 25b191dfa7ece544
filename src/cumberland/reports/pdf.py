"""The case report as HTML with charts, and as PDF printed by headless Chromium.

Charts are inline SVG drawn on the server, so the page needs no script and prints the same
everywhere. The report shows counts, paths and hashes only: never media content.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from cumberland.analysis.review import decision_counts
from cumberland.reports.charts import bar_chart
from cumberland.reports.summary import case_summary
from cumberland.store.workspace import Workspace

CHROMIUM = "/usr/bin/chromium"
TIMEOUT = 120

_env = Environment(loader=PackageLoader("cumberland.reports", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)
_env.globals["bar_chart"] = bar_chart


class PdfError(RuntimeError):
    """Chromium is missing or failed to print."""


def case_report_html(ws: Workspace, case: int) -> str:
    summary = case_summary(ws, case)
    per_set = Counter(m["hashset"] for m in summary["matches"])
    context: dict[str, Any] = {
        "s": summary,
        "charts": [
            bar_chart("Items by status", summary["items"], 0),
            bar_chart("Unique media by type", summary["by_type"], 1),
            bar_chart("Matches per hash set", dict(per_set), 3),
            bar_chart("Reviewer categories (scheme:category)", decision_counts(ws, case), 4),
        ],
    }
    return _env.get_template("case_report.html").render(**context)


def html_to_pdf(html: str, out: Path, chromium: str = CHROMIUM) -> Path:
    """Print ``html`` to ``out`` with headless Chromium (a throwaway profile, no network)."""
    if not Path(chromium).is_file() and shutil.which(chromium) is None:
        raise PdfError(f"{chromium} not found; install Debian's chromium to print PDFs")
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cumberland-pdf-") as tmp:
        page = Path(tmp) / "report.html"
        page.write_text(html, encoding="utf-8")
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu",
                   "--disable-background-networking", "--disable-component-update",
                   "--no-first-run", f"--user-data-dir={Path(tmp) / 'profile'}",
                   "--no-pdf-header-footer", f"--print-to-pdf={out}", page.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except subprocess.TimeoutExpired:
            raise PdfError(f"chromium did not finish printing within {TIMEOUT} s") from None
    if done.returncode != 0 or not out.is_file() or out.stat().st_size == 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        raise PdfError(f"chromium failed to print the report (exit {done.returncode}): "
                       f"{tail[0][:200]}")
    return out


def case_report_pdf(ws: Workspace, case: int, out: Path) -> Path:
    return html_to_pdf(case_report_html(ws, case), out)
