"""Duplicate stacks: media of a case that show the same picture, categorised once.

Identical bytes are already one media; different files of the same picture (re-encoded,
resized) are joined when their PDQ hashes are within the match radius. Stacks are the
connected components (union-find) and are rebuilt per run, since a case only grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy import and_, delete, distinct, func, insert, select

from cumberland.index.pdq import PDQIndex, as_codes
from cumberland.settings import Settings
from cumberland.store.models import Item, Media, ReviewEntry, Stack
from cumberland.store.workspace import Workspace


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def build_stacks(ws: Workspace, case: int, settings: Settings) -> int:
    """Store the case's stacks of two or more media; returns how many stacks."""
    case_media = select(Item.media_sha256).where(Item.case_id == case,
                                                 Item.media_sha256.is_not(None))
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Media.sha256, Media.pdq).where(
            Media.sha256.in_(case_media), Media.pdq.is_not(None),
            Media.pdq_quality >= settings.pdq_min_quality).order_by(Media.sha256)).all()
    parent = list(range(len(rows)))
    if rows:
        codes = as_codes([r.pdq for r in rows])
        qi, ids, _ = PDQIndex(codes, np.arange(len(rows))).search_arrays(
            codes, settings.pdq_max_distance)
        for a, b in zip(qi.tolist(), ids.tolist(), strict=True):
            ra, rb = _root(parent, a), _root(parent, b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for i in range(len(rows)):
        groups.setdefault(_root(parent, i), []).append(i)
    stacks = [g for g in groups.values() if len(g) > 1]
    with ws.engine.begin() as conn:
        conn.execute(delete(Stack).where(Stack.case_id == case))
        values = [{"case_id": case, "media_sha256": rows[i].sha256, "stack": n, "method": "pdq"}
                  for n, members in enumerate(stacks, 1) for i in members]
        if values:
            conn.execute(insert(Stack), values)
    return len(stacks)


def stack_counts(ws: Workspace, case: int) -> dict[str, Any]:
    """Numbers for the report: stacks, media in them, and the largest stack."""
    with ws.engine.connect() as conn:
        sizes = conn.scalars(select(func.count()).where(Stack.case_id == case)
                             .group_by(Stack.stack)).all()
    return {"stacks": len(sizes), "stacked_media": int(sum(sizes)),
            "largest": int(max(sizes, default=0))}


@dataclass(frozen=True, slots=True)
class StackTile:
    stack: int
    size: int
    sha256: bytes  # the member shown: the first in review priority
    categorised: int  # members with a category
    categories: int  # distinct categories among them (more than one: mixed)


def stack_page(ws: Workspace, case: int, after: int = -1, limit: int = 120) -> list[StackTile]:
    """Stacks of the case by number after ``after`` (keyset), one tile each."""
    q = ReviewEntry
    with ws.engine.connect() as conn:
        groups = conn.execute(
            select(Stack.stack, func.count(), func.count(q.category),
                   func.count(distinct(q.category)))
            .join(q, and_(q.case_id == Stack.case_id, q.media_sha256 == Stack.media_sha256))
            .where(Stack.case_id == case, Stack.stack > after)
            .group_by(Stack.stack).order_by(Stack.stack).limit(limit)).all()
        numbers = [int(g[0]) for g in groups]
        first: dict[int, bytes] = {}
        for number, sha in conn.execute(
                select(Stack.stack, Stack.media_sha256)
                .join(q, and_(q.case_id == Stack.case_id, q.media_sha256 == Stack.media_sha256))
                .where(Stack.case_id == case, Stack.stack.in_(numbers))
                .order_by(Stack.stack, q.priority, q.media_sha256)):
            first.setdefault(int(number), bytes(sha))
    return [StackTile(int(n), int(size), first[int(n)], int(done), int(kinds))
            for n, size, done, kinds in groups if int(n) in first]
