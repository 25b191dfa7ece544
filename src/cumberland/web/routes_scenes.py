"""Region search in the workbench: draw a box on a revealed picture (or bring a picture of
one's own) and see the media of this case, and of every case the user is a member of, that
show it, ranked by the inliers of a verified match (``matching.scenes``, the search
``cumberland find`` runs).

Result tiles are the blurred greyscale thumbnails every grid shows, sharp only for media this
session revealed in that case; a result opens on a page that draws the verified region's
outline over the picture (blurred until its own reveal). Every search is in the audit log:
who, from which case, on which media (or the upload's SHA-256) and which region. An upload is
decoded in memory and dropped: it never becomes evidence of any case.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy import select

from cumberland.matching import scenes
from cumberland.matching.upright import box_to_stored, shown_size, to_upright
from cumberland.settings import Settings
from cumberland.signals import local_features as lf
from cumberland.store import accounts, audit
from cumberland.store.models import Media, SignalRecord
from cumberland.store.workspace import Workspace
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_review import media_key, shown
from cumberland.web.routes_view import _revealed
from cumberland.web.security import config, current, workspace

router = APIRouter()
RESULTS = 60  # tiles of one search
UPLOAD_LIMIT = 32 << 20  # bytes of a picture brought to the search
OUTLINE_POINTS = 8

QueryMaker = Callable[[Workspace, str], tuple[scenes.Query, str | None]]


def _size(ws: Workspace, digest: bytes) -> tuple[str, tuple[int, int], object]:
    """The media's kind, stored size and EXIF orientation (pages show it upright)."""
    with ws.engine.connect() as conn:
        row = conn.execute(select(Media.kind, Media.width, Media.height, Media.meta)
                           .where(Media.sha256 == digest)).one()
    orientation = ((row.meta or {}).get("exif") or {}).get("orientation")
    return str(row.kind), (int(row.width or 0), int(row.height or 0)), orientation


@router.get("/cases/{case_id}/media/{sha256}/find")
def draw_page(request: Request, case_id: int, sha256: str) -> Response:
    """The revealed picture at full resolution to draw the region on (or type it)."""
    digest = _revealed(request, case_id, sha256)
    ws = workspace(request)
    kind, size, orientation = _size(ws, digest)
    if kind != "image":
        raise HTTPException(400, "a region is drawn on a picture (for a video, bring a still "
                                 "of it)")
    width, height = shown_size(size, orientation)
    return render(request, "scenes_draw.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "sha": sha256,
        "width": width, "height": height})


def _tiles(request: Request, case_id: int, found: scenes.Found,
           cases: dict[int, str]) -> list[dict[str, Any]]:
    """One tile per hit, opened in this case when the media is in it, else in the first
    other case (by name) the user may see it in; sharp only if revealed there."""
    ids = {name: number for number, name in cases.items()}
    home_name = cases.get(case_id, "")
    placed = [(h, case_id if home_name in h.cases else ids[h.cases[0]]) for h in found.hits
              if h.cases]
    sharp: set[tuple[int, bytes]] = set()
    for number in {c for _, c in placed}:
        sharp |= {(number, s) for s in shown(request, number, [h.sha256 for h, c in placed
                                                               if c == number])}
    out = []
    for hit, number in placed:
        outline = " ".join(f"{x:.1f},{y:.1f}" for x, y in hit.outline)
        out.append({"hit": hit, "sha": hit.sha256.hex(), "case": number,
                    "case_name": cases[number], "sharp": (number, hit.sha256) in sharp,
                    "outline": outline})
    return out


def _search(request: Request, case_id: int, make: QueryMaker, target: str,
            details: dict[str, Any]) -> Response:
    """Run one search (audited, refused or not) and render its results."""
    session = current(request)
    ws = workspace(request)
    name = case_name(ws, case_id)
    found, note, error, tiles = None, None, None, []
    try:
        cases = scenes.cases_for(ws, name, session.account.id)
        query, note = make(ws, name)
        found = scenes.search(ws, query, cases, RESULTS, scenes.current(ws, case=name))
        tiles = _tiles(request, case_id, found, cases)
    except scenes.SearchError as exc:
        error = str(exc)
    audit.append(ws, session.account.name, "scene-search", case_id, target, {
        **details, "cases": found.cases if found else [],
        "results": len(found.hits) if found else 0, **({"error": error} if error else {})})
    return render(request, "scenes_results.html", {
        "case_id": case_id, "case_name": name, "found": found, "tiles": tiles,
        "note": note, "error": error, "media": details.get("media"),
        "region": details.get("region") or ""}, 400 if error else 200)


@router.get("/cases/{case_id}/find")
def find_page(request: Request, case_id: int, media: str = "", region: str = "") -> Response:
    """The search form; with ``media`` and ``region`` (x,y,w,h), that region's results."""
    ws = workspace(request)
    if not media:
        return render(request, "scenes_results.html", {
            "case_id": case_id, "case_name": case_name(ws, case_id), "found": None,
            "tiles": [], "note": None, "error": None, "media": None, "region": ""})
    digest = media_key(request, case_id, media)
    text = region[:100]

    def make(ws: Workspace, name: str) -> tuple[scenes.Query, str | None]:
        """The box is drawn on the upright picture: checked there, searched in its pixels."""
        box = scenes.parse_region(text)
        _, size, orientation = _size(ws, digest)
        if size[0] and size[1]:
            scenes.check_region(box, shown_size(size, orientation))
            box = box_to_stored(box, size, orientation)
        return scenes.media_query(ws, name, digest, box, Settings())

    return _search(request, case_id, make, media, {"media": media, "region": text})


@router.post("/cases/{case_id}/find/image")
def find_image(request: Request, case_id: int, picture: Annotated[UploadFile, File()],
               region: Annotated[str, Form()] = "") -> Response:
    """Search with a picture the user brings: read here, decoded in memory, never kept."""
    data = picture.file.read(UPLOAD_LIMIT + 1)
    digest = hashlib.sha256(data).hexdigest()
    text = region.strip()[:100]

    def make(_ws: Workspace, _name: str) -> tuple[scenes.Query, str | None]:
        if len(data) > UPLOAD_LIMIT:
            raise scenes.SearchError(f"the picture is over {UPLOAD_LIMIT >> 20} MiB")
        box = scenes.parse_region(text) if text else None
        return scenes.bytes_query(data, box, Settings(), "upload"), None

    return _search(request, case_id, make, f"upload:{digest}", {
        "upload_sha256": digest, "upload_bytes": min(len(data), UPLOAD_LIMIT + 1),
        "region": text or None})


def _outline(text: str) -> list[tuple[float, float]]:
    """``x,y x,y ...`` (a result's outline from the results page), at most 8 finite points."""
    points = []
    for pair in text.split()[:OUTLINE_POINTS]:
        try:
            x, y = (float(v) for v in pair.split(","))
        except ValueError:
            raise HTTPException(400, "outline is x,y pairs separated by spaces") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise HTTPException(400, "outline is x,y pairs separated by spaces")
        points.append((x, y))
    return points


def _keyframe_size(ws: Workspace, digest: bytes, at: float) -> tuple[int, int] | None:
    """The pixels of a video's keyframe ``at`` as local features saw it (a video hit's
    outline is in them)."""
    with ws.engine.connect() as conn:
        data = conn.scalar(select(SignalRecord.data).where(
            SignalRecord.media_sha256 == digest, SignalRecord.name == lf.NAME))
    for frame in (data or {}).get("frames", []) if isinstance(data, dict) else []:
        size = frame.get("size") or [0, 0]
        if abs(float(frame.get("t", -1.0)) - at) < 1e-3 and size[0] and size[1]:
            return int(size[0]), int(size[1])
    return None


@router.get("/cases/{case_id}/media/{sha256}/match")
def match_page(request: Request, case_id: int, sha256: str, outline: str = "",
               inliers: int = 0, at: float | None = None) -> Response:
    """A search result with the verified region's outline drawn over it: the blurred
    thumbnail until this session reveals the media, then the picture at full resolution; a
    video at the keyframe that matched (``at``, seconds), blurred the same way until then."""
    session = current(request)
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    kind, size, orientation = _size(ws, digest)
    base = f"/cases/{case_id}/media/{sha256}"
    thumb_sharp = digest in shown(request, case_id, [digest])
    blurred, sharp = f"{base}/{'sharp' if thumb_sharp else 'thumb'}", f"{base}/full"
    if kind == "video" and at is not None and math.isfinite(at) and at >= 0:
        size, orientation = _keyframe_size(ws, digest, at) or size, None
        blurred, sharp = f"{base}/frame-blurred?t={at}", f"{base}/frame?t={at}"
    width, height = shown_size(size, orientation)
    points = to_upright(_outline(outline[:800]), size, orientation)
    revealed = bool(accounts.revealed(ws, session.id, case_id, [digest],
                                      config(request).reveal_seconds))
    return render(request, "scenes_match.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "sha": sha256,
        "kind": kind, "width": width or 1, "height": height or 1, "inliers": max(0, inliers),
        "points": " ".join(f"{x:g},{y:g}" for x, y in points), "revealed": revealed,
        "blurred": blurred, "sharp": sharp, "at": at if kind == "video" else None,
        "can_reveal": session.account.can("reveal")})
