"""Pluggable learned detectors: a folder of ONNX models, each described by a small manifest.

Learned scores are for ranking, never for clearing an image: published AI-image detectors fall
to near chance on modern generators and on recompressed or resized files, and they learn dataset
shortcuts. So a plug-in only says what its output means and where its threshold is; the
provenance report turns an "ai-detector" over threshold into *weak* evidence and records other
classifiers' scores as plain findings. Models run on CPU through onnxruntime, in batches.

Manifest (``<name>.json`` or ``<name>.toml`` beside the model)::

    name = "example"            # unique
    version = "1"
    kind = "ai-detector"        # or "classifier"
    model = "example.onnx"      # relative to the manifest
    input_size = [224, 224]     # width, height
    mean = [0.485, 0.456, 0.406]
    std = [0.229, 0.224, 0.225]
    channel_order = "RGB"       # or "BGR"
    layout = "NCHW"             # or "NHWC"
    pixel_scale = 0.00392156862745098   # multiply 0-255 pixels by this before mean/std
    threshold = 0.5
    [output]
    index = 1                   # column of the output row
    activation = "none"         # "none" | "sigmoid" | "softmax"
    meaning = "probability of class 'generated' at index 1"
"""

from __future__ import annotations

import json
import math
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, cast, runtime_checkable

import numpy as np
import onnxruntime as ort
from PIL import Image

PluginKind = Literal["ai-detector", "classifier"]
_KINDS = ("ai-detector", "classifier")
_ACTIVATIONS = ("none", "sigmoid", "softmax")


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
class PluginManifest:
    """A validated manifest; see the module docstring for the fields."""

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


def _triple(raw: Any, field: str, where: Path) -> tuple[float, float, float]:
    if not isinstance(raw, list) or len(raw) != 3:
        raise PluginError(f"{where.name}: {field} must be a list of 3 numbers")
    a, b, c = (float(x) for x in raw)
    return (a, b, c)


def parse_manifest(path: Path) -> PluginManifest:
    """Read and validate one manifest file (JSON or TOML)."""
    try:
        text = path.read_text("utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise PluginError(f"{path.name}: unreadable manifest ({exc})") from None
    if not isinstance(raw, dict):
        raise PluginError(f"{path.name}: manifest must be an object")
    try:
        output = raw.get("output") or {}
        size = raw["input_size"]
        manifest = PluginManifest(
            name=str(raw["name"]),
            version=str(raw["version"]),
            kind=cast(PluginKind, str(raw["kind"])),
            model=path.parent / str(raw.get("model", path.stem + ".onnx")),
            input_size=(int(size[0]), int(size[1])),
            mean=_triple(raw.get("mean", [0.0, 0.0, 0.0]), "mean", path),
            std=_triple(raw.get("std", [1.0, 1.0, 1.0]), "std", path),
            channel_order=cast(Literal["RGB", "BGR"], str(raw.get("channel_order", "RGB"))),
            layout=cast(Literal["NCHW", "NHWC"], str(raw.get("layout", "NCHW"))),
            pixel_scale=float(raw.get("pixel_scale", 1 / 255)),
            threshold=float(raw["threshold"]),
            output_index=int(output.get("index", 0)),
            activation=str(output.get("activation", "none")),
            meaning=str(output["meaning"]),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise PluginError(f"{path.name}: missing or bad field ({exc})") from None
    checks = (
        (manifest.kind in _KINDS, f"kind must be one of {_KINDS}"),
        (manifest.channel_order in ("RGB", "BGR"), "channel_order must be RGB or BGR"),
        (manifest.layout in ("NCHW", "NHWC"), "layout must be NCHW or NHWC"),
        (manifest.activation in _ACTIVATIONS, f"activation must be one of {_ACTIVATIONS}"),
        (min(manifest.input_size) > 0, "input_size must be positive"),
        (all(s != 0 for s in manifest.std), "std must not contain 0"),
        (manifest.model.is_file(), f"model file {manifest.model.name} not found"),
        (math.isfinite(manifest.threshold), "threshold must be a number"),
    )
    for ok, problem in checks:
        if not ok:
            raise PluginError(f"{path.name}: {problem}")
    return manifest


class OnnxDetector:
    """A manifest plus its onnxruntime CPU session."""

    def __init__(self, manifest: PluginManifest) -> None:
        self.manifest = manifest
        self.name = manifest.name
        self.version = manifest.version
        self.kind: PluginKind = manifest.kind
        self.threshold = manifest.threshold
        self.meaning = manifest.meaning
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # ingest parallelises across files, not inside a model
        self._session = ort.InferenceSession(
            str(manifest.model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._input = self._session.get_inputs()[0].name

    def preprocess(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Resize, scale, normalise and lay out a batch as the model expects (float32)."""
        m = self.manifest
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

    def score_batch(self, images: Sequence[Image.Image]) -> list[float]:
        """Run the model once on the whole batch; one score per image."""
        if not images:
            return []
        out = np.asarray(self._session.run(None, {self._input: self.preprocess(images)})[0])
        out = out.reshape(out.shape[0], -1).astype(np.float64)
        if self.manifest.activation == "softmax":
            e = np.exp(out - out.max(axis=1, keepdims=True))
            out = e / e.sum(axis=1, keepdims=True)
        column = out[:, self.manifest.output_index]
        if self.manifest.activation == "sigmoid":
            column = 1.0 / (1.0 + np.exp(-column))
        return [float(v) for v in column]


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
    return [manifests[name] for name in sorted(manifests)]


def load_plugins(folder: Path) -> list[Detector]:
    """Every plug-in of `folder` (``plugin_manifests``) with its model loaded."""
    detectors: list[Detector] = []
    for manifest in plugin_manifests(folder):
        try:
            detectors.append(OnnxDetector(manifest))
        except Exception as exc:  # onnxruntime raises its own exception types
            raise PluginError(f"{manifest.model.name}: model not loadable ({exc})"[:400]) from None
    return detectors
