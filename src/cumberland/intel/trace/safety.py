"""The checks an object passes before anyone outside the case sees it.

Faces: the crop must show none. The detector is the victim-identification one (issue 15);
:func:`find_faces` is the one place it is called. While no detector is installed the check
*fails closed*: it answers ``unavailable`` and an object can only be approved when an approver
overrides it, which is logged with their note.

Alert sets: neither the published crop nor the whole picture it was cut from may match an
alert hash set by PDQ (the 8 rotations and mirrors of each, within the matching radius), nor
may the picture have matched one at triage. A picture that circulates is the one a reverse
image search could find from a piece of it; there is no override for this check.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from cumberland.index.pdq import as_codes
from cumberland.matching.library import FORMAT as LIBRARY_FORMAT
from cumberland.matching.pdq_lists import entry_owners, synced_pdq_index
from cumberland.records import Purpose
from cumberland.settings import Settings
from cumberland.signals.pdq import HASH_SIDE, hamming, pdq_dihedral_from_rgb, shrink
from cumberland.store.models import HashEntry, HashSet, Match
from cumberland.store.workspace import Workspace

RGB = NDArray[np.uint8]
Detector = Callable[[RGB], Sequence[Any]]

NO_DETECTOR = ("no face detector is installed in this Cumberland (it comes with the "
               "victim-identification signals): the crop was not checked for faces, so it can "
               "only be approved by an approver who looked at it and overrides the check")


@dataclass(frozen=True, slots=True)
class FaceCheck:
    """``clear``: no face found; ``faces``: ``count`` found; ``unavailable``: not checked."""

    status: str
    count: int = 0
    note: str = ""
    detector: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"status": self.status, "count": self.count, "note": self.note,
                "detector": self.detector}


FACES_MODULE = "cumberland.signals.faces"
# Stricter than the faces signal's defaults: here a missed face costs more than a refusal.
FACE_MIN_SCORE = 0.5
FACE_MIN_SIZE = 8


def _detector() -> tuple[str, Detector] | None:
    """The face detector and its name, or None while none is installed.

    Looked up by name so this module stands while the victim-identification signals are not
    part of the install (or not yet on this branch)."""
    try:
        faces = importlib.import_module(FACES_MODULE)
    except ImportError:
        return None
    detect_faces = faces.detect_faces

    def detect(pixels: RGB) -> Sequence[Any]:
        return list(detect_faces(pixels, min_size=FACE_MIN_SIZE,
                                 min_score=FACE_MIN_SCORE).faces)

    return FACES_MODULE, detect


def find_faces(pixels: RGB) -> FaceCheck:
    """Faces in the crop, by the one detector Cumberland has (fails closed without it, or
    when it cannot run: a model file missing or not the one recorded)."""
    found = _detector()
    if found is None:
        return FaceCheck("unavailable", note=NO_DETECTOR)
    name, detect = found
    try:
        boxes = list(detect(np.ascontiguousarray(pixels)))
    except Exception as exc:  # any failure of the detector fails closed
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return FaceCheck("unavailable", note=f"the face detector could not run: {reason}",
                         detector=name)
    if boxes:
        return FaceCheck("faces", len(boxes), f"{len(boxes)} face(s) found in the crop", name)
    return FaceCheck("clear", detector=name)


def dihedral(pixels: RGB) -> bytes:
    """The 8 PDQ hashes of a picture's rotations and mirrors, concatenated (256 bytes)."""
    hashes, _quality = pdq_dihedral_from_rgb(shrink(pixels, HASH_SIDE))
    return b"".join(hashes)


def split(hashes: bytes) -> list[bytes]:
    return [hashes[i:i + 32] for i in range(0, len(hashes), 32)]


@dataclass(frozen=True, slots=True)
class AlertCheck:
    """Alert-set hits of the crop and of the whole picture (empty: clear)."""

    hits: list[dict[str, Any]] = field(default_factory=list)

    @property
    def clear(self) -> bool:
        return not self.hits

    def as_dict(self) -> dict[str, Any]:
        return {"status": "clear" if self.clear else "match", "hits": self.hits}


def _alert_sets(ws: Workspace) -> dict[int, str]:
    with ws.engine.connect() as conn:
        return {int(r.id): str(r.name) for r in conn.execute(
            select(HashSet.id, HashSet.name).where(HashSet.purpose == Purpose.ALERT))}


def _list_hits(ws: Workspace, queries: dict[str, list[bytes]], sets: dict[int, str],
               settings: Settings) -> list[dict[str, Any]]:
    """Hits of the hash lists' PDQ index, kept when their set is an alert set."""
    names = [(what, h) for what, hashes in queries.items() for h in hashes]
    with synced_pdq_index(ws) as index:
        found = index.search(as_codes([h for _, h in names]), settings.pdq_max_distance) \
            if len(index) else []
    with ws.engine.connect() as conn:
        owners = entry_owners(conn, sorted({hit.ref for hit in found}), settings.pdq_min_quality)
    best: dict[tuple[str, int], int] = {}
    for hit in found:
        owner = owners.get(hit.ref)
        if owner is None or owner[0] not in sets:
            continue
        key = (names[hit.query][0], owner[0])
        best[key] = min(best.get(key, 256), hit.distance)
    return [{"of": of, "set": sets[s], "via": "pdq", "distance": d}
            for (of, s), d in sorted(best.items())]


def _library_hits(ws: Workspace, queries: dict[str, list[bytes]], sets: dict[int, str],
                  settings: Settings) -> list[dict[str, Any]]:
    """Reference libraries (alert purpose) keep their PDQ outside the lists' index."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(HashEntry.hashset_id, HashEntry.pdq)
                            .join(HashSet, HashSet.id == HashEntry.hashset_id)
                            .where(HashSet.format == LIBRARY_FORMAT,
                                   HashSet.purpose == Purpose.ALERT,
                                   HashEntry.pdq.is_not(None))).all()
    best: dict[tuple[str, int], int] = {}
    for of, hashes in queries.items():
        for set_id, pdq in rows:
            distance = min(hamming(bytes(pdq or b""), h) for h in hashes)
            if distance <= settings.pdq_max_distance:
                key = (of, int(set_id))
                best[key] = min(best.get(key, 256), distance)
    return [{"of": of, "set": sets.get(s, str(s)), "via": "library", "distance": d}
            for (of, s), d in sorted(best.items())]


def _triage_hits(ws: Workspace, sha256: bytes, sets: dict[int, str]) -> list[dict[str, Any]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Match.hashset_id, Match.method, Match.distance)
                            .where(Match.media_sha256 == sha256)).all()
    return sorted(({"of": "picture", "set": sets[r.hashset_id], "via": str(r.method),
                    "distance": r.distance} for r in rows if r.hashset_id in sets),
                  key=lambda h: (h["set"], h["via"]))


def check_alerts(ws: Workspace, crop: bytes, whole: bytes, sha256: bytes,
                 settings: Settings) -> AlertCheck:
    """``crop``/``whole``: dihedral hashes (:func:`dihedral`) of the crop and the picture."""
    sets = _alert_sets(ws)
    if not sets:
        return AlertCheck()
    queries = {"crop": split(crop), "picture": split(whole)}
    hits = [*_list_hits(ws, queries, sets, settings), *_library_hits(ws, queries, sets, settings),
            *_triage_hits(ws, sha256, sets)]
    return AlertCheck(hits)
