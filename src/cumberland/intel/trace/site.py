"""The public site of Trace An Object: static HTML and CSS, a JSON feed, the pictures.

The output is a pure function of the objects, the tips URL and the proof-of-work difficulty
(same objects, same bytes: no times, sorted keys, a fixed order), so a publication can be
reviewed, diffed and mirrored (an onion service, a partner's server). Pages need no
JavaScript, load nothing from elsewhere (each carries a Content-Security-Policy saying so),
have no analytics, and read at Tor Browser's safest level; ``tips.js`` only adds the
proof of work to the tip form. The site's own text is in every language of ``site_text``;
what an investigator wrote about an object is published as entered.

The tips server (``cumberland tips serve``, a separate package) serves this folder, reads
``objects.json`` for the objects it takes tips for, and answers a refused tip with the pages
under ``answers/`` (rendered for the folder's root, where the form posts).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined

from cumberland.intel.trace.site_text import SITE_LANGUAGES, TEXT

FEED = "objects.json"
FEED_FORMAT = "cumberland-trace-objects"
TEXT_MAX = 5000  # the tips server's own limits (cumberland.tips.form); a test keeps them equal
CONTACT_MAX = 200
POW_BITS = 18
POW_WINDOW_MINUTES = 10
STATIC = ("style.css", "tips.js")
ANSWERS = ("refused", "busy")


class SiteError(ValueError):
    """A tips URL or output folder that cannot be used (one line)."""


@dataclass(frozen=True, slots=True)
class PublicObject:
    """Everything of an object that is published, and nothing else."""

    public_id: str
    title: str
    category: str
    hints: tuple[str, ...]
    languages: tuple[str, ...]
    image: bytes
    width: int
    height: int
    approved: str  # YYYY-MM-DD

    @property
    def text_lang(self) -> str:
        """The lang attribute of the object's text (none when it mixes languages)."""
        return self.languages[0] if len(self.languages) == 1 else ""


_env = Environment(loader=PackageLoader("cumberland.intel.trace", "site"), autoescape=True,
                   undefined=StrictUndefined, keep_trailing_newline=True)


def tips_origin(url: str) -> str:
    """The scheme and host of the tips URL (the one place forms may post to)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query \
            or parts.fragment or parts.username or any(c in url for c in "\"'<> \\"):
        raise SiteError(f"tips URL must be a plain http(s) URL such as https://tips.example/tip"
                        f", not {url[:80]!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _csp(origin: str) -> str:
    return ("default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
            f"form-action {origin}; base-uri 'none'")


def _page(name: str, lang: str, root: str, page: str, csp: str, **context: Any) -> bytes:
    languages = [(code, TEXT[code]["language"]) for code in SITE_LANGUAGES]
    html = _env.get_template(name).render(lang=lang, t=TEXT[lang], root=root, page=page,
                                          csp=csp, languages=languages, **context)
    return html.encode("utf-8")


def feed(objects: Sequence[PublicObject], tips_url: str, pow_bits: int) -> bytes:
    """``objects.json``: what partner agencies' sites and the tips server read."""
    body = {
        "format": FEED_FORMAT, "version": 1, "languages": list(SITE_LANGUAGES),
        "tips_url": tips_url,
        "proof_of_work": {"scheme": "cumberland-tip/1", "bits": pow_bits,
                          "window_minutes": POW_WINDOW_MINUTES},
        "limits": {"text": TEXT_MAX, "contact": CONTACT_MAX},
        "objects": [{
            "id": o.public_id, "title": o.title, "category": o.category, "hints": list(o.hints),
            "languages": list(o.languages), "image": f"images/{o.public_id}.jpg",
            "image_sha256": hashlib.sha256(o.image).hexdigest(), "width": o.width,
            "height": o.height, "approved": o.approved,
            "pages": {lang: f"{lang}/objects/{o.public_id}.html" for lang in SITE_LANGUAGES},
        } for o in objects],
    }
    return (json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def render_site(objects: Sequence[PublicObject], tips_url: str, pow_bits: int = POW_BITS
                ) -> dict[str, bytes]:
    """Every file of the site by its relative path (objects in the order given)."""
    if not 1 <= pow_bits <= 32:
        raise SiteError("proof-of-work bits must be 1 to 32")
    csp = _csp(tips_origin(tips_url))
    files: dict[str, bytes] = {FEED: feed(objects, tips_url, pow_bits)}
    for name in STATIC:
        files[name] = _env.loader.get_source(_env, name)[0].encode("utf-8")  # type: ignore[union-attr]
    choices = [(code, TEXT[code]["title"], TEXT[code]["language"]) for code in SITE_LANGUAGES]
    files["index.html"] = _page("languages.html", "en", "", "index.html", csp, choices=choices)
    for o in objects:
        files[f"images/{o.public_id}.jpg"] = o.image
    for lang in SITE_LANGUAGES:
        t = TEXT[lang]
        files[f"{lang}/index.html"] = _page("index.html", lang, "../", "index.html", csp,
                                            objects=objects)
        files[f"{lang}/thanks.html"] = _page("message.html", lang, "../", "thanks.html", csp,
                                             heading=t["thanks_title"], message=t["thanks"])
        for o in objects:
            files[f"{lang}/objects/{o.public_id}.html"] = _page(
                "object.html", lang, "../../", f"objects/{o.public_id}.html", csp, o=o,
                tips_url=tips_url, pow_bits=pow_bits, text_max=TEXT_MAX,
                contact_max=CONTACT_MAX)
        for answer in ANSWERS:
            files[f"answers/{answer}-{lang}.html"] = _page(
                "message.html", lang, "", "index.html", csp, heading=t[f"{answer}_title"],
                message=t[answer])
    return files


def _is_site(folder: Path) -> bool:
    try:
        return bool(json.loads((folder / FEED).read_text("utf-8")).get("format") == FEED_FORMAT)
    except (OSError, ValueError, AttributeError):
        return False


def write_site(files: dict[str, bytes], out: Path) -> None:
    """Replace ``out`` with exactly these files: built beside it, then swapped in, so a
    reader (the tips server, a mirror) sees the old site or the new one, and nothing of a
    withdrawn object is left. ``out`` must be missing, empty, or a site written before."""
    out = out.absolute()
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not _is_site(out))):
        raise SiteError(f"{out} exists and is not a site published before; choose another "
                        "folder (nothing was written)")
    out.parent.mkdir(parents=True, exist_ok=True)
    build = out.with_name(f".{out.name}.new-{os.getpid()}")
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    shutil.rmtree(build, ignore_errors=True)
    try:
        for relative, data in sorted(files.items()):
            path = build / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        if out.exists():
            os.replace(out, old)
        os.replace(build, out)
    finally:
        shutil.rmtree(build, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)
