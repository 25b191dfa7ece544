"""Text and faces in the workbench: a search box over the text read in pictures (its words
boxed on the tile), and the case's persons as face crops, which a reviewer names,
confirms, merges and splits (``analysis.persons``: every change in the audit log), with the
face-library labels their faces matched (``analysis.face_library``).

Tiles and face crops are cut from the same blurred thumbnail as every grid tile, sharp only
for media this session revealed (``routes_review.shown``): a picture's face crop is a window
on that thumbnail. A video's thumbnail is its contact sheet, so a video face's crop is cut
from its own keyframe (``analysis.face_crops``), served blurred and greyscale like every
thumbnail (``.../faces/N/crop``) and sharp only once its video is revealed
(``.../faces/N/sharp``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from cumberland.analysis import persons as people
from cumberland.analysis.face_crops import CropError, video_face_crop, window
from cumberland.analysis.face_library import by_face, case_matches
from cumberland.analysis.text_search import SearchError, search_text
from cumberland.signals.faces import SAME_PERSON
from cumberland.store import accounts
from cumberland.store.models import Media
from cumberland.web import thumbs
from cumberland.web.pages import render
from cumberland.web.routes_cases import case_name
from cumberland.web.routes_review import image_response, media_key, shown
from cumberland.web.security import current, require, workspace

router = APIRouter()
CROP = 96  # a face crop's width on the page, in CSS pixels
FACES_SHOWN = 8  # face crops per person on the persons page


@router.get("/cases/{case_id}/text")
def text_page(request: Request, case_id: int, q: str = "") -> Response:
    """The search box, and the pictures whose text holds every word of ``q``."""
    ws = workspace(request)
    hits, error = [], None
    if q.strip():
        try:
            hits = search_text(ws, case_id, q[:300], limit=120)
        except SearchError as exc:
            error = str(exc)
    return render(request, "text_search.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "q": q, "hits": hits,
        "error": error, "shown": shown(request, case_id, [h.sha256 for h in hits]),
        "can_reveal": current(request).account.can("reveal")})


def _crops(request: Request, case_id: int, faces: list[people.StoredFace]
           ) -> list[dict[str, Any]]:
    """Each face as a window on its media's thumbnail (fractions of the upright picture)."""
    ws = workspace(request)
    shas = sorted({f.sha256 for f in faces})
    with ws.engine.connect() as conn:
        sizes = {bytes(r.sha256): (r.width or 1, r.height or 1, r.meta or {}) for r in
                 conn.execute(select(Media.sha256, Media.width, Media.height, Media.meta)
                              .where(Media.sha256.in_(shas)))}
    sharp = shown(request, case_id, shas)
    out = []
    for face in faces:
        width, height, meta = sizes.get(face.sha256, (1, 1, {}))
        if ((meta.get("exif") or {}).get("orientation")) in {5, 6, 7, 8}:
            width, height = height, width  # boxes are fractions of the upright picture
        x, y, w, h = face.box if len(face.box) == 4 else (0.0, 0.0, 1.0, 1.0)
        src = f"/cases/{case_id}/media/{face.sha256.hex()}/"
        if face.t is not None:  # its own crop, cut from its keyframe
            left, top, right, bottom = window(face.box, width, height)
            x, y, w, h = 0.0, 0.0, 1.0, 1.0
            width, height = right - left, bottom - top
            src += f"faces/{face.index}/{'sharp' if face.sha256 in sharp else 'crop'}"
        else:
            src += "sharp" if face.sha256 in sharp else "thumb"
        w, h = max(w, 1e-3), max(h, 1e-3)
        out.append({"ref": face.ref, "sha": face.sha256.hex(), "case": case_id,
                    "view": f"{x} {y} {w} {h}", "src": src,
                    "width": CROP, "height": round(CROP * (h * height) / (w * width)),
                    "sharp": face.sha256 in sharp, "quality": face.quality, "t": face.t})
    return out


def _video_crop(request: Request, case_id: int, sha256: str, number: int, sharp: bool
                ) -> Response:
    ws = workspace(request)
    digest = media_key(request, case_id, sha256)
    if sharp:
        require(request, "reveal")
        if digest not in shown(request, case_id, [digest]):
            raise HTTPException(404, "not revealed")
    try:
        face = people.media_face(ws, case_id, f"{digest.hex()}:{number}")
        data = video_face_crop(ws, case_id, face)
    except LookupError:
        raise HTTPException(404, "not found") from None
    except CropError:  # evidence gone or not decodable: the page shows "no preview"
        return image_response(None)
    return image_response(data if sharp else thumbs.blur(data))


@router.get("/cases/{case_id}/media/{sha256}/faces/{number}/crop")
def video_face_blurred(request: Request, case_id: int, sha256: str, number: int) -> Response:
    """A video face's crop from its own keyframe, always blurred and greyscale."""
    return _video_crop(request, case_id, sha256, number, sharp=False)


@router.get("/cases/{case_id}/media/{sha256}/faces/{number}/sharp")
def video_face_sharp(request: Request, case_id: int, sha256: str, number: int) -> Response:
    """The sharp crop, only after a logged reveal of its video (or the session toggle)."""
    return _video_crop(request, case_id, sha256, number, sharp=True)


@router.get("/cases/{case_id}/persons")
def persons_page(request: Request, case_id: int) -> Response:
    ws = workspace(request)
    found = people.persons(ws, case_id)
    known = by_face(case_matches(ws, case_id))
    rows = [{"person": p, "crops": _crops(request, case_id, p.faces[:FACES_SHOWN]),
             "known": _known_of(p, known)} for p in found]
    return render(request, "persons.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "rows": rows})


def _known_of(person: people.Person, known: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """The face-library labels a person's faces matched: per (library, label), the nearest
    distance and how many of its faces matched."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    for face in person.faces:
        for m in known.get(face.ref, []):
            row = best.setdefault((m.library, m.label), {"library": m.library, "label": m.label,
                                                         "kind": m.kind,
                                                         "distance": m.distance, "faces": 0})
            row["faces"] += 1
            row["distance"] = min(row["distance"], m.distance)
    return sorted(best.values(), key=lambda r: r["distance"])


@router.get("/cases/{case_id}/persons/{person_id}")
def person_page(request: Request, case_id: int, person_id: int) -> Response:
    ws = workspace(request)
    found = people.persons(ws, case_id)
    person = next((p for p in found if p.number == person_id), None)
    if person is None:
        raise HTTPException(404, "not found")
    known = by_face(case_matches(ws, case_id))
    crops = _crops(request, case_id, person.faces)
    for crop in crops:
        crop["known"] = known.get(crop["ref"], [])
    return render(request, "person.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id), "p": person,
        "crops": crops, "known": _known_of(person, known),
        "others": [p.number for p in found if p.number != person_id],
        "can_label": current(request).account.can("categorise")})


@router.get("/cases/{case_id}/similar-faces")
def similar_faces(request: Request, case_id: int, face: str = "") -> Response:
    """Query by face: the faces most like one face of this case, from this case and every
    case this user may see, nearest first (each crop blurred until its picture is revealed
    in its own case)."""
    ws = workspace(request)
    cases = dict(accounts.member_cases(ws, current(request).account.id))
    ref = face[:80].lower()
    try:
        query = people.find_face(people.case_faces(ws, [case_id]), ref)
        ranked = people.similar(ws, ref, case_id, [c for c in cases if c != case_id], 60)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from None
    rows = [{"crop": _crops(request, f.case_id, [f])[0], "distance": d,
             "same": d < SAME_PERSON, "case_name": cases.get(f.case_id, "")}
            for f, d in ranked]
    return render(request, "similar_faces.html", {
        "case_id": case_id, "case_name": case_name(ws, case_id),
        "query": _crops(request, case_id, [query])[0], "rows": rows})


def _labelled(request: Request, case_id: int, change: Any, *args: Any) -> Response:
    session = require(request, "categorise")
    try:
        change(workspace(request), case_id, *args, session.account.name)
    except people.LabelError as exc:
        raise HTTPException(400, str(exc)) from None
    return RedirectResponse(f"/cases/{case_id}/persons", status_code=303)


@router.post("/cases/{case_id}/persons/{person_id}/name")
def name_person(request: Request, case_id: int, person_id: int, name: str = Form()) -> Response:
    return _labelled(request, case_id, people.name_person, person_id, name[:200])


@router.post("/cases/{case_id}/persons/{person_id}/confirm")
def confirm_person(request: Request, case_id: int, person_id: int) -> Response:
    return _labelled(request, case_id, people.confirm_person, person_id)


@router.post("/cases/{case_id}/persons/{person_id}/merge")
def merge_person(request: Request, case_id: int, person_id: int, into: int = Form()) -> Response:
    return _labelled(request, case_id, people.merge_persons, person_id, into)


@router.post("/cases/{case_id}/faces/split")
def split_face(request: Request, case_id: int, face: str = Form()) -> Response:
    return _labelled(request, case_id, people.split_face, face[:80].lower())
