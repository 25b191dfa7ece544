"""Screenshots of the main workbench pages for docs/screenshots/, from the benign demo evidence.

  .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Generates the demo evidence, triages it into a temporary workspace, creates a demo user and
photographs the pages in headless Debian chromium. Thumbnails stay blurred and greyscale:
nothing is revealed.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

from cumberland.demo import generate
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.reports.pdf import CHROMIUM
from cumberland.store import accounts
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import BROWSER_ARGS, running

PASSWORD = "demo-password"


def build(tmp: Path) -> Workspace:
    evidence = tmp / "demo"
    generate(evidence)
    sets = evidence / "hashsets"
    ws = Workspace(tmp / "ws")
    triage(ws, TriageRequest(
        sources=[evidence / "seized"], case="demo",
        alert_sets=[sets / "known-vics2.json", sets / "known-pdq.txt"],
        ignore_sets=[sets / "nsrl-known-good.txt"], workers=1))
    accounts.add_user(ws, "reviewer", "admin", PASSWORD)
    accounts.grant(ws, "reviewer", "demo")
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cumberland-shots-") as tmp:
        ws = build(Path(tmp))
        with running(create_app(ws)) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1360, "height": 900})

            def shot(name: str, path: str, full: bool = False) -> None:
                page.goto(url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=full)
                print(args.out / f"{name}.png")

            shot("login", "/login")
            page.fill("input[name=name]", "reviewer")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(url + "/")
            page.goto(url + "/cases/1/review?status=all")
            page.locator(".tile[data-sha]").first.focus()
            page.keyboard.press("2")  # one stand-in categorisation, so the charts show one
            page.locator("#status").filter(has_text="set to").wait_for()
            shot("review-grid", "/cases/1/review?status=all", full=True)
            shot("dashboard", "/cases/1", full=True)
            page.goto(url + "/cases/1/review?status=matched")
            page.locator(".tile[data-sha] a").first.click()
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(args.out / "item-detail.png"), full_page=True)
            print(args.out / "item-detail.png")
            shot("audit", "/cases/1/audit")
            browser.close()
        ws.close()


if __name__ == "__main__":
    main()
