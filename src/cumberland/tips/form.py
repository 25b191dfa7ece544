"""A tip as the form posts it, checked strictly: one bad field refuses the whole tip.

The body is ``application/x-www-form-urlencoded`` UTF-8 (invalid UTF-8 refuses), with exactly
the form's fields, each at most once. Text only: line breaks and tabs are the only control
characters let through, and nothing of the tip is interpreted. The limits are the site's
(``intel/trace/site.py`` writes them into the form and the feed; a test keeps them equal).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl

TEXT_MAX = 5000
CONTACT_MAX = 200
# 5,000 characters of four UTF-8 bytes, each percent-encoded, and the rest of the form
MAX_BODY = TEXT_MAX * 12 + CONTACT_MAX * 12 + 1024
FIELDS = frozenset({"object", "lang", "text", "contact", "pow_t", "pow_n"})
OBJECT_ID = re.compile(r"[a-z2-7]{16}")
LANG = re.compile(r"[a-z]{2}")
NUMBER = re.compile(r"[0-9]{1,20}")
_BREAKS = re.compile(r"\r\n?")
# what _clean's fast check reads as spaces: line breaks and tabs in the text, tabs in contact
_FAST = {True: str.maketrans("\n\t", "  "), False: str.maketrans("\t", " ")}


class FormError(ValueError):
    """Why a tip was refused (for tests and counters; never shown, never logged with data)."""


@dataclass(frozen=True, slots=True)
class Tip:
    object_id: str
    lang: str
    text: str  # line breaks as "\n", as the proof of work hashed it
    contact: str
    pow_minute: int | None  # None: sent without the proof of work (no JavaScript)
    pow_nonce: int | None


def _clean(value: str, what: str, limit: int, breaks: bool) -> str:
    if len(value) > limit:
        raise FormError(f"{what} longer than {limit} characters")
    allowed = "\n\t" if breaks else "\t"
    if value.translate(_FAST[breaks]).isprintable():  # the usual case, in C
        return value
    for ch in value:
        if ch not in allowed and unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn"):
            raise FormError(f"{what} holds a control or unassigned character")
    return value


def lang_of(body: bytes) -> str:
    """The form's language if it names one plainly (to answer in it), else English."""
    match = re.search(rb"(?:^|&)lang=([a-z]{2})(?:&|$)", body[:MAX_BODY])
    return match.group(1).decode("ascii") if match else "en"


def parse(body: bytes) -> Tip:
    """The tip in a form body; FormError when anything about it is off."""
    if len(body) > MAX_BODY:
        raise FormError("body too large")
    try:
        pairs = parse_qsl(body.decode("ascii"), keep_blank_values=True, strict_parsing=True,
                          encoding="utf-8", errors="strict", max_num_fields=len(FIELDS))
    except (UnicodeError, ValueError) as exc:
        raise FormError(f"not a form: {type(exc).__name__}") from None
    fields = dict(pairs)
    if len(fields) != len(pairs) or not set(fields) <= FIELDS:
        raise FormError("unknown or repeated fields")
    if not {"object", "lang", "text"} <= set(fields):
        raise FormError("fields missing")
    object_id, lang = fields["object"], fields["lang"]
    if not OBJECT_ID.fullmatch(object_id) or not LANG.fullmatch(lang):
        raise FormError("bad object id or language")
    text = _clean(_BREAKS.sub("\n", fields["text"]), "text", TEXT_MAX, breaks=True)
    if not text.strip():
        raise FormError("empty text")
    contact = _clean(fields.get("contact", ""), "contact", CONTACT_MAX, breaks=False)
    minute, nonce = fields.get("pow_t", ""), fields.get("pow_n", "")
    if not minute and not nonce:
        return Tip(object_id, lang, text, contact, None, None)
    if not NUMBER.fullmatch(minute) or not NUMBER.fullmatch(nonce) or int(nonce) >= 2 ** 64:
        raise FormError("bad proof-of-work fields")
    return Tip(object_id, lang, text, contact, int(minute), int(nonce))
