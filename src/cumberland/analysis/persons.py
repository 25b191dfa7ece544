"""Persons of a case: its faces (the ``faces`` signal's rows) clustered by their embeddings,
and faces ranked by likeness to one face, within the case and other cases.

Persons are computed from the stored faces each time (clustering is seeded, so the same
faces give the same persons); faces whose quality is below ``MIN_QUALITY`` are listed
with their picture but never link two others into one person (a blurred profile is the
usual bridge between two strangers). A reviewer's word overrides the clustering: faces a
reviewer named, confirmed, merged or split off (``face_labels``, every change audited) are
grouped by that label; only the others are clustered.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import delete, select, text

from cumberland.analysis.clustering import chinese_whispers
from cumberland.signals.faces import SAME_PERSON, decode
from cumberland.store import audit
from cumberland.store.models import FaceLabel
from cumberland.store.workspace import Workspace

SIGNAL = "faces"
MIN_QUALITY = 0.1


@dataclass(slots=True)
class StoredFace:
    sha256: bytes
    index: int  # the face's position in its media's row
    box: list[float]
    score: float
    quality: float
    embedding: np.ndarray[Any, np.dtype[np.float32]]
    case_id: int = 0
    t: float | None = None  # a video's face: the time of its keyframe (seconds)

    @property
    def ref(self) -> str:
        """How a face is named on the command line and in the web app: <sha256>:<n>."""
        return f"{self.sha256.hex()}:{self.index}"

    def to_dict(self) -> dict[str, Any]:
        out = {"face": self.ref, "sha256": self.sha256.hex(), "index": self.index,
               "box": self.box, "score": self.score, "quality": self.quality}
        # where its crop is cut from: a picture's thumbnail, or a video face's own keyframe
        # (analysis/face_crops.py), never the video's contact sheet
        return ({**out, "crop": "thumbnail"} if self.t is None
                else {**out, "t": self.t, "crop": "keyframe"})


@dataclass(slots=True)
class Person:
    number: int
    faces: list[StoredFace] = field(default_factory=list)
    label: str | None = None  # a reviewer's: a name, or "#<face>" for a face split off
    confirmed: bool = False  # a reviewer confirmed every face of it

    @property
    def media(self) -> list[str]:
        return sorted({f.sha256.hex() for f in self.faces})

    @property
    def name(self) -> str | None:
        return self.label if self.label and not self.label.startswith("#") else None

    def to_dict(self) -> dict[str, Any]:
        return {"person": self.number, "name": self.name, "confirmed": self.confirmed,
                "faces": [f.to_dict() for f in self.faces], "media": self.media}


def case_faces(ws: Workspace, case_ids: list[int]) -> list[StoredFace]:
    """Every stored face of the cases' media (a media in two cases is listed for each)."""
    sql = text(f"SELECT s.media_sha256, s.data FROM signals s WHERE s.name = '{SIGNAL}' "
               "AND s.media_sha256 IN (SELECT media_sha256 FROM items WHERE case_id = :case) "
               "ORDER BY s.media_sha256")
    out: list[StoredFace] = []
    with ws.engine.connect() as conn:
        rows = [(case_id, sha, raw) for case_id in case_ids
                for sha, raw in conn.execute(sql, {"case": case_id}).all()]
    for case_id, sha, raw in rows:
        out += _stored(bytes(sha), raw, int(case_id))
    return out


def media_face(ws: Workspace, case_id: int, ref: str) -> StoredFace:
    """The stored face ``<sha256>:<n>`` of one media of the case (its row alone is read);
    LookupError when the case has no such face."""
    sha = ref.lower().partition(":")[0]
    try:
        digest = bytes.fromhex(sha)
    except ValueError:
        raise LookupError(f"no stored face {ref!r} (faces are named <sha256>:<n>)") from None
    sql = text(f"SELECT s.data FROM signals s WHERE s.name = '{SIGNAL}' "
               "AND s.media_sha256 = :sha AND EXISTS (SELECT 1 FROM items "
               "WHERE media_sha256 = :sha AND case_id = :case)")
    with ws.engine.connect() as conn:
        raw = conn.scalar(sql, {"sha": digest, "case": case_id})
    return find_face(_stored(digest, raw, case_id) if raw is not None else [], ref)


def _stored(sha: bytes, raw: Any, case_id: int) -> list[StoredFace]:
    """The faces of one ``faces`` signal row that have a usable embedding."""
    out = []
    for n, face in enumerate(_json(raw).get("faces") or []):
        try:
            vector = decode(face["embedding"])
        except (KeyError, TypeError, ValueError):
            continue  # a face without a usable embedding is not compared
        t = face.get("t")
        out.append(StoredFace(sha, n, face.get("box", []), float(face.get("score", 0)),
                              float((face.get("quality") or {}).get("overall", 0)), vector,
                              case_id, float(t) if isinstance(t, int | float) else None))
    return out


def face_counts(ws: Workspace, case_id: int) -> dict[str, int]:
    """Pictures with faces, faces and persons of a case (report.json)."""
    found = persons(ws, case_id)
    return {"media": len({f.sha256 for p in found for f in p.faces}),
            "faces": sum(len(p.faces) for p in found), "persons": len(found)}


def _json(raw: Any) -> dict[str, Any]:
    import json

    value = json.loads(raw) if isinstance(raw, str | bytes) else raw
    return value if isinstance(value, dict) else {}


def labels(ws: Workspace, case_id: int) -> dict[str, tuple[str, bool]]:
    """The reviewers' labels of a case's faces: face -> (person, confirmed)."""
    with ws.engine.connect() as conn:
        return {r.face: (r.person, bool(r.confirmed)) for r in conn.execute(
            select(FaceLabel.face, FaceLabel.person, FaceLabel.confirmed)
            .where(FaceLabel.case_id == case_id))}


def persons(ws: Workspace, case_id: int) -> list[Person]:
    """The case's persons, most faces first: faces a reviewer labelled grouped by label,
    the others clustered; faces too poor to cluster stand alone."""
    faces = case_faces(ws, [case_id])
    said = labels(ws, case_id)
    named: dict[str, list[StoredFace]] = defaultdict(list)
    for face in faces:
        if face.ref in said:
            named[said[face.ref][0]].append(face)
    rest = [f for f in faces if f.ref not in said]
    good = [f for f in rest if f.quality >= MIN_QUALITY]
    found = chinese_whispers(np.stack([f.embedding for f in good]), SAME_PERSON) if good else []
    groups: dict[int, list[StoredFace]] = defaultdict(list)
    for face, label in zip(good, found, strict=True):
        groups[label].append(face)
    every: list[tuple[str | None, list[StoredFace]]] = [
        *named.items(), *((None, g) for g in groups.values()),
        *((None, [f]) for f in rest if f.quality < MIN_QUALITY)]
    every.sort(key=lambda lg: (-len(lg[1]), lg[1][0].sha256, lg[1][0].index))
    return [Person(n + 1, group, label,
                   label is not None and all(said[f.ref][1] for f in group))
            for n, (label, group) in enumerate(every)]


class LabelError(ValueError):
    """A person or face the case does not have, or an empty name (one line)."""


def _person(ws: Workspace, case_id: int, number: int) -> Person:
    found = next((p for p in persons(ws, case_id) if p.number == number), None)
    if found is None:
        raise LabelError(f"no person {number} in this case")
    return found


def _set(ws: Workspace, case_id: int, faces: list[str], person: str, confirmed: bool,
         actor: str, action: str, details: dict[str, Any]) -> None:
    """Label ``faces`` and record it in the audit log, in one transaction."""
    with ws.engine.begin() as conn:
        conn.execute(delete(FaceLabel).where(FaceLabel.case_id == case_id,
                                             FaceLabel.face.in_(faces)))
        conn.execute(FaceLabel.__table__.insert(), [  # type: ignore[attr-defined]
            {"case_id": case_id, "face": f, "person": person, "confirmed": confirmed,
             "actor": actor} for f in faces])
        audit.append_in(conn, actor, action, case_id, person, {**details, "faces": faces})


def name_person(ws: Workspace, case_id: int, number: int, name: str, actor: str) -> None:
    """Give person ``number`` a name (its faces keep whether they were confirmed)."""
    name = " ".join(name.split())[:200]
    if not name or name.startswith("#"):
        raise LabelError("a person's name cannot be empty or start with '#'")
    person = _person(ws, case_id, number)
    _set(ws, case_id, [f.ref for f in person.faces], name, person.confirmed, actor,
         "person-name", {"was": person.label})


def confirm_person(ws: Workspace, case_id: int, number: int, actor: str) -> None:
    """A reviewer looked at every face of person ``number`` and says they are one person."""
    person = _person(ws, case_id, number)
    label = person.label or f"#{person.faces[0].ref}"
    _set(ws, case_id, [f.ref for f in person.faces], label, True, actor, "person-confirm", {})


def merge_persons(ws: Workspace, case_id: int, number: int, into: int, actor: str) -> None:
    """Person ``number``'s faces become person ``into``'s (its label, unconfirmed)."""
    if number == into:
        raise LabelError("a person cannot be merged into itself")
    source, target = _person(ws, case_id, number), _person(ws, case_id, into)
    label = target.label or f"#{target.faces[0].ref}"
    if target.label is None:  # the target keeps its faces together from now on
        _set(ws, case_id, [f.ref for f in target.faces], label, False, actor,
             "person-label", {})
    _set(ws, case_id, [f.ref for f in source.faces], label, False, actor, "person-merge",
         {"from": source.label})


def split_face(ws: Workspace, case_id: int, face: str, actor: str) -> None:
    """One face taken out of its person: a person of its own from now on."""
    if face not in {f.ref for f in case_faces(ws, [case_id])}:
        raise LabelError(f"no face {face} in this case")
    _set(ws, case_id, [face], f"#{face}", True, actor, "person-split", {})


def find_face(faces: list[StoredFace], ref: str) -> StoredFace:
    """The face named ``<sha256>:<n>``; LookupError when no stored face has that name."""
    for face in faces:
        if face.ref == ref.lower():
            return face
    raise LookupError(f"no stored face {ref!r} (faces are named <sha256>:<n>)")


def similar(ws: Workspace, ref: str, case_id: int, other_cases: list[int],
            limit: int = 50) -> list[tuple[StoredFace, float]]:
    """Faces of ``case_id`` and ``other_cases`` nearest the face ``ref`` of ``case_id``,
    with their distances (below 0.6: taken for the same person), nearest first."""
    query = find_face(case_faces(ws, [case_id]), ref)
    pool = [f for f in case_faces(ws, sorted({case_id, *other_cases}))
            if (f.sha256, f.index, f.case_id) != (query.sha256, query.index, query.case_id)]
    if not pool:
        return []
    distances = np.linalg.norm(np.stack([f.embedding for f in pool]) - query.embedding, axis=1)
    order = np.argsort(distances, kind="stable")[:limit]
    return [(pool[i], float(distances[i])) for i in order]
