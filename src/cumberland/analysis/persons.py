"""Persons of a case: its faces (the ``faces`` signal's rows) clustered by their embeddings,
and faces ranked by likeness to one face, within the case and other cases.

Persons are computed from the stored faces each time (clustering is seeded, so the same
faces give the same persons); faces whose quality is below ``MIN_QUALITY`` are listed
with their picture but never link two others into one person (a blurred profile is the
usual bridge between two strangers).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy import text

from cumberland.analysis.clustering import chinese_whispers
from cumberland.signals.faces import SAME_PERSON, decode
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

    @property
    def ref(self) -> str:
        """How a face is named on the command line and in the web app: <sha256>:<n>."""
        return f"{self.sha256.hex()}:{self.index}"

    def to_dict(self) -> dict[str, Any]:
        return {"face": self.ref, "sha256": self.sha256.hex(), "index": self.index,
                "box": self.box, "score": self.score, "quality": self.quality}


@dataclass(slots=True)
class Person:
    number: int
    faces: list[StoredFace] = field(default_factory=list)

    @property
    def media(self) -> list[str]:
        return sorted({f.sha256.hex() for f in self.faces})

    def to_dict(self) -> dict[str, Any]:
        return {"person": self.number, "faces": [f.to_dict() for f in self.faces],
                "media": self.media}


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
        data = _json(raw)
        for n, face in enumerate(data.get("faces") or []):
            try:
                vector = decode(face["embedding"])
            except (KeyError, TypeError, ValueError):
                continue  # a face without a usable embedding is not compared
            out.append(StoredFace(bytes(sha), n, face.get("box", []), float(face.get("score", 0)),
                                  float((face.get("quality") or {}).get("overall", 0)), vector,
                                  int(case_id)))
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


def persons(ws: Workspace, case_id: int) -> list[Person]:
    """The case's persons, most faces first; faces too poor to cluster stand alone."""
    faces = case_faces(ws, [case_id])
    good = [f for f in faces if f.quality >= MIN_QUALITY]
    labels = chinese_whispers(np.stack([f.embedding for f in good]), SAME_PERSON) if good else []
    groups: dict[int, list[StoredFace]] = defaultdict(list)
    for face, label in zip(good, labels, strict=True):
        groups[label].append(face)
    poor = [[f] for f in faces if f.quality < MIN_QUALITY]
    ordered = sorted([*groups.values(), *poor], key=lambda g: (-len(g), g[0].sha256, g[0].index))
    return [Person(n + 1, group) for n, group in enumerate(ordered)]


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
            if not (f.sha256 == query.sha256 and f.index == query.index)]
    if not pool:
        return []
    distances = np.linalg.norm(np.stack([f.embedding for f in pool]) - query.embedding, axis=1)
    order = np.argsort(distances, kind="stable")[:limit]
    return [(pool[i], float(distances[i])) for i in order]
