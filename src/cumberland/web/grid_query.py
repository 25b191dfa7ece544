"""The review grid's URL: its query arguments to ``Filters`` and back.

The grid, the viewer's next/previous and its "back to the grid" all carry the same arguments,
so a reviewer walks one order with one set of filters wherever they are.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException, Request

from cumberland.analysis.grid import STATUSES, Filters
from cumberland.store.workspace import Workspace
from cumberland.web.security import parse_id

MAX_CATEGORY = 99
MAX_PDQ_DISTANCE = 48
NAMES = ("status", "category", "source", "deleted", "gps", "smin", "smax", "pdq", "desc",
         "share", "ai", "kind", "path", "name", "hash", "camera", "from", "to", "sort",
         "found")


@dataclass(frozen=True, slots=True)
class GridQuery:
    filters: Filters
    args: dict[str, str]  # what the URL said (defaults left out), for links
    share: str  # "mine", "all" or "u<id>"
    pdq_distance: int


def _number(text: str, what: str, limit: int) -> int | None:
    """A non-negative number up to ``limit`` (None when empty); anything else is a 404."""
    if not text:
        return None
    value = parse_id(text) if len(text) <= 10 else None
    if value is None and text.isdigit() and len(text) <= 18:
        value = int(text)
    if value is None or value > limit:
        raise HTTPException(404, f"no such {what}")
    return value


def parse(request: Request, ws: Workspace, user: int, has_share: bool) -> GridQuery:
    """The grid's filters from its query; an id that cannot exist (a source or category that
    is no number, or too large for the database) is a 404 like any unknown id."""
    raw = {k: request.query_params.get(k, "")[:500] for k in NAMES}
    args = {k: v for k, v in raw.items() if v}
    share = raw["share"] or ("mine" if has_share else "all")
    if share not in ("mine", "all") and parse_id(share[1:]) is None:
        raise HTTPException(404, "no such reviewer")
    category = raw["category"]
    if category == "any":
        category = ""
    elif not category:  # the default view: what is still to review
        category = "" if share == "mine" else "none"
    elif category != "none":
        _number(category, "category", MAX_CATEGORY)  # a 404 unless a possible category
    source = _number(raw["source"], "source", 2**31 - 1)
    filters = Filters(
        status=raw["status"] if raw["status"] in STATUSES else "unknown",
        category=category, source=source, deleted=raw["deleted"] == "1",
        gps=raw["gps"] == "1", descending=raw["desc"] == "1",
        size_min=_number(raw["smin"], "size", 2**62),
        size_max=_number(raw["smax"], "size", 2**62),
        todo_for=user if share == "mine" else None,
        assigned_to=int(share[1:]) if share.startswith("u") else None,
        ai_level=raw["ai"], kind=raw["kind"], path_prefix=raw["path"], name=raw["name"],
        hash=raw["hash"], camera=raw["camera"], taken_from=raw["from"], taken_to=raw["to"],
        found_in=raw["found"], sort=raw["sort"] or "priority").cleaned()
    distance = min(MAX_PDQ_DISTANCE, _number(raw["pdq"], "distance", 2**62) or 0)
    return GridQuery(filters, args, share, distance)


def with_args(args: dict[str, str], **changes: str | None) -> dict[str, str]:
    """``args`` with some changed (None removes one)."""
    out = dict(args)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out
