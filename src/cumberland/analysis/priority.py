"""Review priority: unknown first, camera originals before other pictures, non-AI before AI.

Reviewers' time goes first where a new victim is most likely: material no hash set knows,
that came out of a camera (EXIF make/model) and shows no sign of being generated. Lower
numbers are reviewed first. ``priority`` is the rule; ``priority_sql`` is the same rule as a
SQL expression so a million media are ranked by the database in one statement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, case, func, literal, or_

#: tiers, far apart so that lesser criteria never cross them
UNKNOWN, MATCHED, KNOWN_GOOD = 0, 100, 200
NOT_CAMERA = 10
#: penalty by the provenance level (signals/provenance/model.py LEVELS)
AI_PENALTY = {"weak": 3, "strong": 6, "declared-ai": 9}


def is_camera_original(meta: dict[str, Any] | None, ai_level: str | None = None) -> bool:
    """Camera make or model in the EXIF, or provenance saying camera metadata."""
    exif = (meta or {}).get("exif") or {}
    return bool(exif.get("make") or exif.get("model")) or ai_level == "camera-metadata"


def priority(matched: bool, known_good: bool, camera: bool, ai_level: str | None) -> int:
    tier = MATCHED if matched else KNOWN_GOOD if known_good else UNKNOWN
    return tier + (0 if camera else NOT_CAMERA) + AI_PENALTY.get(ai_level or "", 0)


def camera_sql(meta: Any, ai_level: Any) -> ColumnElement[bool]:
    """SQL twin of :func:`is_camera_original` over the JSON ``meta`` column."""
    make = func.coalesce(meta[("exif", "make")].as_string(), "")
    model = func.coalesce(meta[("exif", "model")].as_string(), "")
    return or_(make != "", model != "", ai_level == "camera-metadata")


def priority_sql(matched: ColumnElement[bool], known_good: ColumnElement[bool],
                 camera: ColumnElement[bool], ai_level: Any) -> ColumnElement[int]:
    """SQL twin of :func:`priority`."""
    tier = case((matched, MATCHED), (known_good, KNOWN_GOOD), else_=UNKNOWN)
    not_camera = case((camera, 0), else_=NOT_CAMERA)
    penalty = case(*((and_(ai_level.is_not(None), ai_level == level), literal(points))
                     for level, points in AI_PENALTY.items()), else_=0)
    return (tier + not_camera + penalty).cast(Integer)
