"""A case's numbers, computed in one place: report.json and report.html, the PDF, the web
dashboard and ``case list --json`` all show these, so two screens of a case never differ.

Counts are of *media* (the unique contents of the case's items), except ``items`` and
``files_seen``, which count items. One definition of each:

- **alert**: a media matching at least one alert set, by any method.
- **known-good**: a media matching a known-good (``ignore``) set and no alert set; an alert
  match always wins, so a known-good list never hides an alert.
- **unknown**: an *image or video* matching neither: the material review is for, which may
  show a child still to be found. Media of other kinds matching nothing (documents,
  archives, text, empty files) are ``other``, never unknown: they are not pictures to
  review, and what archives and disk images hold is counted as media of its own.
- **AI levels**: over the case's images, the only kind provenance assesses. An image without
  a level (it did not decode, or was ingested before provenance ran) is ``not assessed``,
  which is not ``none`` (assessed, no AI evidence found).
- **stacks**: duplicate stacks (analysis/stacks.py).

``alert + known_good + unknown + other == unique_media``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, and_, case, exists, func, select

from cumberland.analysis.stacks import stack_counts
from cumberland.records import ItemStatus, MediaKind, Purpose
from cumberland.store.models import HashSet, Item, Match, Media
from cumberland.store.workspace import Workspace

UNKNOWN_KINDS = (MediaKind.IMAGE, MediaKind.VIDEO)
NOT_ASSESSED = "not assessed"
FINAL_STATUSES = (ItemStatus.DONE, ItemStatus.SKIPPED, ItemStatus.ERROR, ItemStatus.ENCRYPTED)


@dataclass(frozen=True, slots=True)
class CaseFacts:
    files_seen: int
    items: dict[str, int]  # by status: the four final ones always, others when present
    unique_media: int
    by_kind: dict[str, int]
    alert: int
    known_good: int
    unknown: int
    other: int
    ai_levels: dict[str, int]
    stacks: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _matched(purpose: Purpose, sha: Any) -> Any:
    return exists().where(Match.media_sha256 == sha, HashSet.id == Match.hashset_id,
                          HashSet.purpose == purpose)


def _media_classes(conn: Connection, case_id: int) -> dict[str, int]:
    in_case = select(Item.media_sha256).where(Item.case_id == case_id,
                                             Item.media_sha256.is_not(None)).distinct()
    alert = _matched(Purpose.ALERT, Media.sha256)
    known = _matched(Purpose.IGNORE, Media.sha256)
    klass = case(
        (alert, "alert"),
        (known, "known_good"),
        (Media.kind.in_(UNKNOWN_KINDS), "unknown"),
        else_="other",
    )
    rows = conn.execute(select(klass, func.count()).where(Media.sha256.in_(in_case))
                        .group_by(klass)).all()
    return {str(k): int(n) for k, n in rows}


def case_facts(ws: Workspace, case_id: int) -> CaseFacts:
    """Every number above for one case, with set-based queries."""
    with ws.engine.connect() as conn:
        by_status = {str(s): int(n) for s, n in conn.execute(
            select(Item.status, func.count()).where(Item.case_id == case_id)
            .group_by(Item.status))}
        items = {s.value: by_status.pop(s, 0) for s in FINAL_STATUSES} | dict(
            sorted(by_status.items()))
        in_case = select(Item.media_sha256).where(Item.case_id == case_id,
                                                 Item.media_sha256.is_not(None)).distinct()
        by_kind = {str(k): int(n) for k, n in conn.execute(
            select(Media.kind, func.count()).where(Media.sha256.in_(in_case))
            .group_by(Media.kind).order_by(Media.kind))}
        classes = _media_classes(conn, case_id)
        level = func.coalesce(Media.ai_level, NOT_ASSESSED)
        ai_levels = {str(k): int(n) for k, n in conn.execute(
            select(level, func.count()).where(and_(Media.sha256.in_(in_case),
                                                   Media.kind == MediaKind.IMAGE))
            .group_by(level).order_by(level))}
    return CaseFacts(
        files_seen=sum(items.values()), items=items, unique_media=sum(by_kind.values()),
        by_kind=by_kind, alert=classes.get("alert", 0),
        known_good=classes.get("known_good", 0), unknown=classes.get("unknown", 0),
        other=classes.get("other", 0), ai_levels=ai_levels,
        stacks=stack_counts(ws, case_id))
