"""Region search over a workspace: which media show this object or this scene.

The pictures are the ``local-features`` signal's keypoints (signals/local_features.py): one
per image, one per video keyframe. They are indexed as a bag of visual words
(index/scenes.py) kept in the workspace's ``scenes`` folder and brought up to date at each
search (new media are added with the trained vocabulary; the vocabulary is retrained when the
workspace has grown well past what it was trained on). A query's keypoints (detected afresh on
the region's pixels, dense enough for a small box) nominate ``VERIFY`` pictures by their words;
geometric verification (matching/geometry.py) decides, and gives the region's outline in each
result and the inliers that support it. Only media of the cases searched are nominated.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from cumberland.errors import one_line
from cumberland.index.scenes import (
    QUERY_LEAVES,
    SAMPLE,
    Postings,
    Vocabulary,
    save_arrays,
    shape_bins,
)
from cumberland.matching.geometry import Verified, inside, verify
from cumberland.settings import Settings
from cumberland.signals import local_features as lf
from cumberland.signals.image import decode_pixels
from cumberland.signals.local_features import QUERY_MIN_SIDE, Keypoints, detect, entries
from cumberland.store.accounts import member_cases
from cumberland.store.models import Case, Item, Media, SignalRecord
from cumberland.store.reopen import ReopenError, media_pixels
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace

# candidates nominated by the words that geometry checks: since nomination counts only
# geometrically consistent words, the first 50 held every hit the first 100 did
# (bench/scenes.py at 20 k and 100 k media; docs/benchmarks.md), for half the verifications
VERIFY = 50
RETRAIN_GROWTH = 4  # retrain when the pictures indexed exceed this times those trained on
FOLDER = "scenes"
Region = tuple[float, float, float, float]


class SearchError(ValueError):
    """A query that cannot run (bad region, unreadable picture, no features): one line."""


@dataclass(frozen=True, slots=True)
class Query:
    """What to look for: keypoints in the pixels of a picture of ``size``, inside ``region``."""

    keypoints: Keypoints
    region: Region
    size: tuple[int, int]
    sha256: bytes | None = None  # the media the region was drawn on, left out of results
    at: float | None = None  # the keyframe of a video the keypoints are from


@dataclass(frozen=True, slots=True)
class Hit:
    sha256: bytes
    inliers: int
    outline: list[tuple[float, float]]  # the region's corners in the media's pixels
    at: float | None  # keyframe time for a video
    cases: tuple[str, ...]
    kind: str
    query_at: tuple[float, ...] = ()  # a video query: its keyframes that found this media

    def as_json(self) -> dict[str, Any]:
        out = {"sha256": self.sha256.hex(), "kind": self.kind, "inliers": self.inliers,
               "outline": [[round(x, 1), round(y, 1)] for x, y in self.outline],
               "at": self.at, "cases": list(self.cases)}
        if self.query_at:
            out["query_at"] = list(self.query_at)
        return out


@dataclass(slots=True)
class Found:
    hits: list[Hit]
    pictures: int  # pictures in the index
    nominated: int  # candidates verified
    cases: list[str] = field(default_factory=list)


def parse_region(text: str) -> Region:
    """``x,y,w,h`` in pixels of the picture."""
    parts = text.split(",")
    try:
        if len(parts) != 4:
            raise ValueError
        x, y, w, h = (float(p) for p in parts)
    except ValueError:
        raise SearchError(f"region {text!r} is not x,y,w,h (four numbers, pixels)") from None
    if not all(np.isfinite([x, y, w, h])):
        raise SearchError(f"region {text!r} is not x,y,w,h (four numbers, pixels)")
    if w <= 0 or h <= 0:
        raise SearchError(f"region {text} has zero size: width and height must be positive")
    return x, y, w, h


def check_region(region: Region, size: tuple[int, int]) -> None:
    x, y, w, h = region
    width, height = size
    if x < 0 or y < 0 or x + w > width or y + h > height:
        raise SearchError(f"region {x:g},{y:g},{w:g},{h:g} is outside the {width}x{height} "
                          "image")


def query_of(rgb: NDArray[np.uint8], region: Region | None, size: tuple[int, int] | None = None,
             sha256: bytes | None = None) -> Query:
    """Keypoints of ``region`` of ``rgb`` (whole picture when None), detected on the region
    itself (enlarged when small) so a small box still has enough of them. ``size`` is the
    picture's full size when ``rgb`` is a smaller decode of it."""
    h, w = rgb.shape[:2]
    full = size or (w, h)
    region = region or (0.0, 0.0, float(full[0]), float(full[1]))
    check_region(region, full)
    sx, sy = w / full[0], h / full[1]
    x, y, rw, rh = region
    x0, y0 = int(x * sx), int(y * sy)
    x1, y1 = max(x0 + 1, int(np.ceil((x + rw) * sx))), max(y0 + 1, int(np.ceil((y + rh) * sy)))
    crop = np.ascontiguousarray(rgb[y0:y1, x0:x1])
    kp = detect(crop, side=lf.FEATURE_SIDE, min_side=QUERY_MIN_SIDE)
    points = (kp.points + np.array([x0, y0], np.float32)) / np.array([sx, sy], np.float32)
    return Query(Keypoints(points.astype(np.float32), kp.descriptors,
                           kp.scaled(1 / sx).shape), region, full, sha256)


def stored_query(data: dict[str, Any], region: Region, size: tuple[int, int],
                 sha256: bytes) -> Query:
    """A query from a media's stored keypoints inside ``region`` (its pixels unreadable)."""
    check_region(region, size)
    found = entries(data)
    if not found:
        raise SearchError("the media has too few keypoints to search by region")
    kp = found[0][1]
    return Query(kp.take(inside(kp.points, region)), region, size, sha256)


# --- the index ------------------------------------------------------------------------------


def _rows(ws: Workspace, shas: Sequence[bytes] | None = None) -> \
        Iterator[tuple[bytes, dict[str, Any]]]:
    """Current-version local-features rows (all, or of ``shas``), streamed."""
    query = select(SignalRecord.media_sha256, SignalRecord.data).where(
        SignalRecord.name == lf.NAME, SignalRecord.version == lf.VERSION)
    with ws.engine.connect() as conn:
        if shas is not None:
            for sha, data in in_chunks(conn, query, SignalRecord.media_sha256, list(shas)):
                yield bytes(sha), data
            return
        result = conn.execution_options(yield_per=500).execute(query.order_by(
            SignalRecord.media_sha256))
        for sha, data in result:
            yield bytes(sha), data


def _featured(ws: Workspace) -> list[bytes]:
    with ws.engine.connect() as conn:
        return [bytes(s) for s in conn.scalars(select(SignalRecord.media_sha256).where(
            SignalRecord.name == lf.NAME, SignalRecord.version == lf.VERSION).order_by(
            SignalRecord.media_sha256))]


@dataclass(slots=True)
class SceneIndex:
    """The workspace's pictures as visual words: doc i is keyframe ``at[i]`` (NaN for an
    image) of media ``sha[i]``."""

    vocabulary: Vocabulary
    postings: Postings
    sha: NDArray[np.uint8]  # (n, 32)
    at: NDArray[np.float64]
    trained_on: int  # pictures the vocabulary was trained on

    @property
    def nbytes(self) -> int:
        return self.postings.nbytes + self.sha.nbytes + self.at.nbytes

    def save(self, folder: Path) -> None:
        self.vocabulary.save(folder / "vocabulary.npz")
        self.postings.save(folder / "postings.npz")
        save_arrays(folder / "docs.npz", sha=self.sha, at=self.at,
              meta=np.array([lf.VERSION, self.trained_on], np.int64))

    @classmethod
    def load(cls, folder: Path) -> SceneIndex | None:
        try:
            docs = np.load(folder / "docs.npz")
            if int(docs["meta"][0]) != lf.VERSION:
                return None
            return cls(Vocabulary.load(folder / "vocabulary.npz"),
                       Postings.load(folder / "postings.npz"), docs["sha"], docs["at"],
                       int(docs["meta"][1]))
        except (OSError, KeyError, ValueError):
            return None

    def media(self) -> set[bytes]:
        return {bytes(r) for r in self.sha}


ASSIGN_BATCH = 200_000  # descriptors assigned words in one call (a vocabulary pass each)


def postings_of(vocabulary: Vocabulary, pictures: Iterable[Keypoints]) -> Postings:
    """The postings of pictures (doc ids in order), each keypoint one word. Descriptors are
    assigned in batches of many pictures: one call walks every vocabulary cell, which cost
    more than the distances for a picture alone."""
    words: list[NDArray[np.int64]] = []
    docs: list[NDArray[np.int64]] = []
    bins: list[NDArray[np.uint8]] = []
    batch: list[NDArray[np.uint8]] = []
    pending = count = 0

    def flush() -> None:
        nonlocal pending
        if batch:
            words.append(vocabulary.assign(np.concatenate(batch))[:, 0])
            batch.clear()
        pending = 0

    for count, kp in enumerate(pictures, 1):
        batch.append(kp.descriptors)
        docs.append(np.full(len(kp), count - 1, np.int64))
        bins.append(np.zeros(len(kp), np.uint8) if kp.shape is None else shape_bins(kp.shape))
        pending += len(kp)
        if pending >= ASSIGN_BATCH:
            flush()
    flush()
    return Postings.build(np.concatenate(words) if words else np.zeros(0, np.int64),
                          np.concatenate(docs) if docs else np.zeros(0, np.int64),
                          vocabulary.size, count,
                          np.concatenate(bins) if bins else np.zeros(0, np.uint8))


def _words(vocabulary: Vocabulary, rows: Iterator[tuple[bytes, dict[str, Any]]]) -> \
        tuple[Postings, NDArray[np.uint8], NDArray[np.float64]]:
    shas: list[bytes] = []
    ats: list[float] = []

    def pictures() -> Iterator[Keypoints]:
        for sha, data in rows:
            for at, kp in entries(data):
                shas.append(sha)
                ats.append(np.nan if at is None else at)
                yield kp

    postings = postings_of(vocabulary, pictures())
    table = np.frombuffer(b"".join(shas), np.uint8).reshape(len(shas), 32)
    return postings, table, np.asarray(ats, np.float64)


def build(ws: Workspace, media: Sequence[bytes]) -> SceneIndex:
    """Train a vocabulary on a sample of the pictures' descriptors, then index them all."""
    per = max(8, SAMPLE // max(1, len(media)))
    sample: list[NDArray[np.uint8]] = []
    pictures = 0
    for _, data in _rows(ws):
        for _, kp in entries(data):
            sample.append(kp.descriptors[:per])
            pictures += 1
    if not sample:
        raise SearchError("no media of the workspace has enough keypoints to search")
    vocabulary = Vocabulary.train(np.concatenate(sample))
    postings, sha, at = _words(vocabulary, _rows(ws))
    return SceneIndex(vocabulary, postings, sha, at, max(1, pictures))


def current(ws: Workspace, settings: Settings | None = None, case: str = "CASE") -> SceneIndex:
    """The workspace's index, brought up to date with its local-features rows (``case``
    names the case in the advice to enrich when there are none)."""
    featured = _featured(ws)
    if not featured:
        raise SearchError("no local features in this workspace yet: run `cumberland enrich "
                          f"--case {case} --signal {lf.NAME}`")
    folder = ws.root / FOLDER
    index = SceneIndex.load(folder)
    have = index.media() if index is not None else set()
    new = [s for s in featured if s not in have]
    gone = have - set(featured)
    if index is not None and not new and not gone:
        return index
    if index is None or gone or len(featured) > RETRAIN_GROWTH * index.trained_on:
        index = build(ws, featured)
    else:
        postings, sha, at = _words(index.vocabulary, _rows(ws, new))
        index = SceneIndex(index.vocabulary, index.postings.merge(postings),
                           np.concatenate([index.sha, sha]), np.concatenate([index.at, at]),
                           index.trained_on)
    index.save(folder)
    return index


# --- searching ------------------------------------------------------------------------------


def case_names(ws: Workspace, ids: Sequence[int] | None = None) -> dict[int, str]:
    with ws.engine.connect() as conn:
        query = select(Case.id, Case.name)
        if ids is not None:
            query = query.where(Case.id.in_(list(ids)))
        return {int(i): str(n) for i, n in conn.execute(query)}


def cases_of(ws: Workspace, shas: Sequence[bytes], cases: dict[int, str]) -> \
        dict[bytes, tuple[str, ...]]:
    """The names of the ``cases`` (id -> name) that hold each media (those in none left out)."""
    with ws.engine.connect() as conn:
        rows = in_chunks(conn, select(Item.media_sha256, Item.case_id).where(
            Item.case_id.in_(list(cases))).distinct(), Item.media_sha256, list(shas))
    out: dict[bytes, set[str]] = {}
    for sha, case in rows:
        out.setdefault(bytes(sha), set()).add(cases[int(case)])
    return {s: tuple(sorted(v)) for s, v in out.items()}


def _allowed(ws: Workspace, index: SceneIndex, cases: dict[int, str]) -> NDArray[np.bool_]:
    with ws.engine.connect() as conn:
        visible = {bytes(s) for s in conn.scalars(select(Item.media_sha256).where(
            Item.case_id.in_(list(cases)), Item.media_sha256.is_not(None)).distinct())
            if s is not None}
    return np.fromiter((bytes(r) in visible for r in index.sha), bool, len(index.sha))


def search(ws: Workspace, query: Query, cases: dict[int, str], limit: int = 50,
           index: SceneIndex | None = None) -> Found:
    """Media of ``cases`` (id -> name) showing the query's region, most inliers first."""
    if len(query.keypoints) < lf.MIN_KEYPOINTS:
        raise SearchError(f"the region has only {len(query.keypoints)} keypoints (at least "
                          f"{lf.MIN_KEYPOINTS} needed): draw a larger or more textured box")
    index = index or current(ws)
    allowed = _allowed(ws, index, cases)
    if query.sha256 is not None:
        allowed &= ~np.all(index.sha == np.frombuffer(query.sha256, np.uint8), axis=1)
    nominated = nominate(index, query.keypoints, VERIFY, allowed)
    shas = sorted({bytes(index.sha[d]) for d in nominated})
    stored = dict(_rows(ws, shas))
    with ws.engine.connect() as conn:
        kinds = {bytes(s): str(k) for s, k in in_chunks(
            conn, select(Media.sha256, Media.kind), Media.sha256, shas)}
    best: dict[bytes, tuple[Verified, float | None]] = {}
    for d, got in verified(query, nominated,
                           lambda d: _picture(stored.get(bytes(index.sha[d])), _at(index, d))):
        sha = bytes(index.sha[d])
        if sha not in best or got.inliers > best[sha][0].inliers:
            best[sha] = (got, _at(index, d))
    ranked = sorted(best.items(), key=lambda kv: (-kv[1][0].inliers, kv[0]))[:limit]
    where = cases_of(ws, [s for s, _ in ranked], cases)
    hits = [Hit(s, v.inliers, v.outline, at, where.get(s, ()), kinds.get(s, "image"))
            for s, (v, at) in ranked]
    return Found(hits, len(index.sha), len(nominated), sorted(cases.values()))


def nominate(index: SceneIndex, keypoints: Keypoints, limit: int,
             allowed: NDArray[np.bool_] | None = None) -> list[int]:
    """The ``limit`` pictures whose visual words the keypoints vote for most, counting only
    the words whose keypoints turned and grew alike (weak geometric consistency, when the
    keypoints' shapes are known), best first."""
    words = index.vocabulary.assign(keypoints.descriptors, QUERY_LEAVES).ravel()
    bins = None if keypoints.shape is None else \
        np.repeat(shape_bins(keypoints.shape), QUERY_LEAVES)
    return [d for d, _ in index.postings.score(words, limit, allowed, by_length=True,
                                               bins=bins)]


Picture = tuple[Keypoints, tuple[int, int]]


def verified(query: Query, docs: Sequence[int], picture: Callable[[int], Picture | None]) -> \
        list[tuple[int, Verified]]:
    """The nominated pictures that geometry confirms, most inliers first (``picture``: a
    doc's keypoints and size, None when it has none)."""
    out = []
    for d in docs:
        cand = picture(d)
        if cand is None:
            continue
        got = verify(query.keypoints, query.region, query.size, cand[0], cand[1])
        if got is not None:
            out.append((d, got))
    return sorted(out, key=lambda x: -x[1].inliers)


def _at(index: SceneIndex, d: int) -> float | None:
    return None if np.isnan(index.at[d]) else float(index.at[d])


def _picture(data: dict[str, Any] | None, at: float | None) -> \
        tuple[Keypoints, tuple[int, int]] | None:
    """The keypoints and size of one picture of a stored row (a video's keyframe ``at``)."""
    if data is None:
        return None
    if at is None:
        size = data.get("size") or [0, 0]
        found = entries(data)
        return (found[0][1], (int(size[0]), int(size[1]))) if found else None
    for frame in data.get("frames", []):
        if not frame.get("too_few") and abs(float(frame["t"]) - at) < 1e-6:
            size = frame.get("size") or [0, 0]
            return lf.unpack(frame), (int(size[0]), int(size[1]))
    return None


def dumps(found: Found, query: Query, keyframes: Sequence[Query] = ()) -> str:
    described: dict[str, Any] = {"sha256": query.sha256.hex() if query.sha256 else None,
                                 "region": list(query.region), "size": list(query.size),
                                 "keypoints": len(query.keypoints)}
    if keyframes:
        described.update(keypoints=sum(len(q.keypoints) for q in keyframes),
                         keyframes=[q.at for q in keyframes])
    return json.dumps({"query": described,
                       "cases": found.cases, "pictures": found.pictures,
                       "verified": found.nominated,
                       "results": [h.as_json() for h in found.hits]})



def cases_for(ws: Workspace, case: str, user_id: int | None) -> dict[int, str]:
    """The cases a search from ``case`` covers: every case of the workspace for its operator
    (``user_id`` None), else the cases that user is a member of (``case`` among them)."""
    names = case_names(ws)
    if case not in names.values():
        raise SearchError(f"no case named {case!r}")
    if user_id is None:
        return names
    mine = {i: n for i, n in member_cases(ws, user_id)}
    if case not in mine.values():
        raise SearchError(f"no case named {case!r}")  # as if absent: not theirs to see
    return mine


def media_query(ws: Workspace, case: str, sha256: bytes, region: Region,
                settings: Settings) -> tuple[Query, str | None]:
    """A query from a region of a media of ``case``: its pixels read again from the evidence
    at full resolution, else (with a note) its stored keypoints inside the region."""
    with ws.engine.connect() as conn:
        media = conn.execute(select(Media.kind, Media.width, Media.height).where(
            Media.sha256 == sha256)).first()
        in_case = conn.scalar(select(Item.id).join(Case, Case.id == Item.case_id).where(
            Item.media_sha256 == sha256, Case.name == case).limit(1))
    if media is None or in_case is None:
        raise SearchError(f"no media {sha256.hex()} in case {case!r}")
    if media.kind != "image" or not media.width or not media.height:
        raise SearchError(f"media {sha256.hex()[:16]} is a {media.kind}: a region is drawn "
                          "on an image (use --image with a still of the video)")
    size = (int(media.width), int(media.height))
    check_region(region, size)
    try:
        rgb = media_pixels(ws, sha256, dataclasses.replace(settings, pdq_draft_min_side=0))
    except ReopenError as exc:
        rows = dict(_rows(ws, [sha256]))
        if sha256 not in rows:
            raise SearchError(f"the media cannot be read again ({exc}) and has no local "
                              "features: run `cumberland enrich --case "
                              f"{case} --signal {lf.NAME}`") from None
        note = f"the media cannot be read again ({exc}): searched with its stored keypoints"
        return stored_query(rows[sha256], region, size, sha256), note
    return query_of(rgb, region, size, sha256), None


def media_kind(ws: Workspace, case: str, sha256: bytes) -> str:
    """``image`` or ``video`` (or another kind) for a media of ``case``; SearchError if not
    in it."""
    with ws.engine.connect() as conn:
        kind = conn.scalar(select(Media.kind).join(Item, Item.media_sha256 == Media.sha256)
                           .join(Case, Case.id == Item.case_id)
                           .where(Media.sha256 == sha256, Case.name == case).limit(1))
    if kind is None:
        raise SearchError(f"no media {sha256.hex()} in case {case!r}")
    return str(kind)


def keyframe_queries(ws: Workspace, case: str, sha256: bytes,
                     region: Region | None) -> list[Query]:
    """One query per searchable keyframe of a video of ``case``, from the keypoints stored
    for it (all of each keyframe, or those inside ``region``, in the video's pixels)."""
    rows = dict(_rows(ws, [sha256]))
    if sha256 not in rows:
        raise SearchError(f"the video has no local features: run `cumberland enrich --case "
                          f"{case} --signal {lf.NAME}`")
    out = []
    for frame in rows[sha256].get("frames", []):
        if frame.get("too_few"):
            continue
        kp, size = lf.unpack(frame), (int(frame["size"][0]), int(frame["size"][1]))
        box = region or (0.0, 0.0, float(size[0]), float(size[1]))
        check_region(box, size)
        keep = inside(kp.points, box)
        if np.count_nonzero(keep) >= lf.MIN_KEYPOINTS:
            out.append(Query(kp.take(keep), box, size, sha256, float(frame["t"])))
    if not out:
        raise SearchError(f"no keyframe of the video has {lf.MIN_KEYPOINTS} keypoints"
                          + (" in the region" if region else "") + ": nothing to search with")
    return out


def search_keyframes(ws: Workspace, queries: Sequence[Query], cases: dict[int, str],
                     limit: int = 50) -> Found:
    """``search`` for each keyframe of a video, one result per media: the keyframe match
    with the most inliers, and every query keyframe that found the media."""
    index = current(ws)
    best: dict[bytes, Hit] = {}
    found_by: dict[bytes, list[float]] = {}
    nominated = 0
    for query in queries:
        got = search(ws, query, cases, limit, index)
        nominated += got.nominated
        for hit in got.hits:
            found_by.setdefault(hit.sha256, []).append(query.at or 0.0)
            if hit.sha256 not in best or hit.inliers > best[hit.sha256].inliers:
                best[hit.sha256] = hit
    ranked = sorted(best.values(), key=lambda h: (-h.inliers, h.sha256))[:limit]
    hits = [dataclasses.replace(h, query_at=tuple(sorted(found_by[h.sha256]))) for h in ranked]
    return Found(hits, len(index.sha), nominated, sorted(cases.values()))


def image_query(path: Path, region: Region | None, settings: Settings) -> Query:
    """A query from a picture an investigator brings (a hotel room, a product)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SearchError(f"cannot read query image {path}: {one_line(exc)}") from None
    return bytes_query(data, region, settings, str(path))


def bytes_query(data: bytes, region: Region | None, settings: Settings,
                name: str = "upload") -> Query:
    """A query from a picture's bytes (the web app's upload: decoded in memory, never kept)."""
    try:
        rgb = decode_pixels(data, dataclasses.replace(settings, pdq_draft_min_side=0))
    except Exception as exc:  # undecodable: one line, never a traceback
        raise SearchError(f"cannot read query image {name}: {one_line(exc)}") from None
    return query_of(rgb, region)


# pictures a media's words nominate for a scene link, verified: 8 -> 16 -> 32 gave series
# recall 0.829 -> 0.851 -> 0.865 for 28 -> 54 -> 106 CPU ms a media (bench/scenes.py, 200 scenes)
LINK_CANDIDATES = 16
# then, for EXPAND_ROUNDS, each picture nominates this many more outside the pictures it is
# already linked to, directly or through others (its first candidates went mostly to those)
EXPAND = 8
EXPAND_ROUNDS = 1
# as many as a region hit: analysis/grouping.py keeps one link from chaining two series, and
# bench/scenes.py found no false link at 12 once its occluders stopped being shared
SERIES_MIN_INLIERS = 12


@dataclass(frozen=True, slots=True)
class SceneLink:
    a: bytes
    b: bytes
    inliers: int


Pictures = Callable[[Collection[int]], dict[int, Picture]]  # docs -> those with keypoints
# (doc, its keypoints, how many, docs to leave out) -> the docs its words vote for most
Nominate = Callable[[int, Keypoints, int, Collection[int]], list[int]]


def link_pictures(docs: Sequence[int], pictures: Pictures, nominate: Nominate,
                  owner: NDArray[np.int64], candidates: int = LINK_CANDIDATES,
                  expand: int = EXPAND, chunk: int = 200) -> dict[tuple[int, int], int]:
    """Verified scene links (doc pair, low id first -> inliers) of ``docs``: each picture's
    keypoints (whole) ``nominate`` ``candidates`` others by their words, geometry verifies;
    then each nominates ``expand`` more outside its group (the pictures linked to it so
    far, through any chain) and those tried, ``EXPAND_ROUNDS`` times: a shot overlapping a
    second one only a little shares fewer words with it than with the shots it is already
    linked to. A pair is verified once, whichever side nominated it. ``owner``: each doc's
    media (the keyframes of one video are never linked). Pictures are read ``chunk`` docs
    at a time."""
    tried: dict[int, set[int]] = {}  # doc -> the docs verified against it
    links: dict[tuple[int, int], int] = {}

    def check(limit: int, groups: dict[int, set[int]]) -> None:
        for lo in range(0, len(docs), chunk):
            mine = pictures(docs[lo:lo + chunk])
            wanted = {d: [c for c in nominate(d, kp, limit,
                                              groups.get(d, set()) | tried.get(d, set()))
                          if owner[c] != owner[d]] for d, (kp, _) in mine.items()}
            theirs = pictures({c for cs in wanted.values() for c in cs} - mine.keys())
            for d, cands in wanted.items():
                kp, size = mine[d]
                whole = (0.0, 0.0, float(size[0]), float(size[1]))
                for c in cands:
                    cand = mine.get(c) or theirs.get(c)
                    if c in tried.get(d, ()) or cand is None:
                        continue
                    tried.setdefault(d, set()).add(c)
                    tried.setdefault(c, set()).add(d)
                    got = verify(kp, whole, size, cand[0], cand[1], whole=True)
                    if got is not None and got.inliers >= SERIES_MIN_INLIERS:
                        links[(min(c, d), max(c, d))] = got.inliers

    check(candidates, {})
    for _ in range(EXPAND_ROUNDS if expand > 0 else 0):
        before = len(links)
        check(expand, linked_groups(links))
        if len(links) == before:
            break
    return links


def linked_groups(links: Iterable[tuple[int, int]]) -> dict[int, set[int]]:
    """Each linked doc's group: the docs it reaches through links (itself included)."""
    parent: dict[int, int] = {}

    def root(k: int) -> int:
        parent.setdefault(k, k)
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for a, b in links:
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, set[int]] = {}
    for k in list(parent):
        groups.setdefault(root(k), set()).add(k)
    return {k: groups[root(k)] for k in parent}


def link_nominees(index: SceneIndex, kp: Keypoints, candidates: int,
                  allowed: NDArray[np.bool_], leave_out: Collection[int] = ()) -> list[int]:
    """The ``candidates`` pictures ``allowed`` (less ``leave_out``) whose words a whole
    picture's keypoints vote for most (the plain score: links were measured with it,
    bench/scenes.py)."""
    if leave_out:
        allowed = allowed.copy()
        allowed[list(leave_out)] = False
    words = index.vocabulary.assign(kp.descriptors, QUERY_LEAVES).ravel()
    return [c for c, _ in index.postings.score(words, candidates, allowed)]


def scene_links(ws: Workspace, case: int, candidates: int = LINK_CANDIDATES,
                chunk: int = 200, among: Sequence[int] | None = None,
                media: Collection[bytes] | None = None) -> list[SceneLink]:
    """Pairs of media of ``case`` showing the same scene (``link_pictures`` over the case's
    pictures, ``candidates`` nominated each). Rows are read ``chunk`` media at a time, so
    memory stays bounded on a large case. ``among``: the cases whose media the other ends
    are (default: ``case``; other cases for "scene also in case X"); ``media``: only these
    of the case's media are looked for."""
    try:
        index = current(ws)
    except SearchError:
        return []  # no features in the workspace: no scene links, the rest still links
    asking = _allowed(ws, index, {case: ""})
    if media is not None:
        asking &= np.fromiter((bytes(r) in media for r in index.sha), bool, len(index.sha))
    allowed = asking if among is None else _allowed(ws, index, {c: "" for c in among})
    owner = np.unique(index.sha, axis=0, return_inverse=True)[1].ravel().astype(np.int64)

    def pictures(docs: Collection[int]) -> dict[int, Picture]:
        rows = dict(_rows(ws, sorted({bytes(index.sha[d]) for d in docs})))
        found = {d: _picture(rows.get(bytes(index.sha[d])), _at(index, d)) for d in docs}
        return {d: p for d, p in found.items() if p is not None}

    found = link_pictures(
        np.flatnonzero(asking).tolist(), pictures,
        lambda d, kp, k, out: link_nominees(index, kp, k, allowed & (owner != owner[d]), out),
        owner, candidates, chunk=chunk)
    best: dict[tuple[bytes, bytes], int] = {}
    for (d, c), inliers in found.items():
        a, b = bytes(index.sha[d]), bytes(index.sha[c])
        key = (min(a, b), max(a, b))
        best[key] = max(best.get(key, 0), inliers)
    return [SceneLink(a, b, n) for (a, b), n in sorted(best.items())]
