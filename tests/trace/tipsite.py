"""A published site without a case (objects made up of a small benign picture), and helpers
to send tips to a tips server the way the site's form does."""

from __future__ import annotations

import io
from pathlib import Path
from urllib.parse import urlencode

from PIL import Image

from cumberland.intel.trace.site import PublicObject, render_site, write_site
from cumberland.tips import proof

TIPS_URL = "http://127.0.0.1:8765/tip"
IDS = ("mugmugmugmugmug2", "bagbagbagbagbag3")
BITS = 8


def tiny_jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 48)).save(out, "JPEG")
    return out.getvalue()


def make_site(folder: Path, ids: tuple[str, ...] = IDS, bits: int = BITS) -> Path:
    objects = [PublicObject(i, f"Object {i[:3]}", "packaging", ("Where is it sold?",),
                            ("en",), tiny_jpeg(), 64, 48, "2026-12-01") for i in ids]
    write_site(render_site(objects, TIPS_URL, bits), folder)
    return folder


def tip_form(object_id: str, text: str, *, lang: str = "en", contact: str = "",
             minute: int | None = None, bits: int = BITS, now: float | None = None,
             nonce: int | None = None) -> dict[str, str]:
    """The fields the form posts, with the proof of work done (unless ``minute`` is -1)."""
    import time

    fields = {"object": object_id, "lang": lang, "text": text, "contact": contact,
              "pow_t": "", "pow_n": ""}
    if minute == -1:
        return fields
    minute = int((now if now is not None else time.time()) // 60) if minute is None else minute
    inner = proof.inner(object_id, lang, minute, text.replace("\r\n", "\n"), contact)
    fields["pow_t"] = str(minute)
    fields["pow_n"] = str(proof.solve(inner, bits) if nonce is None else nonce)
    return fields


def encoded(fields: dict[str, str]) -> bytes:
    return urlencode(fields).encode("ascii")
