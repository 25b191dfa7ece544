"""A case's artefact categories counted (report.json, report.html): how many items, and how
many unique media, were found in each kind of place."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Connection, func, literal, select
from sqlalchemy import case as when

from cumberland.sources.artefacts.catalogue import SEPARATOR, CatalogueError, catalogue, split
from cumberland.store.models import Item


def in_category(stored: Any, name: str) -> ColumnElement[bool]:
    """SQL: the stored categories (``a,b,c``) include ``name``."""
    wrapped: ColumnElement[str] = literal(SEPARATOR) + stored + literal(SEPARATOR)
    return wrapped.contains(f"{SEPARATOR}{name}{SEPARATOR}", autoescape=True)


def category_counts(conn: Connection, case: int) -> dict[str, dict[str, int]]:
    """``{"items": {category: n}, "media": {category: n}}``, categories in name order; an
    item in two categories counts in both."""
    items: dict[str, int] = {}
    for stored, n in conn.execute(
            select(Item.artefacts, func.count()).where(
                Item.case_id == case, Item.artefacts.is_not(None)).group_by(Item.artefacts)):
        for name in split(stored):
            items[name] = items.get(name, 0) + int(n)
    names = sorted(items)
    media: dict[str, int] = {}
    if names:  # one pass: a distinct count per category
        row = conn.execute(select(*(
            func.count(when((in_category(Item.artefacts, n), Item.media_sha256)).distinct())
            for n in names)).where(Item.case_id == case, Item.artefacts.is_not(None))).one()
        media = {n: int(v) for n, v in zip(names, row, strict=True)}
    return {"items": dict(sorted(items.items())), "media": media}


def catalogue_facts(extra: str | None) -> dict[str, Any]:
    """The catalogue a run used, as the report names it (its agency file may have moved)."""
    try:
        return catalogue(extra).describe() | {"file": extra}
    except CatalogueError as exc:
        return catalogue().describe() | {"file": extra, "note": str(exc)}
