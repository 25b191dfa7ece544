"""Pluggable ONNX models: a folder of models, each described by a small manifest beside it.

Two families share the slot (the manifest format, field by field, is in docs/plugins.md):

* Learned detectors (kinds ``ai-detector``, ``classifier``) give a score. Learned scores are
  for ranking, never for clearing an image: published AI-image detectors fall to near chance
  on modern generators and on recompressed or resized files, and they learn dataset
  shortcuts. So a plug-in only says what its output means and where its threshold is; the
  provenance report turns an "ai-detector" over threshold into *weak* evidence and records
  other classifiers' scores as plain findings.
* Embedding models (kind ``image-embedding``: a picture to a vector of ``dimension`` numbers;
  optionally a ``text-embedding`` paired with one, text to a vector in the same space, its
  text turned into token ids by a word vocabulary shipped beside it) give "pictures like
  this" and text queries (``matching/pictures.py``).

Models run on CPU through onnxruntime, in batches; nothing is downloaded.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, cast, runtime_checkable

import numpy as np
import onnxruntime as ort
from numpy.typing import NDArray
from PIL import Image

PluginKind = Literal["ai-detector", "classifier", "image-embedding", "text-embedding"]
DETECTOR_KINDS = ("ai-detector", "classifier")
IMAGE_EMBEDDING = "image-embedding"
TEXT_EMBEDDING = "text-embedding"
_KINDS = (*DETECTOR_KINDS, IMAGE_EMBEDDING, TEXT_EMBEDDING)
_ACTIVATIONS = ("none", "sigmoid", "softmax")
MAX_DIMENSION = 8192
MAX_TOKENS = 1024
Vectors = NDArray[np.float32]
T = TypeVar("T")


class PluginError(ValueError):
    """A plug-in folder entry that cannot be used; the message names the file and the problem."""


@runtime_checkable
class Detector(Protocol):
    """What the provenance layer needs from a learned detector."""

    name: str
    version: str
    kind: PluginKind
    threshold: float
    meaning: str

    def score_batch(self, images: Sequence[Image.Image]) -> list[float]:
        """One score per image, in order."""
        ...


@dataclass(frozen=True, slots=True)
class Tokens:
    """How a text-embedding model's text becomes token ids: words (runs of letters and
    digits) looked up in ``vocabulary`` (one token a line, its id the line number from 0),
    framed by ``start``/``end`` when given, cut or padded with ``pad`` to ``length``."""

    vocabulary: Path
    length: int
    pad: int
    start: int | None
    end: int | None
    unknown: int | None  # id of a word not in the vocabulary; None: such words are dropped
    lowercase: bool


@dataclass(frozen=True, slots=True)
class PluginManifest:
    """A validated manifest; see docs/plugins.md for the fields."""

    name: str
    version: str
    kind: PluginKind
    model: Path
    input_size: tuple[int, int]
    mean: tuple[float, float, float]
    std: tuple[float, float, float]
    channel_order: Literal["RGB", "BGR"]
    layout: Literal["NCHW", "NHWC"]
    pixel_scale: float
    threshold: float
    output_index: int
    activation: str
    meaning: str
    output_name: str | None = None  # the model output to read (default: its first)
    dimension: int = 0  # embeddings: numbers per vector
    normalise: bool = True  # embeddings: scale each vector to unit length
    image_model: str | None = None  # text-embedding: the image-embedding sharing its space
    tokens: Tokens | None = None  # text-embedding: how text becomes ids


def _triple(raw: Any, field: str, where: Path) -> tuple[float, float, float]:
    if not isinstance(raw, list) or len(raw) != 3:
        raise PluginError(f"{where.name}: {field} must be a list of 3 numbers")
    a, b, c = (float(x) for x in raw)
    return (a, b, c)


def _optional_int(raw: Any) -> int | None:
    return None if raw is None else int(raw)


def _tokens(raw: Any, path: Path) -> Tokens:
    if not isinstance(raw, dict):
        raise PluginError(f"{path.name}: a text-embedding needs a [tokens] table")
    return Tokens(path.parent / str(raw["vocabulary"]), int(raw["length"]),
                  int(raw.get("pad", 0)), _optional_int(raw.get("start")),
                  _optional_int(raw.get("end")), _optional_int(raw.get("unknown")),
                  bool(raw.get("lowercase", True)))


def _fields(raw: dict[str, Any], path: Path) -> PluginManifest:
    kind = cast(PluginKind, str(raw["kind"]))
    image = kind != TEXT_EMBEDDING
    detector = kind in DETECTOR_KINDS
    output = raw.get("output") or {}
    size = raw["input_size"] if image else (1, 1)
    return PluginManifest(
        name=str(raw["name"]),
        version=str(raw["version"]),
        kind=kind,
        model=path.parent / str(raw.get("model", path.stem + ".onnx")),
        input_size=(int(size[0]), int(size[1])),
        mean=_triple(raw.get("mean", [0.0, 0.0, 0.0]), "mean", path),
        std=_triple(raw.get("std", [1.0, 1.0, 1.0]), "std", path),
        channel_order=cast(Literal["RGB", "BGR"], str(raw.get("channel_order", "RGB"))),
        layout=cast(Literal["NCHW", "NHWC"], str(raw.get("layout", "NCHW"))),
        pixel_scale=float(raw.get("pixel_scale", 1 / 255)),
        threshold=float(raw["threshold"]) if detector else math.nan,
        output_index=int(output.get("index", 0)),
        activation=str(output.get("activation", "none")),
        meaning=str(output["meaning"]) if detector else str(output.get("meaning", "")),
        output_name=str(output["name"]) if "name" in output else None,
        dimension=0 if detector else int(raw["dimension"]),
        normalise=bool(raw.get("normalise", True)),
        image_model=str(raw["image_model"]) if kind == TEXT_EMBEDDING else None,
        tokens=_tokens(raw.get("tokens"), path) if kind == TEXT_EMBEDDING else None,
    )


def _problems(m: PluginManifest) -> tuple[tuple[bool, str], ...]:
    detector = m.kind in DETECTOR_KINDS
    tokens = m.tokens
    return (
        (m.kind in _KINDS, f"kind must be one of {_KINDS}"),
        (m.channel_order in ("RGB", "BGR"), "channel_order must be RGB or BGR"),
        (m.layout in ("NCHW", "NHWC"), "layout must be NCHW or NHWC"),
        (m.activation in _ACTIVATIONS, f"activation must be one of {_ACTIVATIONS}"),
        (min(m.input_size) > 0, "input_size must be positive"),
        (all(s != 0 for s in m.std), "std must not contain 0"),
        (m.model.is_file(), f"model file {m.model.name} not found"),
        (not detector or math.isfinite(m.threshold), "threshold must be a number"),
        (detector or 0 < m.dimension <= MAX_DIMENSION,
         f"dimension must be from 1 to {MAX_DIMENSION}"),
        (tokens is None or 0 < tokens.length <= MAX_TOKENS,
         f"tokens.length must be from 1 to {MAX_TOKENS}"),
        (tokens is None or tokens.vocabulary.is_file(),
         f"vocabulary file {tokens.vocabulary.name if tokens else ''} not found"),
    )


def parse_manifest(path: Path) -> PluginManifest:
    """Read and validate one manifest file (JSON or TOML)."""
    try:
        text = path.read_text("utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise PluginError(f"{path.name}: unreadable manifest ({exc})") from None
    if not isinstance(raw, dict):
        raise PluginError(f"{path.name}: manifest must be an object")
    if str(raw.get("kind")) not in _KINDS:
        raise PluginError(f"{path.name}: kind must be one of {_KINDS}")
    try:
        manifest = _fields(raw, path)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise PluginError(f"{path.name}: missing or bad field ({exc})") from None
    for ok, problem in _problems(manifest):
        if not ok:
            raise PluginError(f"{path.name}: {problem}")
    return manifest


def _session(manifest: PluginManifest) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # ingest parallelises across files, not inside a model
    return ort.InferenceSession(str(manifest.model), sess_options=options,
                                providers=["CPUExecutionProvider"])


def _output(session: ort.InferenceSession, manifest: PluginManifest,
            feed: dict[str, Any]) -> NDArray[Any]:
    names = [o.name for o in session.get_outputs()]
    wanted = manifest.output_name or names[0]
    if wanted not in names:
        raise PluginError(f"{manifest.name}: the model has no output {wanted!r} ({names})")
    return np.asarray(session.run([wanted], feed)[0])


def preprocess(manifest: PluginManifest, images: Sequence[Image.Image]) -> np.ndarray:
    """Resize, scale, normalise and lay out a batch as the model expects (float32)."""
    m = manifest
    mean = np.asarray(m.mean, dtype=np.float32)
    std = np.asarray(m.std, dtype=np.float32)
    rows = []
    for image in images:
        rgb = image.convert("RGB").resize(m.input_size, Image.Resampling.BILINEAR)
        x = np.asarray(rgb, dtype=np.float32) * np.float32(m.pixel_scale)
        x = (x - mean) / std
        if m.channel_order == "BGR":
            x = x[..., ::-1]
        rows.append(x.transpose(2, 0, 1) if m.layout == "NCHW" else x)
    return np.ascontiguousarray(np.stack(rows), dtype=np.float32)


class OnnxDetector:
    """A detector's manifest plus its onnxruntime CPU session."""

    def __init__(self, manifest: PluginManifest) -> None:
        self.manifest = manifest
        self.name = manifest.name
        self.version = manifest.version
        self.kind: PluginKind = manifest.kind
        self.threshold = manifest.threshold
        self.meaning = manifest.meaning
        self._session = _session(manifest)
        self._input = self._session.get_inputs()[0].name

    def preprocess(self, images: Sequence[Image.Image]) -> np.ndarray:
        return preprocess(self.manifest, images)

    def score_batch(self, images: Sequence[Image.Image]) -> list[float]:
        """Run the model once on the whole batch; one score per image."""
        if not images:
            return []
        out = _output(self._session, self.manifest, {self._input: self.preprocess(images)})
        out = out.reshape(out.shape[0], -1).astype(np.float64)
        if self.manifest.activation == "softmax":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        column = out[:, self.manifest.output_index]
        if self.manifest.activation == "sigmoid":
            column = 1.0 / (1.0 + np.exp(-column))
        return [float(v) for v in column]


def _vectors(manifest: PluginManifest, out: NDArray[Any], rows: int) -> Vectors:
    """The model's output as ``rows`` vectors of the declared dimension (unit length when
    the manifest says ``normalise``)."""
    out = np.asarray(out, np.float32).reshape(rows, -1) if rows else np.zeros(
        (0, manifest.dimension), np.float32)
    if out.shape[1] != manifest.dimension:
        raise PluginError(f"{manifest.name}: the model gives {out.shape[1]} numbers per "
                          f"vector, the manifest declares dimension {manifest.dimension}")
    if not np.all(np.isfinite(out)):
        raise PluginError(f"{manifest.name}: the model gave a vector that is not finite")
    if manifest.normalise:
        out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
    return np.ascontiguousarray(out, np.float32)


class ImageEmbedder:
    """An image-embedding model: pictures to vectors. Loading runs it once on a blank
    picture, so a model whose output does not match the declared dimension is refused at
    the start of a run, not on every item."""

    def __init__(self, manifest: PluginManifest) -> None:
        self.manifest = manifest
        self.name = manifest.name
        self.version = manifest.version
        self.dimension = manifest.dimension
        self._session = _session(manifest)
        self._input = self._session.get_inputs()[0].name
        self.embed_batch([Image.new("RGB", manifest.input_size)])

    def embed_batch(self, images: Sequence[Image.Image]) -> Vectors:
        """One vector per image, in order (a (len(images), dimension) float32 array)."""
        if not images:
            return _vectors(self.manifest, np.zeros(0), 0)
        feed = {self._input: preprocess(self.manifest, images)}
        return _vectors(self.manifest, _output(self._session, self.manifest, feed), len(images))


_WORD = re.compile(r"\w+")


class TextEmbedder:
    """A text-embedding model: words to vectors in its image model's space."""

    def __init__(self, manifest: PluginManifest) -> None:
        assert manifest.tokens is not None
        self.manifest = manifest
        self.name = manifest.name
        self.image_model = manifest.image_model
        self.tokens = manifest.tokens
        try:
            words = self.tokens.vocabulary.read_text("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise PluginError(f"{self.tokens.vocabulary.name}: unreadable vocabulary "
                              f"({exc})") from None
        self.vocabulary = {w: i for i, w in reversed(list(enumerate(words))) if w}
        self._session = _session(manifest)
        inputs = self._session.get_inputs()
        self._ids, self._mask = inputs[0], inputs[1] if len(inputs) > 1 else None
        self._embed([[self.tokens.pad]])

    def token_ids(self, text: str) -> tuple[list[int], list[str]]:
        """The ids of ``text`` (framed, at most ``length``, not padded) and the words the
        vocabulary knows."""
        t = self.tokens
        words = _WORD.findall(text.lower() if t.lowercase else text)
        known = [w for w in words if w in self.vocabulary]
        body = [i for i in (self.vocabulary.get(w, t.unknown) for w in words) if i is not None]
        start = [t.start] if t.start is not None else []
        end = [t.end] if t.end is not None else []
        return [*start, *body[:max(t.length - len(start) - len(end), 0)], *end], known

    def embed_texts(self, texts: Sequence[str]) -> tuple[Vectors, list[list[str]]]:
        """One vector per text, and the words of each that the vocabulary knows."""
        pairs = [self.token_ids(t) for t in texts]
        return self._embed([ids for ids, _ in pairs]), [known for _, known in pairs]

    def _embed(self, rows: list[list[int]]) -> Vectors:
        """Ids padded to ``length``; a second model input, when there is one, gets the
        attention mask (1 over the tokens, 0 over the padding)."""
        dtype = np.int32 if self._ids.type == "tensor(int32)" else np.int64
        length = self.tokens.length
        ids = np.full((len(rows), length), self.tokens.pad, dtype)
        mask = np.zeros((len(rows), length), dtype)
        for n, row in enumerate(rows):
            ids[n, :len(row)] = row[:length]
            mask[n, :max(len(row), 1)] = 1
        feed: dict[str, Any] = {self._ids.name: ids}
        if self._mask is not None:
            feed[self._mask.name] = mask
        return _vectors(self.manifest, _output(self._session, self.manifest, feed), len(rows))


def plugin_manifests(folder: Path) -> list[PluginManifest]:
    """Every plug-in manifest (*.json, *.toml) in `folder`, validated, sorted by name.

    A broken manifest raises PluginError: a configured detector that silently disappears
    would make reports look cleaner than they are.
    """
    manifests: dict[str, PluginManifest] = {}
    for path in sorted(folder.iterdir()):
        if path.suffix not in (".json", ".toml") or not path.is_file():
            continue
        manifest = parse_manifest(path)
        if manifest.name in manifests:
            raise PluginError(f"{path.name}: duplicate plug-in name {manifest.name!r}")
        manifests[manifest.name] = manifest
    for m in manifests.values():  # a text model must name the image model of its space
        if m.kind != TEXT_EMBEDDING:
            continue
        image = manifests.get(m.image_model or "")
        if image is None or image.kind != IMAGE_EMBEDDING:
            raise PluginError(f"{m.name}: image_model {m.image_model!r} is not an "
                              "image-embedding plug-in of this folder")
        if image.dimension != m.dimension:
            raise PluginError(f"{m.name}: dimension {m.dimension} differs from "
                              f"{image.name}'s {image.dimension}")
    return [manifests[name] for name in sorted(manifests)]


def _loaded(folder: Path, kinds: Sequence[str], make: Callable[[PluginManifest], T]) -> list[T]:
    out: list[T] = []
    for manifest in plugin_manifests(folder):
        if manifest.kind not in kinds:
            continue
        try:
            out.append(make(manifest))
        except PluginError:
            raise
        except Exception as exc:  # onnxruntime raises its own exception types
            raise PluginError(f"{manifest.model.name}: model not loadable ({exc})"[:400]) from None
    return out


def load_plugins(folder: Path) -> list[Detector]:
    """Every detector plug-in of `folder` (``plugin_manifests``) with its model loaded."""
    return _loaded(folder, DETECTOR_KINDS, OnnxDetector)


def load_image_embedders(folder: Path) -> list[ImageEmbedder]:
    return _loaded(folder, [IMAGE_EMBEDDING], ImageEmbedder)


def load_text_embedders(folder: Path) -> list[TextEmbedder]:
    return _loaded(folder, [TEXT_EMBEDDING], TextEmbedder)
