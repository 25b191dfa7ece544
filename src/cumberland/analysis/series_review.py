"""A reviewer's word on a case's series: confirm, name, split and merge them.

Series are computed (analysis/series.py) and renumbered at every rebuild, so a decision is
kept per media (``series_labels``): the label of the series a reviewer put it in (a name, or
``#<sha256>`` of its first member for one not named) and whether that series was confirmed.
Every rebuild groups labelled media by their label and links only the others, so what a
reviewer said survives ``triage`` and ``enrich`` of the case. Each change is one audit entry
in the same transaction as the series regrouped from their stored links (no matching again)
and the review queue's ranks of the media whose series' priority changed (the next page of
the queue reads them).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, insert

from cumberland.analysis.review import prime_members, requeue
from cumberland.analysis.series import case_series, labels, regroup
from cumberland.store import audit
from cumberland.store.models import SeriesLabel
from cumberland.store.workspace import Workspace


class LabelError(ValueError):
    """A series or member the case does not have, or a name that cannot be used (one line)."""


def _series(ws: Workspace, case: int, number: int) -> dict[str, Any]:
    found = next((s for s in case_series(ws, case) if s["series"] == number), None)
    if found is None:
        raise LabelError(f"no series {number} in this case")
    return found


def _label(ws: Workspace, case: int, series: dict[str, Any]) -> str | None:
    said = labels(ws, case)
    return next((said[m][0] for m in map(bytes.fromhex, series["members"]) if m in said), None)


def _set(ws: Workspace, case: int, members: list[str], label: str, confirmed: bool,
         actor: str, action: str, details: dict[str, Any]) -> str:
    """Label ``members`` (hex), record it in the audit log, regroup the series and rank
    again in the review queue the media whose series' priority changed, in one transaction.
    Returns the label."""
    shas = [bytes.fromhex(m) for m in members]
    with ws.engine.begin() as conn:
        before = prime_members(conn, case)
        conn.execute(delete(SeriesLabel).where(SeriesLabel.case_id == case,
                                               SeriesLabel.media_sha256.in_(shas)))
        conn.execute(insert(SeriesLabel), [
            {"case_id": case, "media_sha256": s, "label": label, "confirmed": confirmed,
             "actor": actor} for s in shas])
        audit.append_in(conn, actor, action, case, label, {**details, "members": members})
        regroup(ws, case, conn)
        requeue(conn, case, before ^ prime_members(conn, case))
    return label


def number_of(ws: Workspace, case: int, label: str) -> int | None:
    """The series' number now of the media labelled ``label`` (None: fewer than two)."""
    said = labels(ws, case)
    mine = {s.hex() for s, (lab, _) in said.items() if lab == label}
    return next((s["series"] for s in case_series(ws, case) if mine & set(s["members"])),
                None)


def confirm(ws: Workspace, case: int, number: int, actor: str) -> str:
    """A reviewer looked at every member of series ``number``: one series."""
    series = _series(ws, case, number)
    label = _label(ws, case, series) or f"#{series['members'][0]}"
    return _set(ws, case, series["members"], label, True, actor, "series-confirm",
                {"series": number})


def name(ws: Workspace, case: int, number: int, text: str, actor: str) -> str:
    """Give series ``number`` a name (whether it was confirmed is kept)."""
    text = " ".join(text.split())[:200]
    if not text or text.startswith("#"):
        raise LabelError("a series' name cannot be empty or start with '#'")
    series = _series(ws, case, number)
    was = _label(ws, case, series)
    if text != was and text in {lab for lab, _ in labels(ws, case).values()}:
        raise LabelError(f"another series is already named {text!r} (merge them instead)")
    return _set(ws, case, series["members"], text, bool(series.get("confirmed")), actor,
                "series-name", {"series": number, "was": was})


def split(ws: Workspace, case: int, number: int, members: list[str], actor: str) -> str:
    """Members of series ``number`` taken out into a new series of their own (one member
    alone is in no series from now on); the rest stay together under the series' label."""
    series = _series(ws, case, number)
    chosen = sorted({m.lower() for m in members})
    if not chosen or not set(chosen) <= set(series["members"]):
        raise LabelError(f"choose members of series {number} to split off")
    rest = [m for m in series["members"] if m not in chosen]
    if not rest:
        raise LabelError("a split leaves some members behind (to rename it, use a name)")
    label = _label(ws, case, series) or f"#{rest[0]}"
    _set(ws, case, rest, label, bool(series.get("confirmed")), actor, "series-label",
         {"series": number})
    return _set(ws, case, chosen, f"#{chosen[0]}", False, actor, "series-split",
                {"series": number, "from": label})


def merge(ws: Workspace, case: int, number: int, into: int, actor: str) -> str:
    """Series ``number``'s members join series ``into`` (its label, unconfirmed)."""
    if number == into:
        raise LabelError("a series cannot be merged into itself")
    source, target = _series(ws, case, number), _series(ws, case, into)
    label = _label(ws, case, target) or f"#{target['members'][0]}"
    return _set(ws, case, [*target["members"], *source["members"]], label, False, actor,
                "series-merge", {"series": number, "into": into,
                                 "from": _label(ws, case, source)})
