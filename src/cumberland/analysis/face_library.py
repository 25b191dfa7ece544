"""An agency's face library: its gallery of known victims and offenders, matched at triage.

``cumberland faces library add FOLDER_OR_CSV --name NAME`` loads it the way ``library
add`` loads reference images: each picture of a folder goes through the ``faces`` signal
exactly as at triage (the same decode, EXIF orientation, detector and dlib embedding) and
its largest face is kept, labelled by the file's name or its folder's (``--label-from``).
A library says whose faces it holds (``--kind``: ``victims``, ``offenders`` or
``unspecified``): a media with a face matching a victims' or an offenders' library moves
forward in the review queue (analysis/priority.py, docs/artefacts.md), an unspecified
library's matches are shown and move nothing.
A CSV brings precomputed embeddings instead (columns ``label`` and ``embedding``: 128
numbers separated by spaces, or Cumberland's base64 form); they must come from the same
model (dlib's ResNet face model v1), which nothing in the numbers can prove.

What is stored, per known face (``face_library_faces``): the label, the 128-number
embedding, its quality, and its origin (the file's path under the folder and its SHA-256,
so adding the folder again reads only new files; or the CSV's row). A library holds a face
once: a face whose embedding it holds already (the same CSV added again, a picture copied
under another name) is counted as already there, not stored twice, so re-adding a gallery
neither grows the library nor doubles its matches. The gallery's pictures are read once and
never kept: no copy, crop or thumbnail of them is written.

Matching (``match_case_faces``, at every triage and ``enrich``): every face of the case's media
against every known face (faiss, exact L2), kept when at most
``Settings.face_library_distance`` (0.5) apart. Not dlib's 0.6: that is a one-to-one
operating point (two given faces, same person or not); a library search is one-to-many,
each case face compared with every known face, so the chance of a stranger falling within
the distance grows with the library, and an alert on a known victim must be worth a
reviewer's time. The transformed copies of the test faces lie at 0.06-0.25 from their
gallery copy and other faces at 0.79 or more (tests/vision/test_face_library.py). A match is
a lead for a reviewer, never an identification. Matches are kept per media and rebuilt
whole for the case's media each time, so faces recomputed are reflected by the next
``enrich`` without recomputing any signal. Adding faces to a library matches them at once
with the faces the workspace's cases hold already, and the media they match are ranked again
in their review queues; removing a library, or changing its kind, ranks again the media its
faces matched: each in the transaction of its audit entry (the priority follows what the
facts pages show, from the moment the command returns).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import faiss
import numpy as np
from sqlalchemy import Connection, delete, func, insert, select

from cumberland.analysis.persons import StoredFace, case_faces
from cumberland.analysis.priority import explain
from cumberland.analysis.review import requeue
from cumberland.errors import one_line
from cumberland.matching.library import files_under
from cumberland.settings import Settings
from cumberland.signals import models, registry
from cumberland.signals.faces import EMBEDDING_DIM, FacesFound, decode
from cumberland.signals.faces import SIGNAL as FACES
from cumberland.store import audit
from cumberland.store.models import (
    Case,
    FaceLibrary,
    FaceLibraryFace,
    FaceLibraryMatch,
    Item,
    ReviewEntry,
)
from cumberland.store.sql import IN_CHUNK
from cumberland.store.workspace import Workspace, transaction_lock

MODEL = models.DLIB_RESNET.name
CSV_LIMIT = 50 * 1024 * 1024  # a CSV of embeddings is ~1.3 KB a face: 40,000 faces
_ADD_LOCK = 0x4641_4345_4C49_4200  # "FACELIB": face-library adds, one at a time


class FaceLibraryError(ValueError):
    """A face library that cannot be loaded, found or removed (one line)."""


class LibraryKind(StrEnum):
    """Whose faces a library holds; the review queue's ``known_victim`` and
    ``known_offender`` facts follow it (analysis/priority.FACE_KINDS)."""

    VICTIMS = "victims"
    OFFENDERS = "offenders"
    UNSPECIFIED = "unspecified"


class LabelFrom(StrEnum):
    FILENAME = "filename"  # victim-017.jpg -> victim-017
    FOLDER = "folder"  # Jane Doe/1.jpg -> Jane Doe


@dataclass(slots=True)
class AddOutcome:
    name: str
    added: int = 0
    already: int = 0
    matched: int = 0  # case faces matched with the faces added
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class LibraryMatch:
    """A case face within the library distance of a known face."""

    sha256: bytes
    face_index: int
    library: str
    label: str
    distance: float
    kind: str = LibraryKind.UNSPECIFIED.value

    @property
    def face(self) -> str:
        return f"{self.sha256.hex()}:{self.face_index}"

    def to_dict(self) -> dict[str, Any]:
        return {"face": self.face, "library": self.library, "kind": self.kind,
                "label": self.label, "distance": round(self.distance, 4)}


def _label(path: Path, folder: Path, label_from: LabelFrom) -> str:
    if label_from is LabelFrom.FOLDER:
        parent = path.parent.relative_to(folder)
        return str(parent) if parent.parts else folder.name
    return path.stem


def _clean(label: str) -> str:
    return " ".join(label.split())[:200]


def _library(conn: Connection, name: str, source: Path, kind: LibraryKind | None
             ) -> tuple[int, str, str]:
    """The library's id, its kind before and its kind now (``kind`` None keeps it), in
    ``conn``'s transaction (created on first use)."""
    now = time.time()
    found = conn.execute(select(FaceLibrary.id, FaceLibrary.kind)
                         .where(FaceLibrary.name == name)).first()
    if found is not None:
        if kind is not None and kind.value != found.kind:
            conn.execute(FaceLibrary.__table__.update()  # type: ignore[attr-defined]
                         .where(FaceLibrary.id == found.id).values(kind=kind.value))
        return int(found.id), found.kind, kind.value if kind is not None else found.kind
    made = (kind or LibraryKind.UNSPECIFIED).value
    return int(conn.execute(insert(FaceLibrary).values(
        name=name, source=str(source), model=MODEL, kind=made, created_at=now,
        updated_at=now).returning(FaceLibrary.id)).scalar_one()), made, made


def _embedding(text: str) -> np.ndarray[Any, np.dtype[np.float32]]:
    """128 numbers separated by spaces, commas or semicolons, or Cumberland's base64."""
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if len(parts) == 1:
        return decode(parts[0])
    if len(parts) != EMBEDDING_DIM:
        raise ValueError(f"an embedding has {EMBEDDING_DIM} numbers, not {len(parts)}")
    vector = np.asarray([float(p) for p in parts], np.float32)
    if not np.isfinite(vector).all():
        raise ValueError("an embedding holds a number that is not finite")
    return vector


def _from_csv(path: Path) -> Iterator[tuple[str, str, str]]:
    """(origin, label, embedding as written) per row."""
    if path.stat().st_size > CSV_LIMIT:
        raise FaceLibraryError(f"{path}: over {CSV_LIMIT // (1024 * 1024)} MiB: not a "
                               "CSV of embeddings")
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text))
    fields = {(f or "").strip().lower() for f in reader.fieldnames or []}
    if not {"label", "embedding"} <= fields:
        raise FaceLibraryError(f"{path}: a CSV of embeddings needs the columns label and "
                               "embedding")
    for row in reader:
        values = {(k or "").strip().lower(): (v or "") for k, v in row.items()
                  if isinstance(v, str)}
        yield f"{path.name} row {reader.line_num}", values["label"], values["embedding"]


def add_face_library(ws: Workspace, source: Path, name: str,
                     label_from: LabelFrom = LabelFrom.FILENAME,
                     settings: Settings | None = None, actor: str = "cli",
                     kind: LibraryKind | None = None) -> AddOutcome:
    """Load the faces of ``source`` (a folder of pictures or a CSV of embeddings) into face
    library ``name``, created on first use (of ``kind``, unspecified when None; a ``kind``
    given for an existing library replaces its kind). A face the library already holds (the
    same picture, or the same embedding) is counted, not stored again. The faces already
    found in the workspace's cases are matched with the new ones and the media matching the
    library ranked again in their review queues, in the transaction that stores the faces
    and records who added what from where and of which kind in the audit log."""
    settings = settings or Settings()
    name = _clean(name)
    if not name:
        raise FaceLibraryError("a face library needs a name")
    if not source.exists():
        raise FaceLibraryError(f"{source}: no such folder or file")
    if source.is_dir():
        models.check(models.FACE_MODELS)  # a damaged model: one line, before any picture
    outcome = AddOutcome(name)
    with ws.engine.connect() as conn:  # pictures already read need no second decode
        stored = conn.execute(select(FaceLibraryFace.origin_sha256, FaceLibraryFace.embedding)
                              .join(FaceLibrary, FaceLibrary.id == FaceLibraryFace.library_id)
                              .where(FaceLibrary.name == name)).all()
    known = {bytes(r[0]) for r in stored if r[0] is not None}
    rows: list[dict[str, Any]] = []
    if source.is_dir():
        for path in files_under(source):
            try:
                row = _from_picture(path, source, label_from, known, settings, outcome)
            except Exception as exc:  # unreadable or hostile gallery file: note it, go on
                outcome.problems.append(f"{path}: {one_line(exc)}")
                continue
            if row is not None:
                rows.append(row)
    else:
        for origin, label, raw in _from_csv(source):
            try:
                vector = _embedding(raw)
            except (ValueError, TypeError) as exc:  # the row's own fault, said plainly
                outcome.problems.append(f"{origin}: {str(exc).splitlines()[0]}")
                continue
            if not _clean(label):
                outcome.problems.append(f"{origin}: no label")
                continue
            rows.append({"label": _clean(label), "origin": origin, "origin_sha256": None,
                         "quality": None, "embedding": np.asarray(vector, "<f4").tobytes()})
    held = {bytes(r[1]) for r in stored}  # nothing new: no case face to read
    faces = case_faces(ws, _case_ids(ws)) if {r["embedding"] for r in rows} - held else []
    with ws.engine.begin() as conn:
        transaction_lock(conn, _ADD_LOCK)  # two adds at once: neither stores a face twice
        library, was, kind_now = _library(conn, name, source, kind)
        rows = _not_held(conn, library, rows, outcome)
        touched = _match_new(conn, library, rows, faces, settings, outcome)
        conn.execute(FaceLibrary.__table__.update()  # type: ignore[attr-defined]
                     .where(FaceLibrary.id == library).values(updated_at=time.time()))
        details = {"origin": str(source.resolve()), "kind": kind_now, "added": len(rows),
                   "already": outcome.already, "notes": len(outcome.problems),
                   "matched": outcome.matched}
        audit.append_in(conn, actor, "face-library-add", None, name,
                        details if was == kind_now else {**details, "kind_was": was})
        # the queue follows at once: every match of the library moves otherwise when its
        # kind changed, the new matches' media when it did not
        _requeue(conn, _matched_media(conn, library) if was != kind_now else touched)
    outcome.added = len(rows)
    return outcome


def _case_ids(ws: Workspace) -> list[int]:
    with ws.engine.connect() as conn:
        return [int(c) for c in conn.scalars(select(Case.id).order_by(Case.id))]


def _not_held(conn: Connection, library: int, rows: list[dict[str, Any]],
              outcome: AddOutcome) -> list[dict[str, Any]]:
    """``rows`` less the faces the library holds already or that came before in ``rows``
    (the same embedding: a CSV read again, a picture copied under another name), counted in
    ``outcome.already``; read in the transaction that stores them."""
    held = {bytes(e): label for e, label in conn.execute(
        select(FaceLibraryFace.embedding, FaceLibraryFace.label)
        .where(FaceLibraryFace.library_id == library))}
    new: list[dict[str, Any]] = []
    for row in rows:
        label = held.get(row["embedding"])
        if label is None:
            held[row["embedding"]] = row["label"]
            new.append(row)
            continue
        outcome.already += 1
        if label != row["label"]:
            outcome.problems.append(f"{row['origin']}: the same face is in the library "
                                    f"already, as {label!r}")
    return new


def _match_new(conn: Connection, library: int, rows: list[dict[str, Any]],
               faces: list[StoredFace], settings: Settings, outcome: AddOutcome
               ) -> dict[int, set[bytes]]:
    """Store ``rows`` in the library and their matches with the cases' ``faces``; per case,
    the media a new match touched."""
    touched: dict[int, set[bytes]] = defaultdict(set)
    if not rows:
        return touched
    ids = [int(i) for i in conn.scalars(
        insert(FaceLibraryFace).returning(FaceLibraryFace.id, sort_by_parameter_order=True),
        [{**r, "library_id": library} for r in rows])]
    vectors = np.stack([np.frombuffer(r["embedding"], "<f4") for r in rows])
    matches: dict[tuple[bytes, int, int], float] = {}
    for face, j, distance in _within(faces, vectors, settings.face_library_distance):
        matches[(face.sha256, face.index, ids[j])] = distance  # a media in two cases: once
        touched[face.case_id].add(face.sha256)
    if matches:
        conn.execute(insert(FaceLibraryMatch), [
            {"media_sha256": sha, "face_index": index, "library_face_id": known,
             "distance": distance} for (sha, index, known), distance in matches.items()])
    outcome.matched = len(matches)
    return touched


def _within(faces: list[StoredFace], known: np.ndarray[Any, np.dtype[np.float32]],
            radius: float) -> Iterator[tuple[StoredFace, int, float]]:
    """(case face, row of ``known``, distance) for each pair at most ``radius`` apart
    (faiss, exact L2)."""
    if not faces or not len(known):
        return
    index = faiss.IndexFlatL2(EMBEDDING_DIM)
    index.add(np.ascontiguousarray(known, np.float32))
    query = np.ascontiguousarray(np.stack([f.embedding for f in faces]), np.float32)
    lims, dist2, labels = index.range_search(query, radius * radius)
    for i, face in enumerate(faces):
        for j in range(int(lims[i]), int(lims[i + 1])):
            yield face, int(labels[j]), float(np.sqrt(max(float(dist2[j]), 0.0)))


def _from_picture(path: Path, folder: Path, label_from: LabelFrom, known: set[bytes],
                  settings: Settings, outcome: AddOutcome) -> dict[str, Any] | None:
    data = path.read_bytes()
    digest = hashlib.sha256(data).digest()
    if digest in known:
        outcome.already += 1
        return None
    out = registry.describe(data, settings, [FACES.name]).get(FACES.name)
    if out is None or not isinstance(out.value, FacesFound):
        error = (out.data or {}).get("error") if out is not None else None
        outcome.problems.append(f"{path}: {error or 'no face found (or not a picture)'}")
        return None
    found: FacesFound = out.value
    face = found.faces[0]  # the largest
    if face.embedding is None:
        outcome.problems.append(f"{path}: the face could not be described")
        return None
    if len(found.faces) > 1:
        outcome.problems.append(f"{path}: {len(found.faces)} faces, the largest was kept")
    known.add(digest)
    return {"label": _clean(_label(path, folder, label_from)) or path.name,
            "origin": str(path.relative_to(folder)), "origin_sha256": digest,
            "quality": face.quality.get("overall"),
            "embedding": np.asarray(face.embedding, "<f4").tobytes()}


def list_face_libraries(ws: Workspace) -> list[dict[str, Any]]:
    """Every face library with its face and label counts."""
    with ws.engine.connect() as conn:
        rows = conn.execute(
            select(FaceLibrary.name, FaceLibrary.source, FaceLibrary.model,
                   FaceLibrary.created_at, FaceLibrary.updated_at,
                   func.count(FaceLibraryFace.id), func.count(FaceLibraryFace.label.distinct()),
                   FaceLibrary.kind)
            .outerjoin(FaceLibraryFace, FaceLibraryFace.library_id == FaceLibrary.id)
            .group_by(FaceLibrary.id).order_by(FaceLibrary.name)).all()
    return [{"name": r[0], "kind": r[7], "source": r[1], "model": r[2], "created_at": r[3],
             "updated_at": r[4], "faces": int(r[5]), "labels": int(r[6])} for r in rows]


def _matched_media(conn: Connection, library: int) -> dict[int, set[bytes]]:
    """Per case, its media with a face matched to one of the library's faces."""
    faces = select(FaceLibraryFace.id).where(FaceLibraryFace.library_id == library)
    media = select(FaceLibraryMatch.media_sha256).where(
        FaceLibraryMatch.library_face_id.in_(faces))
    out: dict[int, set[bytes]] = defaultdict(set)
    for case, sha in conn.execute(select(Item.case_id, Item.media_sha256)
                                  .where(Item.media_sha256.in_(media)).distinct()):
        if sha is not None:
            out[int(case)].add(bytes(sha))
    return out


def _requeue(conn: Connection, media: dict[int, set[bytes]]) -> None:
    """Rank those media again in their cases' review queues, in ``conn``'s transaction."""
    for case, shas in sorted(media.items()):
        requeue(conn, case, shas)


def remove_face_library(ws: Workspace, name: str, actor: str = "cli") -> int:
    """Remove a face library, its faces and every match of them (recorded in the audit log in
    the same transaction); its face count."""
    with ws.engine.begin() as conn:
        found = conn.execute(select(FaceLibrary.id, FaceLibrary.source)
                             .where(FaceLibrary.name == name)).first()
        if found is None:
            raise FaceLibraryError(f"no face library named {name!r}")
        library = found.id
        matched = _matched_media(conn, library)
        faces = select(FaceLibraryFace.id).where(FaceLibraryFace.library_id == library)
        count = len(conn.execute(faces).all())
        conn.execute(delete(FaceLibraryMatch).where(FaceLibraryMatch.library_face_id.in_(faces)))
        conn.execute(delete(FaceLibraryFace).where(FaceLibraryFace.library_id == library))
        conn.execute(delete(FaceLibrary).where(FaceLibrary.id == library))
        audit.append_in(conn, actor, "face-library-remove", None, name,
                        {"origin": found.source, "faces": count})
        _requeue(conn, matched)  # the queue follows at once, in the same transaction
    return count


def _known(ws: Workspace) -> tuple[list[int], np.ndarray[Any, np.dtype[np.float32]]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(FaceLibraryFace.id, FaceLibraryFace.embedding)
                            .order_by(FaceLibraryFace.id)).all()
    vectors = [np.frombuffer(bytes(r.embedding), "<f4") for r in rows]
    keep = [i for i, v in enumerate(vectors) if v.shape == (EMBEDDING_DIM,)]
    stacked = (np.stack([vectors[i] for i in keep]).astype(np.float32) if keep
               else np.zeros((0, EMBEDDING_DIM), np.float32))
    return [int(rows[i].id) for i in keep], stacked


def match_case_faces(ws: Workspace, case: int, settings: Settings) -> int:
    """Compare every face of the case's media with every known face; the case media's
    library matches are replaced by what holds now. Returns the number of matches. Costs
    one query when no face library is loaded."""
    with ws.engine.connect() as conn:
        if not conn.scalar(select(func.count()).select_from(FaceLibraryFace)):
            if conn.scalar(select(func.count()).select_from(FaceLibraryMatch)):
                _replace(ws, case, [])  # every library removed: no match can remain
            return 0
    ids, known = _known(ws)
    rows = [{"media_sha256": face.sha256, "face_index": face.index,
             "library_face_id": ids[j], "distance": distance}
            for face, j, distance in _within(case_faces(ws, [case]), known,
                                             settings.face_library_distance)]
    _replace(ws, case, rows)
    return len(rows)


def _replace(ws: Workspace, case: int, rows: list[dict[str, Any]]) -> None:
    with ws.engine.connect() as conn:
        media = [bytes(s) for s in conn.scalars(select(Item.media_sha256).where(
            Item.case_id == case, Item.media_sha256.is_not(None)).distinct()) if s is not None]
    with ws.engine.begin() as conn:
        for lo in range(0, len(media), IN_CHUNK):
            conn.execute(delete(FaceLibraryMatch).where(
                FaceLibraryMatch.media_sha256.in_(media[lo:lo + IN_CHUNK])))
        if rows:
            conn.execute(insert(FaceLibraryMatch), rows)


def case_matches(ws: Workspace, case: int, media: bytes | None = None) -> list[LibraryMatch]:
    """The library matches of a case's faces (of one media of it: ``media``), nearest first
    per face."""
    sql = (select(FaceLibraryMatch.media_sha256, FaceLibraryMatch.face_index,
                  FaceLibrary.name, FaceLibraryFace.label, FaceLibraryMatch.distance,
                  FaceLibrary.kind)
           .join(FaceLibraryFace, FaceLibraryFace.id == FaceLibraryMatch.library_face_id)
           .join(FaceLibrary, FaceLibrary.id == FaceLibraryFace.library_id)
           .where(FaceLibraryMatch.media_sha256.in_(
               select(Item.media_sha256).where(Item.case_id == case)))
           .order_by(FaceLibraryMatch.media_sha256, FaceLibraryMatch.face_index,
                     FaceLibraryMatch.distance))
    if media is not None:
        sql = sql.where(FaceLibraryMatch.media_sha256 == media)
    with ws.engine.connect() as conn:
        return [LibraryMatch(bytes(r[0]), int(r[1]), r[2], r[3], float(r[4]), r[5])
                for r in conn.execute(sql)]


def by_face(matches: list[LibraryMatch]) -> dict[str, list[LibraryMatch]]:
    """Matches grouped by the case face (``<sha256>:<n>``)."""
    out: dict[str, list[LibraryMatch]] = defaultdict(list)
    for m in matches:
        out[m.face].append(m)
    return dict(out)


def case_report(ws: Workspace, case: int) -> dict[str, Any]:
    """report.json's ``face_library``: the libraries loaded (name and kind), and per media
    of the case with a match its first path, its place in the review queue with the reasons
    (``priority``, ``reasons`` in words), and each matched face's library, kind, label and
    distance."""
    matches = case_matches(ws, case)
    shas = sorted({m.sha256 for m in matches})
    with ws.engine.connect() as conn:
        paths: dict[bytes, str] = {}
        queued: dict[bytes, tuple[int, str]] = {}
        for lo in range(0, len(shas), IN_CHUNK):
            chunk = shas[lo:lo + IN_CHUNK]
            for sha, path in conn.execute(
                    select(Item.media_sha256, func.min(Item.path))
                    .where(Item.case_id == case, Item.media_sha256.in_(chunk))
                    .group_by(Item.media_sha256)):
                if sha is not None:
                    paths[bytes(sha)] = path
            for sha, priority, reasons in conn.execute(
                    select(ReviewEntry.media_sha256, ReviewEntry.priority, ReviewEntry.reasons)
                    .where(ReviewEntry.case_id == case, ReviewEntry.media_sha256.in_(chunk))):
                queued[bytes(sha)] = (int(priority), reasons)
    per_media: dict[bytes, list[dict[str, Any]]] = defaultdict(list)
    for m in matches:
        per_media[m.sha256].append(m.to_dict())
    libraries = list_face_libraries(ws)
    return {"libraries": [lib["name"] for lib in libraries],
            "kinds": {lib["name"]: lib["kind"] for lib in libraries},
            "media": [{"sha256": sha.hex(), "path": paths.get(sha),
                       "priority": queued[sha][0] if sha in queued else None,
                       "reasons": explain(queued[sha][1]) if sha in queued else [],
                       "faces": per_media[sha]} for sha in shas]}
