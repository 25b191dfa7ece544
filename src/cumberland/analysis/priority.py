"""Review priority that reasons: where a media was found and what it is, not EXIF alone.

Reviewers' time goes first where a new victim is most likely. The first rule stays: material
no hash set knows, then matched material, then known-good (tiers ``TIER`` apart, never
crossed). Within a tier a media starts at ``BASE`` and each fact about it moves it by its
weight (``Settings.priority``, documented in docs/artefacts.md): evidence of origin (camera
EXIF or maker notes, a camera roll or messaging app's folder, a user's folders, full size)
and of deletion (deleted or recovered, a recycle bin, a thumbnail cache) bring it forward,
and so does a face matching an agency's face library of known victims (new material of a
known child: the quickest safeguarding) or, less, of known offenders (a lead on who made
it);
signs of being generated, and icons or UI graphics (tiny, with alpha or in system and
program folders) send it back. Thumbnails a thumbnail cache holds are never icons: they
stand for pictures the user had and may have deleted. Lower numbers are reviewed first.

Every queue entry keeps the codes of the facts that placed it (``REASONS`` says them in
words), so the grid shows why a media is where it is. ``rank`` is the rule; ``rank_sql``
is the same rule over SQL expressions, so a million media are ranked by the database in
one statement (``analysis/review.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, and_, case, func, literal, not_, or_

from cumberland.settings import PriorityWeights

UNKNOWN, MATCHED, KNOWN_GOOD = 0, 1000, 2000
TIER = 1000
BASE = 500  # where a media with no reason either way sits within its tier

# Catalogue categories (sources/artefacts/catalogue.toml) that say something about origin.
ORIGIN_CATEGORIES = ("camera-roll", "messaging")
USER_CATEGORIES = ("pictures", "documents", "downloads", "screenshots", "cloud-sync")
DELETED_CATEGORIES = ("recycle-bin", "thumbnail-cache")
CACHE_CATEGORY = "thumbnail-cache"
SYSTEM_CATEGORIES = ("system", "program")
ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa", "La")
AI_LEVELS = {"weak": "ai_weak", "strong": "ai_strong", "declared-ai": "ai_declared"}
# Face-library kinds (analysis/face_library.LibraryKind) whose matches move a media; an
# ``unspecified`` library's matches are shown but move nothing.
FACE_KINDS = {"victims": "known_victim", "offenders": "known_offender"}


@dataclass(frozen=True, slots=True)
class Factor:
    """One fact that moves a media: ``name`` is its weight in ``PriorityWeights`` and its
    code in the reasons; ``sign`` -1 brings forward, +1 sends back."""

    name: str
    sign: int
    text: str


FACTORS = (
    Factor("series", -1, "in a series of unknown camera-original material"),
    Factor("known_victim", -1, "a face matches a known victim (face library)"),
    Factor("known_offender", -1, "a face matches a known offender (face library)"),
    Factor("camera", -1, "camera EXIF or maker notes"),
    Factor("origin_folder", -1, "in a camera roll or a messaging app's media"),
    Factor("user_folder", -1, "in the user's folders"),
    Factor("full_size", -1, "full size"),
    Factor("deleted", -1, "deleted, in a recycle bin or a thumbnail cache"),
    Factor("ai_weak", +1, "weak signs of AI generation"),
    Factor("ai_strong", +1, "strong signs of AI generation"),
    Factor("ai_declared", +1, "declared AI-generated"),
    Factor("system_folder", +1, "only in system or program folders"),
    Factor("icon", +1, "an icon or UI graphic"),
)
TIERS = {"unknown": UNKNOWN, "matched": MATCHED, "known-good": KNOWN_GOOD}
REASONS = {"unknown": "unknown to every hash set", "matched": "matched a hash set",
           "known-good": "known good", **{f.name: f.text for f in FACTORS}}
SEPARATOR = ","
DEFAULTS = PriorityWeights()


@dataclass(frozen=True, slots=True)
class Facts:
    """What the queue knows of one media, over all its items in the case."""

    tier: str = "unknown"
    series: bool = False
    known_victim: bool = False
    known_offender: bool = False
    camera: bool = False
    origin_folder: bool = False
    user_folder: bool = False
    full_size: bool = False
    deleted: bool = False
    ai_weak: bool = False
    ai_strong: bool = False
    ai_declared: bool = False
    system_folder: bool = False
    icon: bool = False


def describe(*, matched: bool = False, known_good: bool = False, camera: bool = False,
             ai_level: str | None = None, categories: frozenset[str] = frozenset(),
             every_copy_in_system: bool = False, long_side: int | None = None,
             alpha: bool = False, deleted: bool = False, series: bool = False,
             face_kinds: frozenset[str] = frozenset(),
             weights: PriorityWeights = DEFAULTS) -> Facts:
    """The facts of a media from what its items and decode say (``categories``: those of
    any of its items; ``every_copy_in_system``: each item is in a system or program
    folder; ``face_kinds``: the kinds of the face libraries its faces matched). The SQL
    twin is ``facts_sql``."""
    cache = CACHE_CATEGORY in categories
    system = every_copy_in_system and not cache
    tiny = long_side is not None and long_side <= weights.icon_max_px
    ai = AI_LEVELS.get(ai_level or "")
    return Facts(
        tier="matched" if matched else "known-good" if known_good else "unknown",
        series=series,
        **{name: kind in face_kinds for kind, name in FACE_KINDS.items()},
        camera=camera or ai_level == "camera-metadata",
        origin_folder=bool(categories & set(ORIGIN_CATEGORIES)),
        user_folder=bool(categories & set(USER_CATEGORIES)),
        full_size=long_side is not None and long_side >= weights.full_size_px,
        deleted=deleted or bool(categories & set(DELETED_CATEGORIES)),
        ai_weak=ai == "ai_weak", ai_strong=ai == "ai_strong", ai_declared=ai == "ai_declared",
        system_folder=system, icon=tiny and (alpha or system) and not cache)


def rank(facts: Facts, weights: PriorityWeights = DEFAULTS) -> tuple[int, str]:
    """The priority and the reasons (codes, comma-separated) of a media."""
    score = BASE + sum(f.sign * getattr(weights, f.name) for f in FACTORS
                       if getattr(facts, f.name))
    reasons = [facts.tier, *(f.name for f in FACTORS if getattr(facts, f.name))]
    return TIERS[facts.tier] + min(max(score, 0), TIER - 1), SEPARATOR.join(reasons)


def explain(reasons: str | None) -> list[str]:
    """Stored reason codes in words, for the grid and the viewer."""
    return [REASONS.get(code, code) for code in (reasons or "").split(SEPARATOR) if code]


def weights_from(recorded: dict[str, Any] | None) -> PriorityWeights:
    """The weights a run recorded (``Settings.to_dict``), defaults for any it lacks."""
    known = {f.name for f in fields(PriorityWeights)}
    given = {k: int(v) for k, v in (recorded or {}).items() if k in known}
    return PriorityWeights(**given)


# --- the SQL twin ---------------------------------------------------------------------------


def in_categories(artefacts: Any, names: tuple[str, ...]) -> ColumnElement[bool]:
    """Whether a stored category list (sorted, comma-separated) holds any of ``names``."""
    wrapped = literal(",", String).concat(func.coalesce(artefacts, "")).concat(",")
    return or_(*(wrapped.like(f"%,{name},%") for name in names))


def camera_sql(meta: Any, ai_level: Any) -> ColumnElement[bool]:
    """Camera make, model or maker notes in the EXIF (the JSON ``meta`` column), or
    provenance saying camera metadata."""
    make = func.coalesce(meta[("exif", "make")].as_string(), "")
    model = func.coalesce(meta[("exif", "model")].as_string(), "")
    notes = meta[("exif", "maker_note_present")].as_boolean()
    return or_(make != "", model != "", notes.is_(True), ai_level == "camera-metadata")


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """Per media, aggregates over its items (1 when any item, or every item, says so)."""

    origin: Any
    user: Any
    deleted: Any
    cache: Any
    system: Any  # every item


def item_aggregates(artefacts: Any, deleted: Any, deleted_at: Any) -> dict[str, Any]:
    """Columns to add to a GROUP BY over a media's items: the ``ItemFacts`` fields."""
    def flag(condition: ColumnElement[bool]) -> Any:
        return case((condition, 1), else_=0)

    return {
        "origin": func.max(flag(in_categories(artefacts, ORIGIN_CATEGORIES))),
        "user": func.max(flag(in_categories(artefacts, USER_CATEGORIES))),
        "deleted": func.max(flag(or_(deleted.is_(True), deleted_at.is_not(None),
                                     in_categories(artefacts, DELETED_CATEGORIES)))),
        "cache": func.max(flag(in_categories(artefacts, (CACHE_CATEGORY,)))),
        "system": func.min(flag(in_categories(artefacts, SYSTEM_CATEGORIES))),
    }


def facts_sql(matched: ColumnElement[bool], known_good: ColumnElement[bool], items: ItemFacts,
              media: Any, weights: PriorityWeights,
              series: ColumnElement[bool] | None = None,
              face_kind: Callable[[str], ColumnElement[bool]] | None = None) -> dict[str, Any]:
    """SQL twin of :func:`describe`: the tier and each factor's condition, over the media
    table ``media`` and the item aggregates (``series``: the media is in a prime series;
    ``face_kind(kind)``: a face of it matched a face library of that kind)."""
    long_side = case((media.width >= media.height, media.width), else_=media.height)
    alpha = func.coalesce(media.meta["mode"].as_string(), "").in_(ALPHA_MODES)
    cache = items.cache == 1
    system = and_(items.system == 1, not_(cache))
    tiny = long_side <= weights.icon_max_px
    return {
        "tier": case((matched, MATCHED), (known_good, KNOWN_GOOD), else_=UNKNOWN),
        "series": series if series is not None else literal(False),
        **{name: face_kind(kind) if face_kind is not None else literal(False)
           for kind, name in FACE_KINDS.items()},
        "camera": camera_sql(media.meta, media.ai_level),
        "origin_folder": items.origin == 1,
        "user_folder": items.user == 1,
        "full_size": long_side >= weights.full_size_px,
        "deleted": items.deleted == 1,
        **{name: and_(media.ai_level.is_not(None), media.ai_level == level)
           for level, name in AI_LEVELS.items()},
        "system_folder": system,
        "icon": and_(tiny, or_(alpha, system), not_(cache)),
    }


def rank_sql(facts: dict[str, Any], weights: PriorityWeights
             ) -> tuple[ColumnElement[int], ColumnElement[str]]:
    """SQL twin of :func:`rank`: the priority and the reasons of each row."""
    score: Any = literal(BASE)
    for f in FACTORS:
        score = score + case((facts[f.name], f.sign * getattr(weights, f.name)), else_=0)
    bounded = case((score < 0, 0), (score > TIER - 1, TIER - 1), else_=score)
    tier_code = case(*((facts["tier"] == value, literal(code)) for code, value in TIERS.items()))
    reasons: Any = tier_code
    for f in FACTORS:
        reasons = reasons.concat(case((facts[f.name], literal(SEPARATOR + f.name)),
                                      else_=literal("")))
    return (facts["tier"] + bounded).cast(Integer), reasons
