"""Grouping media by verified links without letting one wrong link chain two groups.

Connected components (single linkage) join two series of fifty pictures on one false
verification: the same poster, toy or wallpaper in two rooms matches as well as a wall seen
twice. Here links that close a triangle come first (a wrong link rarely has a third picture
agreeing with both ends), strongest first, and two groups that each hold at least
``SETTLED`` members join only when ``SUPPORT`` distinct members of each side are linked to
the other; a picture alone or a pair still joins on one link, so a series whose pictures
verify only as a chain (each shot overlapping the next) is still found. bench/scenes.py
measured what this costs in recall.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

SUPPORT = 2  # distinct members on each side of the links joining two settled groups
SETTLED = 3  # a group this large no longer joins another on a single link


class _Groups:
    def __init__(self) -> None:
        self.parent: dict[Hashable, Hashable] = {}
        self.size: dict[Hashable, int] = {}
        # root -> other root -> the links between their groups seen so far
        self.between: dict[Hashable, dict[Hashable, set[tuple[Hashable, Hashable]]]] = {}

    def root(self, k: Hashable) -> Hashable:
        self.parent.setdefault(k, k)
        self.size.setdefault(k, 1)
        while self.parent[k] != k:
            self.parent[k] = self.parent[self.parent[k]]
            k = self.parent[k]
        return k

    def supported(self, ra: Hashable, rb: Hashable, pairs: set[tuple[Hashable, Hashable]]) \
            -> bool:
        if min(self.size[ra], self.size[rb]) < SETTLED:
            return True
        side_a = {a if self.root(a) == ra else b for a, b in pairs}
        side_b = {b if self.root(b) == rb else a for a, b in pairs}
        return len(side_a) >= SUPPORT and len(side_b) >= SUPPORT

    def add(self, a: Hashable, b: Hashable) -> None:
        ra, rb = self.root(a), self.root(b)
        if ra == rb:
            return
        pairs = self.between.setdefault(ra, {}).setdefault(rb, set())
        pairs.add((a, b))
        self.between.setdefault(rb, {})[ra] = pairs
        if self.supported(ra, rb, pairs):
            self.join(ra, rb)

    def join(self, ra: Hashable, rb: Hashable) -> None:
        """Join two groups, then any group the joined one now has support to join."""
        work = [(ra, rb)]
        while work:
            x, y = (self.root(k) for k in work.pop())
            if x == y:
                continue
            if self.size[x] < self.size[y]:
                x, y = y, x
            self.parent[y] = x
            self.size[x] += self.size[y]
            mine, theirs = self.between.setdefault(x, {}), self.between.pop(y, {})
            mine.pop(y, None)
            for other, pairs in theirs.items():
                back = self.between.setdefault(other, {})
                back.pop(y, None)
                if other == x:
                    continue
                merged = mine.get(other, set()) | pairs
                mine[other] = back[x] = merged
            work += [(x, other) for other, pairs in mine.items()
                     if self.supported(x, other, pairs)]


def supported_groups(links: Iterable[tuple[K, K, float]]) -> list[set[K]]:
    """Groups of two or more keys from weighted links (a, b, weight): first the links that
    close a triangle (a and b share a third linked key), strongest first, then the rest, so
    a lone link between two groups comes when both have formed."""
    pairs = [(a, b, w) for a, b, w in links if a != b]
    near: dict[Hashable, set[Hashable]] = {}
    for a, b, _ in pairs:
        near.setdefault(a, set()).add(b)
        near.setdefault(b, set()).add(a)
    groups = _Groups()
    for a, b, _ in sorted(pairs, key=lambda p: (not (near[p[0]] & near[p[1]]), -p[2])):
        groups.add(a, b)
    out: dict[Hashable, set[K]] = {}
    for k in list(groups.parent):
        out.setdefault(groups.root(k), set()).add(k)  # type: ignore[arg-type]
    return [g for g in out.values() if len(g) > 1]
