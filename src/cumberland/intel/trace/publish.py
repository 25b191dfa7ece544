"""Publishing: the approved objects of some cases that still pass their checks, as a site.

Alert sets may have grown since an object was approved, and a face detector may have been
installed: every object is checked again here, on its published bytes, and one that fails is
held back (named, with the reason, on the command line and in the audit log) while the
others are published. A withdrawn object is simply not among them, so the swap of the folder
removes its pages, picture and feed entry.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select, update

from cumberland.intel.trace.objects import (
    ObjectError,
    ObjectState,
    actor,
    case_id,
    run_checks,
)
from cumberland.intel.trace.site import FEED, POW_BITS, PublicObject, render_site, write_site
from cumberland.settings import Settings
from cumberland.store import audit
from cumberland.store.trace_models import TraceObject
from cumberland.store.workspace import Workspace


@dataclass(frozen=True, slots=True)
class Published:
    out: Path
    objects: list[str]  # public ids, in site order
    held: list[tuple[str, str]]  # (public id, why)
    feed_sha256: str


def _why_held(ws: Workspace, obj: TraceObject, settings: Settings) -> str | None:
    faces, alerts = run_checks(ws, obj.image, obj.whole_pdq, obj.media_sha256, settings)
    if not alerts.clear:
        return "matches an alert hash set now"
    if faces.status != "clear" and not (obj.checks or {}).get("face_override"):
        return faces.note or f"face check: {faces.status}"
    return None


def _public(obj: TraceObject) -> PublicObject:
    approved = datetime.fromtimestamp(obj.approved_at or 0, UTC).strftime("%Y-%m-%d")
    return PublicObject(obj.public_id, obj.title, obj.category, tuple(obj.hints),
                        tuple(obj.languages), obj.image, obj.width, obj.height, approved)


def publish(ws: Workspace, cases: list[str], out: Path, tips_url: str, user: str | None,
            settings: Settings, pow_bits: int = POW_BITS) -> Published:
    """Write the site of the cases' approved objects to ``out`` (newest approval first)."""
    ids = [case_id(ws, name) for name in dict.fromkeys(cases)]
    if not ids:
        raise ObjectError("name at least one case")
    who = "cli"
    if user is not None:
        for case in ids:
            try:
                who = actor(ws, user, "approve", case).name
            except ObjectError:
                who = actor(ws, user, "trace", case).name
    with ws.session() as session:
        approved = list(session.scalars(select(TraceObject).where(
            TraceObject.case_id.in_(ids), TraceObject.state == ObjectState.APPROVED)
            .order_by(TraceObject.approved_at.desc(), TraceObject.public_id)))
    chosen: list[TraceObject] = []
    held: list[tuple[str, str]] = []
    for obj in approved:
        why = _why_held(ws, obj, settings)
        if why is None:
            chosen.append(obj)
        else:
            held.append((obj.public_id, why))
    files = render_site([_public(o) for o in chosen], tips_url, pow_bits)
    write_site(files, out)
    digest = hashlib.sha256(files[FEED]).hexdigest()
    now = time.time()
    with ws.engine.begin() as conn:
        conn.execute(update(TraceObject).where(
            TraceObject.id.in_([o.id for o in chosen]), TraceObject.published_at.is_(None))
            .values(published_at=now))
    for case in ids:
        audit.append(ws, who, "objects-publish", case, str(out.absolute()), {
            "objects": [o.public_id for o in chosen if o.case_id == case],
            "held": [{"id": i, "why": w} for i, w in held
                     if any(o.public_id == i and o.case_id == case for o in approved)],
            "feed_sha256": digest, "tips_url": tips_url, "pow_bits": pow_bits})
    return Published(out, [o.public_id for o in chosen], held, digest)
