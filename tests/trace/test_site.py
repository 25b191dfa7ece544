"""The published site: deterministic, self-contained, six languages, withdrawal, held-back
objects, the feed, and nothing of the case in it."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from cumberland.intel.trace.objects import Draft, add_object, approve, decode, withdraw
from cumberland.intel.trace.publish import publish
from cumberland.intel.trace.site import SiteError, render_site
from cumberland.intel.trace.site_text import SITE_LANGUAGES, TEXT
from cumberland.settings import Settings
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store.hashset_import import import_hashset
from cumberland.store.models import AuditEntry

from .conftest import MUG, Scene

SETTINGS = Settings()
TIPS = "http://127.0.0.1:8765/tip"


def approved(scene: Scene, title: str, region: str = MUG, **extra: object) -> str:
    obj = add_object(scene.ws, Draft(case=scene.case, media=scene.sha256, region=region,
                                     title=title, category="packaging",
                                     hints=("Where is it sold?", "Who makes it?"),
                                     **extra), "ivan", SETTINGS)  # type: ignore[arg-type]
    approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "looked: no face")
    return obj.public_id


def tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_same_objects_same_bytes(scene: Scene, tmp_path: Path) -> None:
    approved(scene, "Red mug")
    approved(scene, "Window view", "900,90,580,500")
    publish(scene.ws, [scene.case], tmp_path / "a", TIPS, "anna", SETTINGS)
    publish(scene.ws, [scene.case], tmp_path / "b", TIPS, "anna", SETTINGS)
    first = tree(tmp_path / "a")
    assert first == tree(tmp_path / "b")
    publish(scene.ws, [scene.case], tmp_path / "a", TIPS, "anna", SETTINGS)  # over itself
    assert tree(tmp_path / "a") == first
    assert len(first) == 4 + 2 + 6 * (2 + 2 + 2)  # feed, index, css, js; images; per language


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.scripts: list[str] = []
        self.inline: list[str] = []
        self.lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if tag == "html":
            self.lang = named.get("lang")
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            if key in named:
                self.urls.append((tag, key, named[key] or ""))
        if tag == "script":
            self.scripts.append(named.get("src") or "<inline>")
        self.inline += [k for k in named if k.startswith("on") or k == "style"]
        if tag == "style":
            self.inline.append("<style>")


def test_pages_load_nothing_from_elsewhere_and_need_no_script(scene: Scene,
                                                              tmp_path: Path) -> None:
    public_id = approved(scene, "Red mug")
    publish(scene.ws, [scene.case], tmp_path / "site", TIPS, None, SETTINGS)
    pages = [p for p in (tmp_path / "site").rglob("*.html")]
    assert len(pages) == 1 + 6 * 3 + 6 * 2
    for page in pages:
        html = unescape(page.read_text("utf-8"))
        parser = Links()
        parser.feed(html)
        assert parser.lang in SITE_LANGUAGES, page
        assert parser.inline == [], page
        assert "Content-Security-Policy" in html and "default-src 'none'" in html
        assert "form-action http://127.0.0.1:8765;" in html
        for tag, key, url in parser.urls:
            if (tag, key) == ("form", "action"):
                assert url == TIPS
                continue
            assert not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.I), (page, url)
            # answers/ pages are the tips server's replies to a POST to the site's root
            base = page.parent.parent if page.parent.name == "answers" else page.parent
            target = (base / url).resolve()
            assert target.is_file(), (page, url)  # every link stays inside the site
        is_object = page.parent.name == "objects"
        assert parser.scripts == (["../../tips.js"] if is_object else []), page
        if is_object:  # the form works without the script: plain fields, a plain POST
            assert 'method="post"' in html and 'name="text"' in html
            assert f'name="object" value="{public_id}"' in html
    css = (tmp_path / "site" / "style.css").read_text()
    assert "url(" not in css and "@import" not in css and "@font-face" not in css


def test_six_languages_with_every_text(scene: Scene, tmp_path: Path) -> None:
    keys = set(TEXT["en"])
    assert set(SITE_LANGUAGES) == {"en", "fr", "de", "nl", "da", "es"}
    for lang in SITE_LANGUAGES:
        assert set(TEXT[lang]) == keys, lang
    for lang in SITE_LANGUAGES[1:]:  # translated, not copied
        same = [k for k in keys if TEXT[lang][k] == TEXT["en"][k] and k != "cat_logo"]
        assert len(same) <= 1, (lang, same)
    public_id = approved(scene, "Red mug", languages=("en", "de"))
    publish(scene.ws, [scene.case], tmp_path / "site", TIPS, None, SETTINGS)
    for lang in SITE_LANGUAGES:
        page = (tmp_path / "site" / lang / "objects" / f"{public_id}.html").read_text()
        assert f'<html lang="{lang}">' in page
        assert TEXT[lang]["recognise"].replace("'", "&#39;") in page
        assert "Red mug" in page  # the object's own text as entered
        assert TEXT[lang]["cat_packaging"] in page


def test_the_feed_and_nothing_of_the_case(scene: Scene, tmp_path: Path) -> None:
    public_id = approved(scene, "Red mug")
    publish(scene.ws, [scene.case], tmp_path / "site", TIPS, "ivan", SETTINGS, pow_bits=12)
    body = json.loads((tmp_path / "site" / "objects.json").read_text())
    assert body["format"] == "cumberland-trace-objects" and body["tips_url"] == TIPS
    assert body["proof_of_work"]["bits"] == 12
    (entry,) = body["objects"]
    assert entry["id"] == public_id and entry["hints"] == ["Where is it sold?", "Who makes it?"]
    assert entry["image"] == f"images/{public_id}.jpg"
    everything = b"".join(tree(tmp_path / "site").values())
    for secret in (scene.case, scene.sha256, "ivan", "anna", "kitchen", str(scene.picture)):
        assert secret.encode() not in everything, secret
    with scene.ws.engine.connect() as conn:
        details = conn.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "objects-publish")).one()
    assert details["objects"] == [public_id] and details["held"] == []


def test_candidates_and_withdrawn_objects_are_not_published(scene: Scene,
                                                            tmp_path: Path) -> None:
    kept = approved(scene, "Red mug")
    gone = approved(scene, "Window view", "900,90,580,500")
    candidate = add_object(scene.ws, Draft(case=scene.case, media=scene.sha256, region=MUG,
                                           title="Not yet", category="other"), "ivan",
                           SETTINGS).public_id
    out = tmp_path / "site"
    publish(scene.ws, [scene.case], out, TIPS, None, SETTINGS)
    assert (out / "images" / f"{gone}.jpg").exists()
    assert candidate not in (out / "objects.json").read_text()
    withdraw(scene.ws, gone, "ivan", "the owner was found")
    publish(scene.ws, [scene.case], out, TIPS, None, SETTINGS)
    listing = "\n".join(tree(out))
    assert gone not in listing and kept in listing
    assert gone not in (out / "objects.json").read_text()
    assert gone not in (out / "en" / "index.html").read_text()


def test_an_object_matching_a_new_alert_set_is_held_back(scene: Scene, tmp_path: Path) -> None:
    held = approved(scene, "Red mug")
    kept = approved(scene, "Window view", "900,90,580,500")
    with scene.ws.session() as session:
        from cumberland.store.trace_models import TraceObject

        image = session.scalar(select(TraceObject.image).where(TraceObject.public_id == held))
    pdq, _ = pdq_from_rgb(np.ascontiguousarray(decode(image)))
    (tmp_path / "new.txt").write_text(f"{pdq.hex()},100,new\n")
    import_hashset(scene.ws, tmp_path / "new.txt", "new-alerts", "alert", "pdq")
    done = publish(scene.ws, [scene.case], tmp_path / "site", TIPS, None, SETTINGS)
    assert done.objects == [kept]
    assert done.held == [(held, "matches an alert hash set now")]
    assert held not in (tmp_path / "site" / "objects.json").read_text()


def test_publish_refuses_a_folder_that_is_not_a_site(scene: Scene, tmp_path: Path) -> None:
    approved(scene, "Red mug")
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "report.odt").write_text("keep me")
    with pytest.raises(SiteError, match="not a site published before"):
        publish(scene.ws, [scene.case], folder, TIPS, None, SETTINGS)
    assert (folder / "report.odt").read_text() == "keep me"
    for bad in ("javascript:alert(1)", "ftp://x/tip", "http://x/tip?a=1", 'http://x/"tip'):
        with pytest.raises(SiteError, match="plain http"):
            render_site([], bad)
