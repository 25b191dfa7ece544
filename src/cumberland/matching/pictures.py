"""Pictures like this, and pictures a few words describe: plug-in embeddings searched.

The ``embedding:<plug-in>`` signal keeps one vector per picture (signals/embeddings.py).
They are gathered into the workspace's ``embeddings`` folder (one float16 matrix per plug-in
and version, brought up to date at each search: new media are read and added, a media gone
rebuilds it) and searched by cosine (index/vectors.py: exact up to 100 k pictures, an
inverted file beyond, saved beside the matrix and grown with it). A query is a picture's own
stored vector ("pictures like this") or a text's vector from the text-embedding model paired
with the image model. Only media of the cases searched are scored; the query picture itself
is left out.

The plug-in folder is the one given (``--plugins``) or else the one the case's latest run was
given, so an examiner who triaged with plug-ins searches without naming them again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from cumberland.index import vectors as vector_index
from cumberland.index.scenes import save_arrays
from cumberland.index.vectors import VectorIndex
from cumberland.signals import embeddings
from cumberland.signals.plugins import (
    IMAGE_EMBEDDING,
    TEXT_EMBEDDING,
    PluginManifest,
    TextEmbedder,
    load_text_embedders,
    plugin_manifests,
)
from cumberland.store.models import Case, Item, SignalRecord
from cumberland.store.reopen import case_setting
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace

FOLDER = "embeddings"
NOT_CONFIGURED = ("no embedding plug-in configured: give --plugins DIR, a folder with an "
                  "image-embedding model (docs/plugins.md)")


class PicturesError(ValueError):
    """A query that cannot run (no plug-in, no embeddings yet, unknown media): one line."""


@dataclass(frozen=True, slots=True)
class Space:
    """The embedding model searched: its folder and its manifest."""

    folder: str
    model: PluginManifest

    @property
    def signal(self) -> str:
        return embeddings.signal_name(self.model.name)

    def enrich_hint(self, case: str) -> str:
        return (f"run `cumberland enrich --case {case} --signal {self.signal} --plugins "
                f"{self.folder}`")


def space(ws: Workspace, case_id: int, plugins: Path | str | None = None) -> Space:
    """The image-embedding model to search with (the first by name when there are several);
    PluginError for a broken folder, PicturesError when none is configured."""
    folder = str(plugins) if plugins else case_setting(ws, case_id, "plugins_dir")
    if not folder:
        raise PicturesError(NOT_CONFIGURED)
    if not Path(folder).is_dir():
        raise PicturesError(f"plug-in folder {folder} is not there: give --plugins DIR")
    models = [m for m in plugin_manifests(Path(folder)) if m.kind == IMAGE_EMBEDDING]
    if not models:
        raise PicturesError(f"{NOT_CONFIGURED}; {folder} has none")
    return Space(folder, models[0])


@dataclass(slots=True)
class Embedded:
    """The workspace's vectors of one model: row i is media ``sha[i]`` (a video's keyframe
    at ``at[i]`` seconds, NaN for a picture). ``path`` is where they are saved; an inverted
    file over them is saved beside it, named by the rows it covers, and grown with the rows
    appended since (index/vectors.py)."""

    sha: NDArray[np.uint8]  # (n, 32)
    vectors: NDArray[np.float16]  # (n, dimension)
    at: NDArray[np.float64]  # (n,)
    path: Path | None = None
    _index: VectorIndex | None = None
    _repeats: int | None = None

    @property
    def repeats(self) -> int:
        """Rows beyond a media's first (videos' other keyframes): how many more rows a
        search reads so that each result is a different media."""
        if self._repeats is None:
            self._repeats = len(self.sha) - len(self.media())
        return self._repeats

    @property
    def index(self) -> VectorIndex:
        if self._index is None or not self._index.fits(len(self.sha)):
            self._index = self._indexed()
        return self._index

    def _name(self, rows: int) -> Path:
        assert self.path is not None
        digest = hashlib.sha256(self.sha[:rows].tobytes()).hexdigest()[:16]
        return self.path.with_name(f"{self.path.stem}.{rows}.{digest}.ivf")

    def _indexed(self) -> VectorIndex:
        rows = len(self.sha)
        if self.path is None or rows <= vector_index.FLAT_LIMIT:
            return VectorIndex(self.vectors.astype(np.float32))
        saved = sorted(self.path.parent.glob(f"{self.path.stem}.*.ivf"))
        found = None
        for old in saved:
            count = int(old.name.split(".")[1])
            if found is None and count <= rows and old == self._name(count):
                loaded = VectorIndex.load(old)
                if loaded is not None and loaded.size == count and loaded.fits(rows):
                    loaded.add(self.vectors[count:].astype(np.float32))
                    found = loaded
        if found is None:
            found = VectorIndex(self.vectors.astype(np.float32))
        target = self._name(rows)
        if not target.is_file():
            found.save(target)
        for old in saved:
            if old != target:
                old.unlink(missing_ok=True)
        return found

    def of(self, sha256: bytes) -> NDArray[np.float32] | None:
        """The media's vector (a video's: the mean of its keyframes', unit length)."""
        rows = np.flatnonzero(np.all(self.sha == np.frombuffer(sha256, np.uint8), axis=1))
        if not len(rows):
            return None
        mean = self.vectors[rows].astype(np.float32).mean(axis=0)
        unit: NDArray[np.float32] = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return unit

    def media(self) -> set[bytes]:
        return {bytes(r) for r in self.sha}


def _cache_path(ws: Workspace, model: PluginManifest) -> Path:
    tag = hashlib.sha256(f"{model.name}\0{model.version}".encode()).hexdigest()[:16]
    return ws.root / FOLDER / f"{tag}.npz"


Row = tuple[bytes, float, NDArray[np.float32]]  # media, keyframe time (NaN), vector


def _vectors_of(data: dict[str, Any], sha: bytes, dimension: int) -> list[Row]:
    """A stored row's vectors: a picture's one, or each keyframe's of a video."""
    try:
        if "frames" in data:
            return [(sha, float(f["t"]), embeddings.decode(f, dimension))
                    for f in data["frames"]]
        return [(sha, math.nan, embeddings.decode(data, dimension))]
    except (KeyError, TypeError, ValueError):
        return []  # an error row, or a damaged vector: not searchable


def _rows(ws: Workspace, space: Space, shas: Sequence[bytes]) -> list[Row]:
    """The usable vectors of ``shas`` made by this model version (others are stale)."""
    query = select(SignalRecord.media_sha256, SignalRecord.data).where(
        SignalRecord.name == space.signal)
    got: list[Row] = []
    with ws.engine.connect() as conn:
        for sha, raw in in_chunks(conn, query, SignalRecord.media_sha256, list(shas)):
            data = json.loads(raw) if isinstance(raw, str | bytes) else raw
            if isinstance(data, dict) and str(data.get("version")) == space.model.version:
                got += _vectors_of(data, bytes(sha), space.model.dimension)
    return got


_memory: dict[Path, tuple[float, Embedded]] = {}
_memory_lock = Lock()


def current(ws: Workspace, space: Space, case: str) -> Embedded:
    """The model's vectors over the workspace, brought up to date with its rows."""
    with ws.engine.connect() as conn:
        featured = [bytes(s) for s in conn.scalars(select(SignalRecord.media_sha256).where(
            SignalRecord.name == space.signal).order_by(SignalRecord.media_sha256))]
    if not featured:
        raise PicturesError(f"no embeddings by plug-in {space.model.name} in this workspace "
                            f"yet: {space.enrich_hint(case)}")
    path = _cache_path(ws, space.model)
    found = _load(path)
    have = found.media() if found is not None else set()
    new = [s for s in featured if s not in have]
    if found is not None and not new and have <= set(featured):
        return found
    if found is None or not have <= set(featured):  # a media gone: start again
        found, new = Embedded(np.zeros((0, 32), np.uint8),
                              np.zeros((0, space.model.dimension), np.float16),
                              np.zeros(0, np.float64)), featured
    rows = _rows(ws, space, new)
    if rows or not path.is_file():
        table = np.frombuffer(b"".join(r[0] for r in rows), np.uint8).reshape(len(rows), 32)
        stack = (np.stack([r[2] for r in rows]).astype(np.float16) if rows
                 else np.zeros((0, space.model.dimension), np.float16))
        found = Embedded(np.concatenate([found.sha, table]),
                         np.concatenate([found.vectors, stack]),
                         np.concatenate([found.at, np.asarray([r[1] for r in rows])]), path)
        save_arrays(path, sha=found.sha, vectors=found.vectors, at=found.at)
        with _memory_lock:
            _memory.pop(path, None)
    return found


def _load(path: Path) -> Embedded | None:
    """The saved matrix, kept in memory (with its index) while the file is unchanged."""
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    with _memory_lock:
        kept = _memory.get(path)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    try:
        with np.load(path) as saved:
            found = Embedded(saved["sha"], saved["vectors"], saved["at"], path)
    except (OSError, KeyError, ValueError):
        return None
    with _memory_lock:
        _memory[path] = (stamp, found)
    return found


@dataclass(frozen=True, slots=True)
class Hit:
    sha256: bytes
    score: float  # cosine similarity (inner product of unit vectors)
    cases: tuple[str, ...]
    at: float | None = None  # a video: the time of its keyframe most alike

    def as_json(self) -> dict[str, Any]:
        return {"sha256": self.sha256.hex(), "score": round(self.score, 4),
                "cases": list(self.cases), "at": self.at}


@dataclass(slots=True)
class Found:
    hits: list[Hit]
    pictures: int  # pictures (and video keyframes) with a vector in the workspace
    index: str  # "flat" or "ivf"
    cases: list[str]
    model: str
    words: list[str] | None = None  # a text query's words the vocabulary knows


def _visible(ws: Workspace, cases: dict[int, str]) -> dict[bytes, set[str]]:
    """Each media of ``cases`` (id -> name) with the names of those holding it."""
    out: dict[bytes, set[str]] = {}
    with ws.engine.connect() as conn:
        for sha, case in conn.execute(select(Item.media_sha256, Item.case_id).where(
                Item.case_id.in_(list(cases)), Item.media_sha256.is_not(None)).distinct()):
            if sha is not None:
                out.setdefault(bytes(sha), set()).add(cases[int(case)])
    return out


def _ranked(found: Embedded, query: NDArray[np.float32], cases: dict[int, str], limit: int,
            leave_out: bytes | None, space: Space, ws: Workspace) -> Found:
    where = _visible(ws, cases)
    allowed = np.fromiter((bytes(r) in where and bytes(r) != leave_out for r in found.sha),
                          bool, len(found.sha))
    hits: dict[bytes, Hit] = {}  # a video once, at its keyframe most alike
    for r, score in found.index.search(query, limit + found.repeats, allowed):
        sha = bytes(found.sha[r])
        if sha not in hits and len(hits) < limit:
            at = None if math.isnan(found.at[r]) else float(found.at[r])
            hits[sha] = Hit(sha, score, tuple(sorted(where[sha])), at)
    return Found(list(hits.values()), len(found.sha), found.index.kind,
                 sorted(cases.values()), space.model.name)


def like(ws: Workspace, space: Space, case: str, sha256: bytes, cases: dict[int, str],
         limit: int = 50) -> Found:
    """The pictures of ``cases`` most like media ``sha256`` of ``case``, best first."""
    with ws.engine.connect() as conn:
        in_case = conn.scalar(select(Item.id).join(Case, Case.id == Item.case_id).where(
            Item.media_sha256 == sha256, Case.name == case).limit(1))
    if in_case is None:
        raise PicturesError(f"no media {sha256.hex()} in case {case!r}")
    found = current(ws, space, case)
    query = found.of(sha256)
    if query is None:
        raise PicturesError(f"media {sha256.hex()[:16]} has no embedding by plug-in "
                            f"{space.model.name} (not a picture or a video, or not readable): "
                            f"{space.enrich_hint(case)}")
    return _ranked(found, query, cases, limit, sha256, space, ws)


def text_model(space: Space) -> TextEmbedder:
    """The text-embedding model paired with the space's image model."""
    paired = [m for m in plugin_manifests(Path(space.folder))
              if m.kind == TEXT_EMBEDDING and m.image_model == space.model.name]
    if not paired:
        raise PicturesError(f"no text-embedding plug-in paired with {space.model.name} in "
                            f"{space.folder}: text queries need one (docs/plugins.md)")
    return next(t for t in _text_models(space.folder) if t.name == paired[0].name)


@functools.lru_cache(maxsize=4)
def _text_models(folder: str) -> list[TextEmbedder]:
    """Loaded once per process (the web app answers many queries)."""
    return load_text_embedders(Path(folder))


def text(ws: Workspace, space: Space, case: str, words: str, cases: dict[int, str],
         limit: int = 50) -> Found:
    """The pictures of ``cases`` the text describes best (cosine to its vector)."""
    model = text_model(space)
    vectors, known = model.embed_texts([words])
    if not known[0]:
        raise PicturesError(f"none of the words of {words!r} are in the vocabulary of "
                            f"{model.name}")
    found = _ranked(current(ws, space, case), vectors[0], cases, limit, None, space, ws)
    found.words = known[0]
    return found


def dumps(found: Found, query: dict[str, Any]) -> str:
    return json.dumps({"query": query, "model": found.model, "cases": found.cases,
                       "pictures": found.pictures, "index": found.index,
                       "words": found.words, "results": [h.as_json() for h in found.hits]})
