"""What follows fingerprints, in triage and after enrichment: matches, stacks and the review
queue, brought up to date with the media's current signals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cumberland.analysis.face_library import match_case_faces
from cumberland.analysis.review import refresh_queue
from cumberland.analysis.series import build_series
from cumberland.analysis.stacks import build_stacks
from cumberland.matching.case import MATCHED_SIGNALS, forget_perceptual, match_case
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace


def analyse(ws: Workspace, case: int, settings: Settings, libraries: Sequence[str] | None,
            changed: Mapping[bytes, Sequence[str]]) -> None:
    """Match (media whose perceptual hashes were recomputed in ``changed`` from scratch),
    faces against the face libraries, then stacks and the review queue."""
    forget_perceptual(ws, sorted(sha for sha, names in changed.items()
                                 if MATCHED_SIGNALS.intersection(names)))
    match_case(ws, case, settings, libraries)
    match_case_faces(ws, case, settings)
    build_stacks(ws, case, settings)
    build_series(ws, case)  # after stacks (a link) and before the queue (a priority)
    refresh_queue(ws, case)  # the review grid opens on this run's priorities
