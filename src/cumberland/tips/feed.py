"""What the tips server knows of a published site: its feed (``objects.json``) and the
answer pages the site carries for it (``answers/``). Read again when the site is republished,
so a withdrawn object stops taking tips without a restart."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cumberland.tips.form import CONTACT_MAX, LANG, OBJECT_ID, TEXT_MAX
from cumberland.tips.proof import SCHEME

FEED = "objects.json"
FEED_FORMAT = "cumberland-trace-objects"
ANSWERS = ("refused", "busy")


class FeedError(ValueError):
    """A site the server cannot take tips for (one line)."""


@dataclass(frozen=True, slots=True)
class Site:
    objects: dict[str, str]  # public id -> title
    languages: frozenset[str]
    tip_path: str  # where the forms post
    pow_bits: int
    pow_window: int  # minutes either side of now a token is good for
    answers: dict[tuple[str, str], bytes]  # (answer, lang) -> page
    stamp: tuple[int, int]  # (inode, mtime) of the feed, to see a republish


def stamp(folder: Path) -> tuple[int, int]:
    try:
        st = os.stat(folder / FEED)
    except OSError:
        return (0, 0)
    return (st.st_ino, st.st_mtime_ns)


def load(folder: Path) -> Site:
    """The site in ``folder``; FeedError when it is not one this server can serve."""
    seen = stamp(folder)
    try:
        body = json.loads((folder / FEED).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise FeedError(f"{folder / FEED}: not a readable feed ({type(exc).__name__})") from None
    try:
        if body["format"] != FEED_FORMAT or body["version"] != 1:
            raise FeedError(f"{folder / FEED} is not a Trace An Object feed (version 1)")
        pow_ = body["proof_of_work"]
        if pow_["scheme"] != SCHEME or not 1 <= int(pow_["bits"]) <= 32:
            raise FeedError(f"{folder / FEED}: proof of work {pow_['scheme']!r} is not "
                            f"{SCHEME!r} with 1 to 32 bits")
        if body["limits"] != {"text": TEXT_MAX, "contact": CONTACT_MAX}:
            raise FeedError(f"{folder / FEED}: the site's limits {body['limits']} are not the "
                            f"server's (text {TEXT_MAX}, contact {CONTACT_MAX})")
        languages = frozenset(str(code) for code in body["languages"])
        objects = {str(o["id"]): str(o["title"]) for o in body["objects"]}
        path = urlsplit(str(body["tips_url"])).path or "/"
        window = int(pow_["window_minutes"])
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, FeedError):
            raise
        raise FeedError(f"{folder / FEED}: malformed feed ({type(exc).__name__}: {exc})"
                        ) from None
    if not all(OBJECT_ID.fullmatch(i) for i in objects) or \
            not all(LANG.fullmatch(code) for code in languages) or "en" not in languages:
        raise FeedError(f"{folder / FEED}: object ids or languages are not as published")
    answers = {}
    for answer in ANSWERS:
        for lang in languages:
            try:
                answers[(answer, lang)] = (folder / "answers" / f"{answer}-{lang}.html"
                                           ).read_bytes()
            except OSError:
                raise FeedError(f"{folder}: answers/{answer}-{lang}.html is missing") from None
    return Site(objects, languages, path, int(pow_["bits"]), window, answers, seen)
