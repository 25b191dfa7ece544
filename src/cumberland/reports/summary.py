"""The case summary behind report.json and report.html, computed with set-based queries."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, func, select

from cumberland import __version__
from cumberland.analysis.artefacts import catalogue_facts, category_counts
from cumberland.analysis.deleted import deleted_pictures, deletions
from cumberland.analysis.face_library import case_report as face_library_report
from cumberland.analysis.facts import case_facts
from cumberland.analysis.persons import face_counts
from cumberland.analysis.places import GAZETTEER, case_places
from cumberland.analysis.series import case_elsewhere, case_series
from cumberland.analysis.text_search import case_text
from cumberland.store.hashset_import import set_facts
from cumberland.store.models import Case, HashEntry, HashSet, Item, Match, Media, Run, Source
from cumberland.store.workspace import Workspace

PROBLEM_LIMIT = 10_000


def _case_media(case: int):  # type: ignore[no-untyped-def]
    return select(Item.media_sha256).where(
        Item.case_id == case, Item.media_sha256.is_not(None)
    ).distinct()


def _matched_media(case: int, purpose: str | None):  # type: ignore[no-untyped-def]
    query = select(Match.media_sha256).where(Match.media_sha256.in_(_case_media(case))).distinct()
    if purpose is not None:
        query = query.join(HashSet, HashSet.id == Match.hashset_id).where(
            HashSet.purpose == purpose)
    return query


def _count(conn: Connection, query: Any) -> int:
    return int(conn.scalar(select(func.count()).select_from(query.subquery())) or 0)


def alert_matches(conn: Connection, case: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(Item.path, Item.media_sha256, HashSet.name, HashSet.category_scheme, Match.method,
               Match.distance, Match.category, Match.evidence, HashEntry.name.label("entry"))
        .join(Match, Match.media_sha256 == Item.media_sha256)
        .join(HashSet, HashSet.id == Match.hashset_id)
        .outerjoin(HashEntry, HashEntry.id == Match.entry_id)
        .where(Item.case_id == case, HashSet.purpose == "alert")
        .order_by(Item.path, HashSet.name, Match.method)
    ).all()
    return [
        {"path": r.path, "sha256": r.media_sha256.hex(), "hashset": r.name, "method": r.method,
         "distance": r.distance, "category": r.category, "category_scheme": r.category_scheme,
         "evidence": r.evidence or {}, "known_name": r.entry}
        for r in rows
    ]


def case_summary(ws: Workspace, case: int) -> dict[str, Any]:
    """report.json: the case's facts (analysis/facts.py, what every surface shows) and the
    lists behind them."""
    facts = case_facts(ws, case)
    with ws.engine.connect() as conn:
        name = conn.scalar(select(Case.name).where(Case.id == case))
        media = select(Media).where(Media.sha256.in_(_case_media(case))).subquery()
        by_type: dict[str, int] = dict(conn.execute(
            select(media.c.mime, func.count()).group_by(media.c.mime).order_by(media.c.mime)
        ).all())
        known_good_items = _count(conn, select(Item.id).where(
            Item.case_id == case, Item.media_sha256.in_(_matched_media(case, "ignore"))))
        matches = alert_matches(conn, case)
        problems = [
            {"path": r.path, "status": r.status, "reason": r.reason}
            for r in conn.execute(
                select(Item.path, Item.status, Item.reason)
                .where(Item.case_id == case, Item.status != "done")
                .order_by(Item.path).limit(PROBLEM_LIMIT)
            )
        ]
        encrypted = [  # investigators ask for these passwords
            {"path": r.path, "reason": r.reason}
            for r in conn.execute(select(Item.path, Item.reason).where(
                Item.case_id == case, Item.status == "encrypted").order_by(Item.path)
                .limit(PROBLEM_LIMIT))
        ]
        mismatches = int(conn.scalar(select(func.count()).select_from(Item).where(
            Item.case_id == case, Item.ext_mismatch.is_(True))) or 0)
        sets = [set_facts(s) for s in conn.execute(select(HashSet).order_by(HashSet.name))]
        sources = [r.uri for r in conn.execute(
            select(Source.uri).where(Source.case_id == case).order_by(Source.id))]
        run = conn.execute(select(Run.settings).where(Run.case_id == case)
                           .order_by(Run.id.desc()).limit(1)).first()
        artefacts = {"catalogue": catalogue_facts((run.settings or {}).get("catalogue")
                                                  if run else None),
                     **category_counts(conn, case)}
        deleted_count, deleted_list = deleted_pictures(conn, case, PROBLEM_LIMIT)
        recycle = {"records": sum(1 for _ in deletions(conn, case)),
                   "deleted_pictures": deleted_count, "pictures": deleted_list}
        text_media, text_list = case_text(conn, case, PROBLEM_LIMIT)
    return {
        "generator": f"Cumberland {__version__}",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "case": name,
        "sources": sources,
        "settings": run.settings if run else {},
        "files_seen": facts.files_seen,
        "items": facts.items,
        "unique_media": facts.unique_media,
        "by_type": by_type,
        "by_kind": facts.by_kind,
        "extension_mismatches": mismatches,
        "ai_levels": facts.ai_levels,
        "known_good": facts.known_good,
        "known_good_items": known_good_items,
        "unknown_media": facts.unknown,
        "other_media": facts.other,
        "matched_media": facts.alert,
        "matches": matches,
        "problems": problems,
        "encrypted": encrypted,
        "hashsets": sets,
        "stacks": facts.stacks,
        "series": case_series(ws, case),  # candidate series, links and reasons per link
        "also_in": case_elsewhere(ws, case),  # media seen in other cases, in a series or not
        "places": [p.as_json() for p in case_places(ws, case)],  # GPS grouped, named offline
        "artefacts": artefacts,  # categories by where items were found (docs/artefacts.md)
        "recycle_bins": recycle,  # what recycle bins say was deleted
        "text": {"media": text_media, "pictures": text_list},  # read by OCR, with boxes
        "faces": face_counts(ws, case),  # persons: `cumberland faces`, the web app
        "face_library": face_library_report(ws, case),  # faces of known persons, per media
        "gazetteer": GAZETTEER,  # what names the places (offline)
    }
