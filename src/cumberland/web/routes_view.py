"""The viewer: one media at full resolution after a reveal, its facts as tables, next/previous
in the grid's order; videos as a blurred contact sheet, then keyframes and playback. Once a
picture is revealed the words OCR read are boxed on it with their text, those a text search
asked for (``?q=``) highlighted.

Evidence bytes reach the browser only for an item this session revealed (audited, per item,
for ``reveal_seconds``); the "show sharp thumbnails" toggle never unlocks them. Pictures and
frames are re-encoded here; only the player gets original bytes, of containers browsers play,
under a content type chosen from what PyAV recognised.
"""

from __future__ import annotations

import math
import re
import time
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from cumberland.analysis.face_library import case_matches
from cumberland.analysis.grid import neighbour
from cumberland.analysis.review import DEFAULT_SCHEME, load_schemes
from cumberland.analysis.series import seen_elsewhere
from cumberland.analysis.text_search import SIGNAL as OCR
from cumberland.analysis.text_search import keyframe_words
from cumberland.matching.upright import shown_size
from cumberland.store import accounts
from cumberland.store.models import (
    Decision,
    HashEntry,
    HashSet,
    Item,
    Match,
    Media,
    Opinion,
    SignalRecord,
    Source,
    User,
)
from cumberland.web import evidence, rendering, thumbs
from cumberland.web.grid_query import with_args
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_review import grid_of, media_key, shown
from cumberland.web.security import config, current, require, workspace

router = APIRouter()
MAX_IMAGE_BYTES = 256 << 20
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
MAX_RANGE = 8 << 20  # bytes per ranged answer; the player asks again for more
ROWS = 400  # rows of one signal's table
MAX_SECONDS = 7 * 24 * 3600.0  # a frame's time
BLURRED_SIDE = 256  # pixels of a blurred frame, as a thumbnail's
CELL = 200  # characters of one cell: keypoints, descriptors and hash lists are not for reading


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested JSON as (dotted key, value) rows: EXIF and signals read as tables."""
    if isinstance(value, dict):
        rows: list[tuple[str, str]] = []
        for key in value:
            rows += flatten(value[key], f"{prefix}.{key}" if prefix else str(key))
        return rows[:ROWS]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        rows = []
        for n, item in enumerate(value):
            rows += flatten(item, f"{prefix}[{n}]")
        return rows[:ROWS]
    if isinstance(value, list):
        text = ", ".join(str(v) for v in value[:50]) + (" …" if len(value) > 50 else "")
        return [(prefix, text)]
    text = "" if value is None else str(value)
    if len(text) > CELL:
        text = f"{text[:60]}… ({len(text):,} characters)"
    return [(prefix, text)]


def _start(text: str) -> float | None:
    """``?t=``: the time of the keyframe the viewer opens a video at (a search's hit)."""
    try:
        t = float(text[:20])
    except ValueError:
        return None
    return t if math.isfinite(t) and 0 <= t <= MAX_SECONDS else None


def _revealed(request: Request, case_id: int, sha256: str) -> bytes:
    """The media key, only for an unexpired per-item reveal of this session (the session-wide
    thumbnail toggle does not count: these are the evidence's own pixels)."""
    session = require(request, "reveal")
    digest = media_key(request, case_id, sha256)
    if not accounts.revealed(workspace(request), session.id, case_id, [digest],
                             config(request).reveal_seconds):
        raise HTTPException(404, "not revealed")
    return digest


@router.get("/cases/{case_id}/media/{sha256}")
def viewer(request: Request, case_id: int, sha256: str) -> Response:
    session = current(request)
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    grid = grid_of(request, case_id)
    after = request.query_params.get("after", "")[:300]
    with ws.session() as orm:
        media = orm.execute(select(Media).where(Media.sha256 == digest)).scalar_one()
        items = orm.execute(select(Item, Source.uri).join(Source, Source.id == Item.source_id)
                            .where(Item.case_id == case_id, Item.media_sha256 == digest)
                            .order_by(Item.path)).all()
        matches = orm.execute(
            select(Match, HashSet.name, HashSet.purpose, HashSet.category_scheme,
                   HashEntry.name.label("known_name"))
            .join(HashSet, HashSet.id == Match.hashset_id)
            .outerjoin(HashEntry, HashEntry.id == Match.entry_id)
            .where(Match.media_sha256 == digest).order_by(HashSet.name, Match.method)).all()
        decision = orm.scalar(select(Decision).where(Decision.case_id == case_id,
                                                     Decision.media_sha256 == digest))
        opinions = orm.execute(select(User.name, Opinion.category, Opinion.scheme,
                                      Opinion.final).join(User, User.id == Opinion.user_id)
                               .where(Opinion.case_id == case_id,
                                      Opinion.media_sha256 == digest)).all()
        signals = orm.execute(select(SignalRecord).where(SignalRecord.media_sha256 == digest)
                              .order_by(SignalRecord.name)).scalars().all()
    neighbours = request.app.state.similar.neighbours(ws, case_id, media.pdq, digest)
    previous = neighbour(ws, case_id, grid.filters, digest, backwards=True)
    following = neighbour(ws, case_id, grid.filters, digest)
    lasting = config(request).reveal_seconds
    at = accounts.revealed_at(ws, session.id, case_id, digest)
    left = 0 if at is None else max(0, int(at + lasting - time.time()))
    meta = media.meta or {}
    nav = with_args(grid.args, after=after or None)
    ocr = next((s.data for s in signals if s.name == OCR and isinstance(s.data, dict)), {})
    read = keyframe_words(ocr, request.query_params.get("q", "")[:300])
    words = read.get(None, []) if media.kind == "image" else []
    frame_words = [{"t": t, "words": read[t]} for t in sorted(
        t for t in read if t is not None and read[t])] if media.kind == "video" else []
    upright = shown_size((media.width or 0, media.height or 0),
                         (meta.get("exif") or {}).get("orientation"))
    visible = {name for _, name in accounts.member_cases(ws, session.account.id)}
    also_in = [n for n in seen_elsewhere(ws, case_id, [digest]).get(digest, []) if n in visible]
    return render(request, "item.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "sha": sha256, "m": media,
        "items": items, "matches": matches, "decision": decision, "opinions": opinions,
        "known_faces": case_matches(ws, case_id, digest), "also_in": also_in,
        "signals": [(s, flatten(s.data)) for s in signals],
        "exif": flatten(meta.get("exif") or {}),
        "facts": flatten({k: v for k, v in meta.items() if k != "exif"}),
        "neighbours": neighbours, "revealed": left > 0, "reveal_left": left, "words": words,
        "upright": upright, "frame_words": frame_words,
        "start_at": _start(request.query_params.get("t", "")),
        "thumb_sharp": digest in shown(request, case_id, [digest]),
        "previous": previous, "following": following, "nav": nav,
        "back": with_args(nav, focus=sha256),
        "playable": rendering.playable_type(meta) if media.kind == "video" else None,
        "scheme": load_schemes(ws)[DEFAULT_SCHEME],
        "reveal_seconds": int(config(request).reveal_seconds),
        "can_reveal": session.account.can("reveal"),
        "can_categorise": session.account.can("categorise")})


def _unavailable(exc: Exception) -> HTTPException:
    return HTTPException(409, str(exc))


@router.get("/cases/{case_id}/media/{sha256}/full")
async def full(request: Request, case_id: int, sha256: str) -> Response:
    """The picture at full resolution, re-encoded as JPEG, read again from the evidence."""
    digest = await run_in_threadpool(_revealed, request, case_id, sha256)
    ws = workspace(request)

    def make() -> rendering.Rendered:
        data = evidence.read_verified(ws, case_id, digest, MAX_IMAGE_BYTES)
        return rendering.full_image(data)

    try:
        picture = await run_in_threadpool(make)
    except (evidence.Unavailable, rendering.RenderError) as exc:
        raise _unavailable(exc) from None
    return Response(picture.jpeg, media_type="image/jpeg", headers={
        "x-image-size": f"{picture.width}x{picture.height}",
        "x-image-scaled": "1" if picture.scaled else "0",
        "content-disposition": "inline"})


def _video_file(request: Request, case_id: int, digest: bytes) -> evidence.Verified:
    try:
        found: evidence.Verified = request.app.state.verified.get(workspace(request), case_id,
                                                                  digest)
    except evidence.Unavailable as exc:
        raise _unavailable(exc) from None
    return found


@router.get("/cases/{case_id}/media/{sha256}/keyframes")
def keyframes(request: Request, case_id: int, sha256: str) -> Response:
    """Where the video's keyframes are (seconds), for scrubbing frame by frame."""
    digest = _revealed(request, case_id, sha256)
    verified = _video_file(request, case_id, digest)
    try:
        with verified.open() as fh:
            found = request.app.state.keyframes.of(digest, fh)
    except (rendering.RenderError, evidence.Unavailable) as exc:
        raise _unavailable(exc) from None
    return JSONResponse({"keyframes": [k.seconds for k in found]})


def _seconds(t: float) -> float:
    if not (math.isfinite(t) and 0 <= t <= MAX_SECONDS):
        raise HTTPException(400, "t is a time in seconds from the start of the video")
    return t


@router.get("/cases/{case_id}/media/{sha256}/frame")
def frame(request: Request, case_id: int, sha256: str, i: int = 0,
          t: float | None = None) -> Response:
    """Keyframe number ``i`` (or the frame at ``t`` seconds: a keyframe the analysis looked
    at), decoded and re-encoded as JPEG."""
    digest = _revealed(request, case_id, sha256)
    verified = _video_file(request, case_id, digest)
    try:
        if t is not None:
            with verified.open() as fh:
                data = rendering.frame_jpeg(fh, _seconds(t))
            return Response(data, media_type="image/jpeg")
        with verified.open() as fh:
            found = request.app.state.keyframes.of(digest, fh)
        if not 0 <= i < len(found):
            raise HTTPException(404, "no such keyframe")
        with verified.open() as fh:
            data = rendering.keyframe_jpeg(fh, found[i])
    except (rendering.RenderError, evidence.Unavailable) as exc:
        raise _unavailable(exc) from None
    return Response(data, media_type="image/jpeg")


@router.get("/cases/{case_id}/media/{sha256}/frame-blurred")
def frame_blurred(request: Request, case_id: int, sha256: str, t: float = 0.0) -> Response:
    """The frame at ``t`` seconds as a thumbnail is before a reveal: blurred greyscale at
    ``BLURRED_SIDE`` pixels (a region search's video result, under its outline)."""
    digest = media_key(request, case_id, sha256)
    verified = _video_file(request, case_id, digest)
    try:
        with verified.open() as fh:
            data = thumbs.blur(rendering.frame_jpeg(fh, _seconds(t), BLURRED_SIDE))
    except (rendering.RenderError, evidence.Unavailable) as exc:
        raise _unavailable(exc) from None
    return Response(data, media_type="image/jpeg")


@router.get("/cases/{case_id}/media/{sha256}/video")
def video(request: Request, case_id: int, sha256: str) -> Response:
    """The video for the HTML5 player (muted by the page), with Range requests."""
    digest = _revealed(request, case_id, sha256)
    ws = workspace(request)
    with ws.engine.connect() as conn:
        kind, meta = conn.execute(select(Media.kind, Media.meta)
                                  .where(Media.sha256 == digest)).one()
    content_type = rendering.playable_type(meta or {}) if kind == "video" else None
    if content_type is None:
        raise HTTPException(415, "browsers cannot play this video; scrub its keyframes")
    verified = _video_file(request, case_id, digest)
    size = verified.size
    start, end, status = 0, size - 1, 200
    wanted = request.headers.get("range")
    if wanted:
        match = RANGE.fullmatch(wanted.strip())
        if not match or (not match.group(1) and not match.group(2)):
            return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
        if match.group(1):
            start = int(match.group(1))
            end = min(int(match.group(2)), size - 1) if match.group(2) else size - 1
        else:  # the last N bytes
            start = max(0, size - int(match.group(2)))
        if start >= size or start > end:
            return Response(status_code=416, headers={"content-range": f"bytes */{size}"})
        end = min(end, start + MAX_RANGE - 1)
        status = 206
    headers = {"accept-ranges": "bytes", "content-length": str(end - start + 1),
               "content-disposition": "inline"}
    if status == 206:
        headers["content-range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(verified.ranges(start, end), status_code=status,
                             media_type=content_type, headers=headers)
