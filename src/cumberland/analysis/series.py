"""Series: a case's media grouped into candidate series, with the reasons for every link.

A series is what victim identification works from: pictures of one room, one camera, one
session. Two media are linked by a strong fact alone (the same scene, verified by
geometry; the same picture, a duplicate stack; the same camera body, by serial number) or by
two weak facts together (the same camera model, capture times within ``WINDOW``, the same
folder or archive): one phone model or one download folder alone joins strangers. Scene
links are grouped first (analysis/grouping.py): one scene link between two groups of
three or more is not enough to join them (a poster or a toy seen in two rooms). A series
is a connected component of two or more media; each link keeps every fact that holds for
its pair, in words.

A series whose members no hash set knows, none with signs of AI generation, and at least
half with camera metadata (``prime``: unknown camera-original material) is what reviewers
should see first: the review queue's ``series`` factor (analysis/priority.py) brings its
members forward.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from cumberland.analysis.grouping import supported_groups
from cumberland.analysis.places import case_places
from cumberland.matching.scenes import case_names, cases_of, scene_links
from cumberland.store.models import (
    HashSet,
    Item,
    Match,
    Media,
    SceneElsewhere,
    Series,
    SeriesLabel,
    SeriesMember,
    Stack,
)
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace

WINDOW = 3600.0  # seconds: capture times this close are "close together"
AI_LEVELS = ("weak", "strong", "declared-ai")
FOLDERS_SHOWN = 10


@dataclass(slots=True)
class _Media:
    sha: bytes
    kind: str
    exif: dict[str, Any]
    ai_level: str | None
    folders: set[str] = field(default_factory=set)
    taken: float | None = None
    known: bool = False  # matched an alert set or a known-good set

    @property
    def model(self) -> str:
        return " ".join(str(self.exif.get(k) or "").strip() for k in ("make", "model")).strip()

    @property
    def body(self) -> str | None:
        serial = str(self.exif.get("body_serial") or "").strip()
        return f"{self.model} #{serial}" if serial and self.model else None

    @property
    def camera(self) -> bool:
        return bool(self.model) or bool(self.exif.get("maker_note_present")) or \
            self.ai_level == "camera-metadata"


def _taken(exif: dict[str, Any]) -> float | None:
    text = str(exif.get("datetime_original") or exif.get("datetime") or "")[:19]
    try:
        return dt.datetime.strptime(text, "%Y:%m:%d %H:%M:%S").replace(
            tzinfo=dt.UTC).timestamp()
    except ValueError:
        return None


def folder_of(chain: list[str] | None, path: str) -> str:
    """The folder (or the archive and its folder) an item sits in, display form."""
    steps = list(chain or [path])
    last = steps[-1]
    head = last.rsplit("/", 1)[0] if "/" in last else ""
    return " › ".join([*steps[:-1], *([head] if head else [])]) or "/"


def _load(ws: Workspace, case: int) -> dict[bytes, _Media]:
    in_case = select(Item.media_sha256).where(Item.case_id == case,
                                              Item.media_sha256.is_not(None))
    with ws.engine.connect() as conn:
        media = {bytes(r.sha256): _Media(bytes(r.sha256), r.kind,
                                         dict((r.meta or {}).get("exif") or {}), r.ai_level)
                 for r in conn.execute(select(Media.sha256, Media.kind, Media.meta,
                                              Media.ai_level).where(
                     Media.sha256.in_(in_case), Media.kind.in_(("image", "video"))))}
        for sha, chain, path in conn.execute(select(Item.media_sha256, Item.chain, Item.path)
                                             .where(Item.case_id == case,
                                                    Item.media_sha256.is_not(None))):
            m = media.get(bytes(sha)) if sha is not None else None
            if m is not None:
                m.folders.add(folder_of(chain, path))
        for (sha,) in conn.execute(select(Match.media_sha256).join(
                HashSet, HashSet.id == Match.hashset_id).where(
                Match.media_sha256.in_(in_case)).distinct()):
            if bytes(sha) in media:
                media[bytes(sha)].known = True
    for m in media.values():
        m.taken = _taken(m.exif)
    return media


def _stacks(ws: Workspace, case: int) -> dict[int, list[bytes]]:
    with ws.engine.connect() as conn:
        out: dict[int, list[bytes]] = {}
        for sha, stack in conn.execute(select(Stack.media_sha256, Stack.stack).where(
                Stack.case_id == case).order_by(Stack.stack, Stack.media_sha256)):
            out.setdefault(int(stack), []).append(bytes(sha))
    return out


def _weak(a: _Media, b: _Media) -> list[str]:
    """The weak facts two media share, in words."""
    out = []
    if a.model and a.model == b.model:
        out.append(f"same camera model ({a.model})")
    if a.taken is not None and b.taken is not None and abs(a.taken - b.taken) <= WINDOW:
        minutes = abs(a.taken - b.taken) / 60
        out.append(f"taken {minutes:.0f} min apart" if minutes >= 1 else
                   "taken within a minute")
    shared = sorted(a.folders & b.folders)
    if shared:
        out.append(f"same folder {shared[0]}")
    return out


class _Links:
    """Media and every link's reasons (the series are their components: ``_groups``)."""

    def __init__(self, media: dict[bytes, _Media]) -> None:
        self.media = media
        self.reasons: dict[tuple[bytes, bytes], list[str]] = {}

    def link(self, a: bytes, b: bytes, strong: Iterable[str] = ()) -> None:
        """Link on ``strong`` facts, or on two weak ones (checked here)."""
        if a == b or a not in self.media or b not in self.media:
            return
        key = (min(a, b), max(a, b))
        reasons = self.reasons.get(key, [])
        added = [r for r in strong if r not in reasons]
        weak = [r for r in _weak(self.media[a], self.media[b]) if r not in reasons]
        if not reasons and not added and len(weak) < 2:
            return
        self.reasons[key] = reasons + added + weak


def _by_time(members: Iterable[_Media]) -> list[_Media]:
    return sorted((m for m in members if m.taken is not None),
                  key=lambda m: (m.taken or 0.0, m.sha))


def link_case(ws: Workspace, case: int) -> _Links:
    media = _load(ws, case)
    links = _Links(media)
    scenes = scene_links(ws, case)
    group = {sha: i for i, g in enumerate(supported_groups((s.a, s.b, s.inliers)
                                                            for s in scenes)) for sha in g}
    for s in scenes:  # a scene link between two groups it alone would chain is left out
        if group.get(s.a) == group.get(s.b):
            links.link(s.a, s.b, [f"same scene (verified, {s.inliers} inliers)"])
    for number, stacked in _stacks(ws, case).items():
        for x, y in itertools.pairwise(stacked):
            links.link(x, y, [f"same picture (duplicate stack {number})"])
    groups: dict[tuple[str, str], list[_Media]] = {}
    for m in media.values():
        if m.body:
            groups.setdefault(("body", m.body), []).append(m)
        if m.model:
            groups.setdefault(("model", m.model), []).append(m)
        for folder in m.folders:
            groups.setdefault(("folder", folder), []).append(m)
    for (what, value), members in groups.items():
        if what == "body":
            ordered = sorted(members, key=lambda m: (m.taken or 0.0, m.sha))
            for a, b in itertools.pairwise(ordered):
                links.link(a.sha, b.sha, [f"same camera body ({value})"])
            continue
        ordered = _by_time(members)  # neighbours in time: the pairs two weak facts can join
        for a, b in itertools.pairwise(ordered):
            links.link(a.sha, b.sha)
    return links


def _prime(members: list[_Media]) -> tuple[bool, str]:
    if any(m.known for m in members):
        return False, "a member matched a hash set"
    if any(m.ai_level in AI_LEVELS for m in members):
        return False, "a member shows signs of AI generation"
    cameras = sum(1 for m in members if m.camera)
    if 2 * cameras < len(members):
        return False, f"{cameras} of {len(members)} members have camera metadata"
    return True, "unknown to every hash set, no signs of AI, camera metadata"


Labels = dict[bytes, tuple[str, bool]]  # media -> (a reviewer's series label, confirmed)


def _groups(links: _Links, said: Labels) -> list[tuple[str | None, list[bytes]]]:
    """Media a reviewer labelled, grouped by their label; the others are the components of
    the links among themselves (a labelled media joins nobody else's series). Groups of
    two or more, largest first."""
    named: dict[str, list[bytes]] = {}
    parent = {s: s for s in links.media if s not in said}
    for s in links.media:
        if s in said:
            named.setdefault(said[s][0], []).append(s)

    def root(s: bytes) -> bytes:
        while parent[s] != s:
            parent[s] = parent[parent[s]]
            s = parent[s]
        return s

    for a, b in links.reasons:
        if a in parent and b in parent:
            ra, rb = root(a), root(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    auto: dict[bytes, list[bytes]] = {}
    for s in parent:
        auto.setdefault(root(s), []).append(s)
    every = [*((label, sorted(g)) for label, g in named.items()),
             *((None, sorted(g)) for g in auto.values())]
    return sorted(((label, g) for label, g in every if len(g) > 1),
                  key=lambda lg: (-len(lg[1]), lg[1][0]))


def series_of(links: _Links, said: Labels | None = None) -> list[dict[str, Any]]:
    """The series (two or more linked media, or as a reviewer grouped them), largest first,
    as report.json keeps them."""
    said = said or {}
    out = []
    for number, (label, shas) in enumerate(_groups(links, said), 1):
        members = [links.media[s] for s in shas]
        inside = set(shas)
        pairs = [{"a": a.hex(), "b": b.hex(), "reasons": r}
                 for (a, b), r in sorted(links.reasons.items()) if a in inside and b in inside]
        times = [m.taken for m in members if m.taken is not None]
        prime, why = _prime(members)
        out.append({
            "series": number, "members": [s.hex() for s in shas], "links": pairs,
            "cameras": sorted({m.body or m.model for m in members if m.model}),
            "first_taken": _iso(min(times)) if times else None,
            "last_taken": _iso(max(times)) if times else None,
            "folders": sorted({f for m in members for f in m.folders})[:FOLDERS_SHOWN],
            "prime": prime, "prime_reason": why,
            "name": label if label and not label.startswith("#") else None,
            "confirmed": label is not None and all(said[m][1] for m in shas),
            "reviewed": label is not None})
    return out


def _iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


def build_series(ws: Workspace, case: int) -> int:
    """Store the case's series (rebuilt per run, like stacks, keeping what reviewers said:
    ``series_labels``); returns how many."""
    return _store(ws, case, link_case(ws, case))


def regroup(ws: Workspace, case: int, conn: Connection | None = None) -> int:
    """The series again from their stored links and the reviewers' labels, without matching
    anything again (after a reviewer's change); returns how many. Given ``conn``, the labels
    are read and the series written in its transaction (the reviewer's change commits with
    them)."""
    links = _Links(_load(ws, case))
    for s in case_series(ws, case):
        for pair in s["links"]:
            links.reasons[(bytes.fromhex(pair["a"]), bytes.fromhex(pair["b"]))] = \
                list(pair["reasons"])
    seen = {m: set(n) for m, n in seen_elsewhere(ws, case, conn=conn).items()}
    return _store(ws, case, links, seen, conn)


Seen = dict[bytes, set[str]]  # media -> names of the other cases its scene is seen in


def elsewhere(ws: Workspace, case: int, media: set[bytes]) -> tuple[Seen, set[bytes]]:
    """The other cases of the workspace in which each of ``media`` is seen (the same
    picture, or its scene verified in one of their media: ``scene_links`` over their media),
    and those media of theirs. Nothing to do, and no cost, in a workspace of one case."""
    others = {i: n for i, n in case_names(ws).items() if i != case}
    if not others or not media:
        return {}, set()
    out: Seen = {s: set(names) for s, names in cases_of(ws, sorted(media), others).items()}
    far = set(out)
    links = scene_links(ws, case, among=list(others), media=media)
    held = cases_of(ws, sorted({x for link in links for x in (link.a, link.b)}), others)
    for link in links:
        for x, y in ((link.a, link.b), (link.b, link.a)):
            if x in media and y in held:
                out.setdefault(x, set()).update(held[y])
                far.add(y)
    return out, far


def seen_elsewhere(ws: Workspace, case: int, media: list[bytes] | None = None,
                   conn: Connection | None = None) -> dict[bytes, list[str]]:
    """What the last build found of the case's media (all, or ``media``) in other cases:
    media -> the names of those cases (filter them by who may see them)."""
    query = select(SceneElsewhere.media_sha256, SceneElsewhere.cases).where(
        SceneElsewhere.case_id == case)
    with ws.engine.connect() if conn is None else nullcontext(conn) as c:
        rows = c.execute(query) if media is None else \
            in_chunks(c, query, SceneElsewhere.media_sha256, media)
        return {bytes(s): sorted(names) for s, names in rows}


def case_elsewhere(ws: Workspace, case: int) -> list[dict[str, Any]]:
    """report.json's ``also_in``: every media of the case seen in another case, in a series
    (its number) or alone (None), with those cases' names."""
    with ws.engine.connect() as conn:
        number = {bytes(s): int(n) for s, n in conn.execute(select(
            SeriesMember.media_sha256, SeriesMember.number).where(SeriesMember.case_id == case))}
    return [{"sha256": s.hex(), "series": number.get(s), "cases": names}
            for s, names in sorted(seen_elsewhere(ws, case).items())]


def _annotate(s: dict[str, Any], seen: dict[str, list[str]]) -> None:
    """A series' ``also_in`` (other cases' names only, none of their media) from its
    members' (``also_in_members``)."""
    s["also_in_members"] = {m: sorted(seen[m]) for m in s["members"] if seen.get(m)}
    s["also_in"] = sorted({n for names in s["also_in_members"].values() for n in names})


def _tell_others(ws: Workspace, case: int, far: set[bytes]) -> None:
    """The other cases holding ``far`` learn that those media are seen in this case too,
    and so do their series (an older case hears of a newer one without being built
    again)."""
    if not far:
        return
    name = case_names(ws, [case])[case]
    with ws.engine.begin() as conn:
        holders = {(int(c), bytes(s)) for s, c in in_chunks(conn, select(
            Item.media_sha256, Item.case_id).where(Item.case_id != case).distinct(),
            Item.media_sha256, sorted(far))}
        known = {(int(c), bytes(s)): list(n) for c, s, n in in_chunks(conn, select(
            SceneElsewhere.case_id, SceneElsewhere.media_sha256, SceneElsewhere.cases).where(
            SceneElsewhere.case_id != case), SceneElsewhere.media_sha256, sorted(far))}
        for other, sha in sorted(holders):
            names = sorted({*known.get((other, sha), []), name})
            if (other, sha) in known:
                conn.execute(update(SceneElsewhere).where(
                    SceneElsewhere.case_id == other, SceneElsewhere.media_sha256 == sha)
                    .values(cases=names))
            else:
                conn.execute(insert(SceneElsewhere).values(case_id=other, media_sha256=sha,
                                                           cases=names))
        rows = in_chunks(conn, select(SeriesMember.case_id, SeriesMember.number,
                                      SeriesMember.media_sha256).where(
            SeriesMember.case_id != case), SeriesMember.media_sha256, sorted(far))
        touched: dict[tuple[int, int], list[str]] = {}
        for other, number, sha in rows:
            touched.setdefault((int(other), int(number)), []).append(bytes(sha).hex())
        for (other, number), shas in touched.items():
            data = dict(conn.scalar(select(Series.data).where(
                Series.case_id == other, Series.number == number)) or {})
            seen = {m: list(n) for m, n in (data.get("also_in_members") or {}).items()}
            for m in shas:
                seen[m] = sorted({*seen.get(m, []), name})
            _annotate(data, seen)
            conn.execute(update(Series).where(Series.case_id == other,
                                              Series.number == number).values(data=data))


def labels(ws: Workspace, case: int, conn: Connection | None = None) -> Labels:
    with ws.engine.connect() if conn is None else nullcontext(conn) as c:
        return {bytes(r.media_sha256): (r.label, bool(r.confirmed)) for r in c.execute(
            select(SeriesLabel.media_sha256, SeriesLabel.label, SeriesLabel.confirmed)
            .where(SeriesLabel.case_id == case))}


def _store(ws: Workspace, case: int, links: _Links, seen: Seen | None = None,
           conn: Connection | None = None) -> int:
    found = series_of(links, labels(ws, case, conn))
    _place(ws, case, found)
    far: set[bytes] = set()
    if seen is None:  # a build: look again, for every media (in a series or not)
        seen, far = elsewhere(ws, case, set(links.media))
    by_hex = {m.hex(): sorted(n) for m, n in seen.items()}
    for s in found:
        _annotate(s, by_hex)
    with ws.engine.begin() if conn is None else nullcontext(conn) as c:
        c.execute(delete(SeriesMember).where(SeriesMember.case_id == case))
        c.execute(delete(Series).where(Series.case_id == case))
        c.execute(delete(SceneElsewhere).where(SceneElsewhere.case_id == case))
        rows = [{"case_id": case, "media_sha256": m, "cases": sorted(n)}
                for m, n in sorted(seen.items()) if n]
        if rows:
            c.execute(insert(SceneElsewhere), rows)
        if found:
            c.execute(insert(Series), [{"case_id": case, "number": s["series"],
                                        "prime": s["prime"], "data": s} for s in found])
            c.execute(insert(SeriesMember), [
                {"case_id": case, "media_sha256": bytes.fromhex(m), "number": s["series"]}
                for s in found for m in s["members"]])
    _tell_others(ws, case, far)
    return len(found)


def _place(ws: Workspace, case: int, found: list[dict[str, Any]]) -> None:
    """Each series' places (analysis/places.py), by its members' GPS."""
    where = {s.hex(): p.name for p in case_places(ws, case) for s, _, _ in p.members}
    for s in found:
        s["places"] = sorted({where[m] for m in s["members"] if m in where})


def capture_times(ws: Workspace, shas: list[bytes]) -> dict[bytes, str]:
    """The EXIF capture times of media that have one (ISO, UTC as written), for a timeline."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Media.sha256, Media.meta).where(Media.sha256.in_(shas)))
        times = {bytes(s): _taken(dict((meta or {}).get("exif") or {})) for s, meta in rows}
    return {s: _iso(t) for s, t in times.items() if t is not None}


def case_series(ws: Workspace, case: int) -> list[dict[str, Any]]:
    """The stored series of a case, for report.json and the PDF."""
    with ws.engine.connect() as conn:
        return [dict(d) for d in conn.scalars(select(Series.data).where(
            Series.case_id == case).order_by(Series.number))]
