"""The case summary behind report.json and report.html, computed with set-based queries."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Connection, func, select

from cumberland import __version__
from cumberland.analysis.stacks import stack_counts
from cumberland.store.hashset_import import set_facts
from cumberland.store.models import Case, HashEntry, HashSet, Item, Match, Media, Run, Source
from cumberland.store.workspace import Workspace

STATUSES = ("done", "skipped", "error", "encrypted")
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
    with ws.engine.connect() as conn:
        name = conn.scalar(select(Case.name).where(Case.id == case))
        by_status = dict(conn.execute(
            select(Item.status, func.count()).where(Item.case_id == case).group_by(Item.status)
        ).all())
        items = {s: int(by_status.pop(s, 0)) for s in STATUSES}
        items.update({s: int(n) for s, n in by_status.items()})
        media = select(Media).where(Media.sha256.in_(_case_media(case))).subquery()
        by_type: dict[str, int] = dict(conn.execute(
            select(media.c.mime, func.count()).group_by(media.c.mime).order_by(media.c.mime)
        ).all())
        by_kind: dict[str, int] = dict(conn.execute(
            select(media.c.kind, func.count()).group_by(media.c.kind).order_by(media.c.kind)
        ).all())
        ai_levels: dict[str, int] = {
            level or "not assessed": int(n) for level, n in conn.execute(
                select(media.c.ai_level, func.count()).where(media.c.kind == "image")
                .group_by(media.c.ai_level).order_by(media.c.ai_level))
        }
        unknown = _count(conn, select(media.c.sha256).where(
            media.c.kind.in_(("image", "video")),
            media.c.sha256.not_in(_matched_media(case, None)),
        ))
        known_good = _count(conn, _matched_media(case, "ignore"))
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
    return {
        "generator": f"Cumberland {__version__}",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "case": name,
        "sources": sources,
        "settings": run.settings if run else {},
        "files_seen": sum(items.values()),
        "items": items,
        "unique_media": sum(by_type.values()),
        "by_type": by_type,
        "by_kind": by_kind,
        "extension_mismatches": mismatches,
        "ai_levels": ai_levels,
        "known_good": known_good,
        "known_good_items": known_good_items,
        "unknown_media": unknown,
        "matched_media": len({m["sha256"] for m in matches}),
        "matches": matches,
        "problems": problems,
        "encrypted": encrypted,
        "hashsets": sets,
        "stacks": stack_counts(ws, case),
    }
