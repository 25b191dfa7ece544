"""Pictures like this, and pictures described in words, in the workbench: the ranking of
``cumberland find --like`` / ``--text-query`` (``matching.pictures``) over this case and every
case the user is a member of, with the embedding plug-in the case's latest run was given.

Results are the blurred greyscale tiles of every grid, sharp only for media this session
revealed in the case the tile opens in (this case when the media is in it, else the first
other case, by name, the user may see it in). Every search is in the audit log: who, from
which case, the picture or the words, the cases searched and how many results.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from cumberland.matching import pictures, scenes
from cumberland.signals.plugins import PluginError
from cumberland.store import audit
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_review import media_key, shown
from cumberland.web.security import current, workspace

router = APIRouter()
RESULTS = 60
QUERY_CHARS = 300


def _tiles(request: Request, case_id: int, found: pictures.Found,
           cases: dict[int, str]) -> list[dict[str, Any]]:
    ids = {name: number for number, name in cases.items()}
    home = cases.get(case_id)
    opened = [(h, case_id if home in h.cases else ids[h.cases[0]]) for h in found.hits
              if h.cases]
    sharp = {(c, s) for c in {c for _, c in opened}
             for s in shown(request, c, [h.sha256 for h, n in opened if n == c])}
    return [{"sha": h.sha256.hex(), "case": c, "case_name": cases[c], "score": h.score,
             "at": h.at, "sharp": (c, h.sha256) in sharp} for h, c in opened]


@router.get("/cases/{case_id}/pictures")
def pictures_page(request: Request, case_id: int, q: str = "", like: str = "") -> Response:
    """The text box; with ``q`` the pictures those words describe, with ``like`` (a media of
    this case) the pictures most like it."""
    session = current(request)
    ws = workspace(request)
    name = case_name(ws, case_id)
    words = q.strip()[:QUERY_CHARS]
    digest = media_key(request, case_id, like) if like else None
    found, error, tiles = None, None, []
    if words or digest is not None:
        try:
            cases = scenes.cases_for(ws, name, session.account.id)
            space = pictures.space(ws, case_id)
            found = (pictures.like(ws, space, name, digest, cases, RESULTS)
                     if digest is not None
                     else pictures.text(ws, space, name, words, cases, RESULTS))
            tiles = _tiles(request, case_id, found, cases)
        except (pictures.PicturesError, scenes.SearchError, PluginError) as exc:
            error = str(exc)
        action, target = ("pictures-like", like) if digest is not None else \
            ("pictures-text", words)
        audit.append(ws, session.account.name, action, case_id, target, {
            "cases": found.cases if found else [], "results": len(tiles),
            **({"error": error} if error else {})})
    return render(request, "pictures.html", {
        "case_id": case_id, "case_name": name, "q": words, "like": like if digest else "",
        "found": found, "tiles": tiles, "error": error}, 400 if error else 200)
