"""Candidate objects: cut, checked, approved by a second person, withdrawn; each step audited.

An object is made from the picture's original pixels (re-opened read-only at full resolution
through ``store.reopen``), cut and painted over outside its polygon (``crop``), fitted to
1024 px and re-encoded from pixels alone. The checks (``safety``) run when it is made and again
when it is approved and published, on the very bytes that would be published. Its public id
is random (``secrets``), never derived from the picture, its hash or its path.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import secrets
import time
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np
from PIL import Image
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from cumberland.analysis.review import in_case
from cumberland.intel.trace import crop
from cumberland.intel.trace.safety import AlertCheck, FaceCheck, check_alerts, dihedral, find_faces
from cumberland.intel.trace.site_text import CATEGORIES
from cumberland.settings import Settings
from cumberland.store import accounts, audit
from cumberland.store.models import Case, Media, User
from cumberland.store.reopen import ReopenError, media_pixels
from cumberland.store.trace_models import TraceObject
from cumberland.store.workspace import Workspace

MAX_TITLE = 200
MAX_HINT = 500
MAX_HINTS = 10
MAX_NOTE = 2000
LANGUAGE = re.compile(r"[a-z]{2,3}")
PUBLIC_ID = re.compile(r"[a-z2-7]{16}")


class ObjectState(StrEnum):
    CANDIDATE = "candidate"
    APPROVED = "approved"
    WITHDRAWN = "withdrawn"


class ObjectError(ValueError):
    """Refused: a one-line reason (wrong role, unknown object, failed check, bad input)."""


def new_public_id() -> str:
    """80 random bits in lower-case base32: unguessable, and unrelated to anything."""
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()


@dataclass(frozen=True, slots=True)
class Draft:
    """What an investigator asks for: the picture, the region (and polygon), the text."""

    case: str
    media: str  # SHA-256, hex
    region: str  # x,y,w,h
    title: str
    category: str
    polygon: str | None = None
    fill: str = "flat"
    hints: tuple[str, ...] = ()
    languages: tuple[str, ...] = ("en",)


def actor(ws: Workspace, name: str, power: str, case_id: int) -> accounts.Account:
    """The enabled user ``name``, allowed ``power`` and a member of the case."""
    with ws.engine.connect() as conn:
        row = conn.execute(select(User.id, User.name, User.role, User.disabled)
                           .where(User.name == name)).first()
    if row is None or row.disabled:
        raise ObjectError(f"no enabled user named {name!r}")
    account = accounts.Account(int(row.id), str(row.name), str(row.role))
    if not account.can(power):
        raise ObjectError(f"{name} ({row.role}) may not {power}")
    if not accounts.is_member(ws, account.id, case_id):
        raise ObjectError(f"{name} is not a member of this case")
    return account


def case_id(ws: Workspace, name: str) -> int:
    with ws.engine.connect() as conn:
        found = conn.scalar(select(Case.id).where(Case.name == name))
    if found is None:
        raise ObjectError(f"no case named {name!r}")
    return int(found)


def _text(value: str, what: str, limit: int) -> str:
    cleaned = " ".join(value.split())
    if not cleaned:
        raise ObjectError(f"{what} is empty")
    if len(cleaned) > limit:
        raise ObjectError(f"{what} is longer than {limit} characters")
    return cleaned


def _validated(draft: Draft) -> tuple[str, str, list[str], list[str]]:
    title = _text(draft.title, "title", MAX_TITLE)
    if draft.category not in CATEGORIES:
        raise ObjectError(f"category must be one of {', '.join(CATEGORIES)}")
    hints = [_text(h, "a hint", MAX_HINT) for h in draft.hints if h.strip()]
    if len(hints) > MAX_HINTS:
        raise ObjectError(f"at most {MAX_HINTS} hints")
    languages = list(dict.fromkeys(code.strip().lower() for code in draft.languages))
    if not languages or not all(LANGUAGE.fullmatch(code) for code in languages):
        raise ObjectError("languages must be ISO 639 codes such as en, fr, de")
    return title, draft.category, hints, languages


def decode(jpeg: bytes) -> crop.RGB:
    with Image.open(io.BytesIO(jpeg)) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def run_checks(ws: Workspace, image: bytes, whole: bytes, sha256: bytes,
               settings: Settings) -> tuple[FaceCheck, AlertCheck]:
    """Faces in, and alert-set matches of, the bytes that would be published."""
    pixels = decode(image)
    return find_faces(pixels), check_alerts(ws, dihedral(pixels), whole, sha256, settings)


def _source(ws: Workspace, sha256: bytes, settings: Settings) -> crop.RGB:
    with ws.engine.connect() as conn:
        media = conn.execute(select(Media.kind, Media.meta).where(Media.sha256 == sha256)).first()
    if media is None or media.kind != "image":
        raise ObjectError("objects are cut from pictures; this media is not one")
    try:
        pixels = media_pixels(ws, sha256, replace(settings, pdq_draft_min_side=0))
    except ReopenError as exc:
        raise ObjectError(f"cannot read the picture again: {exc}") from None
    return crop.upright(pixels, ((media.meta or {}).get("exif") or {}).get("orientation"))


def _append(conn: Connection, who: str, action: str, case: int, target: str,
            details: dict[str, Any]) -> None:
    audit.append_in(conn, who, action, case, target, details)


def commit_audited(ws: Workspace, work: Any) -> Any:
    """Run ``work(conn)`` in a transaction with its audit entry, retrying a lost audit tail."""
    for _ in range(audit.RETRIES):
        try:
            with ws.engine.begin() as conn:
                return work(conn)
        except IntegrityError:
            continue
    raise RuntimeError("audit log busy: could not append after several attempts")


def add_object(ws: Workspace, draft: Draft, user: str, settings: Settings) -> TraceObject:
    """Cut a candidate object out of a case's picture (investigator)."""
    case = case_id(ws, draft.case)
    who = actor(ws, user, "trace", case)
    title, category, hints, languages = _validated(draft)
    if not re.fullmatch(r"[0-9a-f]{64}", draft.media):
        raise ObjectError("media must be a SHA-256 in lower-case hex")
    sha256 = bytes.fromhex(draft.media)
    if not in_case(ws, case, sha256):
        raise ObjectError("no item of this case holds that media")
    try:
        region = crop.parse_region(draft.region)
        polygon = crop.parse_polygon(draft.polygon) if draft.polygon else None
        pixels = _source(ws, sha256, settings)
        image = crop.encode(crop.fit(crop.cut(pixels, region, polygon, draft.fill)))
    except crop.CropError as exc:
        raise ObjectError(str(exc)) from None
    whole = dihedral(pixels)
    faces, alerts = run_checks(ws, image, whole, sha256, settings)
    width, height = Image.open(io.BytesIO(image)).size
    public_id = new_public_id()
    values: dict[str, Any] = {
        "public_id": public_id, "case_id": case, "media_sha256": sha256,
        "region": region.as_list(), "polygon": [list(p) for p in polygon] if polygon else None,
        "fill": draft.fill, "title": title, "category": category, "hints": hints,
        "languages": languages, "state": ObjectState.CANDIDATE.value, "created_by": who.name,
        "created_at": time.time(), "image": image, "image_sha256": hashlib.sha256(image).digest(),
        "width": width, "height": height, "whole_pdq": whole,
        "checks": {"faces": faces.as_dict(), "alerts": alerts.as_dict()}}

    def work(conn: Connection) -> None:
        conn.execute(insert(TraceObject).values(**values))
        _append(conn, who.name, "object-add", case, public_id, {
            "media": draft.media, "region": values["region"], "polygon": values["polygon"],
            "fill": draft.fill, "title": title, "category": category, "hints": hints,
            "languages": languages, "image_sha256": values["image_sha256"].hex(),
            "faces": faces.as_dict(), "alerts": alerts.as_dict()})

    commit_audited(ws, work)
    return get_object(ws, public_id)


def get_object(ws: Workspace, public_id: str) -> TraceObject:
    if not PUBLIC_ID.fullmatch(public_id):
        raise ObjectError(f"no object {public_id[:40]!r}")
    with ws.session() as session:
        found = session.scalar(select(TraceObject).where(TraceObject.public_id == public_id))
    if found is None:
        raise ObjectError(f"no object {public_id!r}")
    return found


def _refuse(ws: Workspace, who: str, action: str, obj: TraceObject, reason: str,
            details: dict[str, Any] | None = None) -> ObjectError:
    audit.append(ws, who, action, obj.case_id, obj.public_id, {"reason": reason, **(details or {})})
    return ObjectError(reason)


def approve(ws: Workspace, public_id: str, user: str, settings: Settings,
            override_faces: bool = False, note: str | None = None) -> TraceObject:
    """Let a candidate be published (approver; never the person who made it).

    The checks run again first. An alert-set match refuses outright; a face found (or no
    detector to look) refuses unless ``override_faces`` with a ``note`` saying why."""
    obj = get_object(ws, public_id)
    who = actor(ws, user, "approve", obj.case_id)
    if who.name == obj.created_by:
        raise _refuse(ws, who.name, "object-approve-refused", obj,
                      "the person who made an object cannot approve it: a second person must")
    if obj.state != ObjectState.CANDIDATE:
        raise ObjectError(f"object {public_id} is {obj.state}, not a candidate")
    faces, alerts = run_checks(ws, obj.image, obj.whole_pdq, obj.media_sha256, settings)
    checks = {**obj.checks, "faces": faces.as_dict(), "alerts": alerts.as_dict()}
    if not alerts.clear:
        raise _refuse(ws, who.name, "object-approve-refused", obj,
                      "the crop or its picture matches an alert hash set: it cannot be "
                      "published", {"alerts": alerts.as_dict()})
    override = None
    if faces.status != "clear":
        reason = faces.note or f"face check: {faces.status}"
        if not override_faces:
            raise _refuse(ws, who.name, "object-approve-refused", obj,
                          f"{reason}; approve with an override and a note if you looked and "
                          "no face is shown", {"faces": faces.as_dict()})
        if not note or not note.strip():
            raise ObjectError("overriding the face check needs a note saying why")
        override = {"by": who.name, "at": time.time(), "note": _text(note, "note", MAX_NOTE),
                    "faces": faces.as_dict()}
        checks["face_override"] = override

    def work(conn: Connection) -> None:
        now = time.time()
        done = conn.execute(update(TraceObject).where(
            TraceObject.id == obj.id, TraceObject.state == ObjectState.CANDIDATE).values(
            state=ObjectState.APPROVED, approved_by=who.name, approved_at=now, checks=checks))
        if done.rowcount != 1:
            raise ObjectError(f"object {public_id} changed meanwhile; look again")
        if override is not None:
            _append(conn, who.name, "object-face-override", obj.case_id, obj.public_id,
                    override)
        _append(conn, who.name, "object-approve", obj.case_id, obj.public_id,
                {"faces": faces.as_dict(), "alerts": alerts.as_dict(),
                 "image_sha256": obj.image_sha256.hex(), "made_by": obj.created_by})

    commit_audited(ws, work)
    return get_object(ws, public_id)


def withdraw(ws: Workspace, public_id: str, user: str, note: str | None = None
             ) -> TraceObject:
    """Take an object off the site and the feed at the next publish (investigator or
    approver of the case)."""
    obj = get_object(ws, public_id)
    try:
        who = actor(ws, user, "trace", obj.case_id)
    except ObjectError:
        who = actor(ws, user, "approve", obj.case_id)
    if obj.state == ObjectState.WITHDRAWN:
        raise ObjectError(f"object {public_id} is already withdrawn")

    def work(conn: Connection) -> None:
        conn.execute(update(TraceObject).where(TraceObject.id == obj.id).values(
            state=ObjectState.WITHDRAWN, withdrawn_by=who.name, withdrawn_at=time.time()))
        _append(conn, who.name, "object-withdraw", obj.case_id, obj.public_id,
                {"was": obj.state, "note": (note or "").strip()[:MAX_NOTE],
                 "published": obj.published_at is not None})

    commit_audited(ws, work)
    return get_object(ws, public_id)


def case_objects(ws: Workspace, case: int) -> list[TraceObject]:
    with ws.session() as session:
        return list(session.scalars(select(TraceObject).where(TraceObject.case_id == case)
                                    .order_by(TraceObject.id)))


def summary(obj: TraceObject) -> dict[str, Any]:
    """What ``objects list --json`` and the web pages say of an object."""
    checks = obj.checks or {}
    return {
        "id": obj.public_id, "state": obj.state, "title": obj.title, "category": obj.category,
        "hints": obj.hints, "languages": obj.languages, "media": obj.media_sha256.hex(),
        "region": obj.region, "polygon": obj.polygon, "fill": obj.fill,
        "width": obj.width, "height": obj.height, "image_sha256": obj.image_sha256.hex(),
        "created_by": obj.created_by, "created_at": obj.created_at,
        "approved_by": obj.approved_by, "approved_at": obj.approved_at,
        "withdrawn_by": obj.withdrawn_by, "withdrawn_at": obj.withdrawn_at,
        "published_at": obj.published_at,
        "faces": (checks.get("faces") or {}).get("status"),
        "face_override": checks.get("face_override"),
        "alerts": (checks.get("alerts") or {}).get("status"),
    }
