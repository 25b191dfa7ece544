"""Screenshots of the workbench for docs/screenshots/, from the benign demo evidence.

  .venv/bin/python bench/screenshots.py [--out docs/screenshots]

Generates the demo evidence (synthetic shapes) plus one short video of moving shapes,
triages it into a temporary workspace, creates demo users and photographs the pages in
headless Debian chromium. Grid thumbnails stay blurred and greyscale; the viewer shots reveal
one generated picture and the generated video, to show the viewer itself.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from cumberland.demo import generate
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.reports.pdf import CHROMIUM
from cumberland.store import accounts
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.background import BROWSER_ARGS, running

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from sources.evidence_kit import video  # benign moving shapes

PASSWORD = "demo-password"


def build(tmp: Path) -> Workspace:
    evidence = tmp / "demo"
    generate(evidence)
    (evidence / "seized" / "Videos").mkdir()
    video(evidence / "seized" / "Videos" / "shapes.webm", [300, 301, 302], codec="libvpx",
          size=(480, 360), fps=8, seconds_per_scene=2, bitrate=600_000)
    sets = evidence / "hashsets"
    ws = Workspace(tmp / "ws")
    triage(ws, TriageRequest(
        sources=[evidence / "seized"], case="demo",
        alert_sets=[sets / "known-vics2.json", sets / "known-pdq.txt"],
        ignore_sets=[sets / "nsrl-known-good.txt"], workers=1))
    for name, role in (("investigator", "admin"), ("reviewer-b", "reviewer")):
        accounts.add_user(ws, name, role, PASSWORD)
        accounts.grant(ws, name, "demo")
    return ws


def login(page: Page, url: str, name: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="cumberland-shots-") as tmp:
        ws = build(Path(tmp))
        with running(create_app(ws)) as url, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 900})

            def shot(name: str, path: str | None = None, full: bool = False) -> None:
                if path is not None:
                    page.goto(url + path)
                page.wait_for_load_state("networkidle")
                page.screenshot(path=str(args.out / f"{name}.png"), full_page=full)
                print(args.out / f"{name}.png")

            shot("login", "/login")
            login(page, url, "investigator")
            page.goto(url + "/cases/1/review?status=all&category=any")
            page.locator(".tile[data-sha]").first.focus()
            page.keyboard.press("A")  # auto-advance off, so the stand-in category shows
            page.keyboard.press("2")  # one stand-in categorisation, so the charts show one
            page.locator("#status").filter(has_text="set to").wait_for()
            shot("review-grid", "/cases/1/review?status=all&category=any")
            page.locator("#tile-size").fill("64")
            shot("review-grid-smallest")
            page.locator("#tile-size").fill("160")
            shot("search", "/cases/1/review?status=all&category=any&camera=demo&sort=date")
            page.goto(url + "/cases/1/review?status=all&category=any&camera=demo")
            page.locator(".tile[data-sha]").first.focus()
            page.keyboard.press("Enter")
            page.wait_for_load_state("networkidle")
            page.keyboard.press("r")  # one generated picture, revealed at full resolution
            page.wait_for_function("() => document.getElementById('picture').src"
                                   ".endsWith('/full') && document.getElementById('picture')"
                                   ".complete")
            shot("viewer")
            page.goto(url + "/cases/1/review?status=all&category=any&kind=video")
            page.locator(".tile[data-sha]").first.focus()
            page.keyboard.press("Enter")
            page.wait_for_load_state("networkidle")
            shot("video-blurred")
            page.keyboard.press("r")
            page.locator("#scrub-at").filter(has_text="of").wait_for()
            page.keyboard.press(".")
            page.wait_for_function("() => { const p = document.getElementById('picture');"
                                   " return p.src.endsWith('frame?i=1') && p.complete &&"
                                   " !document.getElementById('stage').classList"
                                   ".contains('blurred'); }")
            shot("video-keyframes")
            shot("dashboard", "/cases/1", full=True)
            page.goto(url + "/cases/1/assignments")
            for box in page.locator("input[name=reviewer]").all():
                box.check()
            page.locator("input[name=double]").check()
            page.click("#assign-form button[type=submit]")
            shot("assignments")
            # a disagreement: the second reviewer sees one item differently
            other = browser.new_page(viewport={"width": 1440, "height": 900})
            login(other, url, "reviewer-b")
            other.goto(url + "/cases/1/review?status=all&category=any")
            other.locator(".tile[data-sha]").first.focus()
            other.keyboard.press("3")
            other.locator("#status").filter(has_text="set to").wait_for()
            other.close()
            shot("second-opinion", "/cases/1/second-opinion")
            shot("stacks", "/cases/1/stacks")
            page.goto(url + "/cases/1/review")
            page.keyboard.press("?")
            shot("help")
            page.keyboard.press("Escape")
            shot("audit", "/cases/1/audit")
            browser.close()
        ws.close()


if __name__ == "__main__":
    main()
