"""Plug-in embeddings as signals: one ``embedding:<plug-in>`` per image-embedding model.

Each picture's vector (the model run on the upright decode, through signals/plugins.py) is
kept in the signal's row as float16, base64: ``2 * dimension`` bytes of numbers, 1,368
characters for a 512-number CLIP vector, plus a few of JSON. Half precision is plenty for
ranking by cosine (its error, about 1e-3 of a unit vector, is far below the gaps between
neighbours) and halves the store. A video gets a vector for each keyframe OCR and faces
look at (``frames.vision_keyframes``, at most four by default), with its time, computed in
one batch, and their mean as its own. The model is loaded once per process; ``check`` loads
it at a run's start, so a model that does not load or does not give its declared dimension
stops the run with one line. Computed only when plug-ins are configured.
"""

from __future__ import annotations

import base64
import functools
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from cumberland.records import Output
from cumberland.settings import Settings
from cumberland.signals import exif, frames
from cumberland.signals.base import Consumes, Inputs, Signal
from cumberland.signals.pixels import upright_of
from cumberland.signals.plugins import (
    IMAGE_EMBEDDING,
    ImageEmbedder,
    PluginManifest,
    load_image_embedders,
    plugin_manifests,
)

PREFIX = "embedding:"


def signal_name(plugin: str) -> str:
    return f"{PREFIX}{plugin}"


def encode(vector: NDArray[np.float32]) -> str:
    return base64.b64encode(np.asarray(vector, "<f2").tobytes()).decode("ascii")


def decode(data: dict[str, Any], dimension: int | None = None) -> NDArray[np.float32]:
    """A stored row's (or a video keyframe's) vector, float32; ValueError when it holds no
    usable one."""
    raw = base64.b64decode(str(data["vector"]), validate=True)
    want = int(data.get("dimension", 0)) if dimension is None else dimension
    if want <= 0 or len(raw) != 2 * want:
        raise ValueError(f"an embedding of {want} numbers is {2 * want} bytes, not {len(raw)}")
    return np.frombuffer(raw, "<f2").astype(np.float32)


@functools.lru_cache(maxsize=4)
def embedders(folder: str) -> dict[str, ImageEmbedder]:
    """The folder's image-embedding models, loaded once per process."""
    return {e.name: e for e in load_image_embedders(Path(folder))}


def plugin_signals(folder: str | None) -> list[Signal]:
    """One signal per image-embedding plug-in of ``folder``, versioned by its manifest."""
    if not folder:
        return []
    return [_signal(folder, m) for m in plugin_manifests(Path(folder))
            if m.kind == IMAGE_EMBEDDING]


def _signal(folder: str, manifest: PluginManifest) -> Signal:
    name = manifest.name

    def row(vector: NDArray[np.float32], reasons: list[str], **more: Any) -> Output:
        return Output(data={"plugin": name, "version": manifest.version,
                            "dimension": int(vector.shape[0]), "dtype": "float16",
                            "vector": encode(vector), **more}, reasons=reasons, value=vector)

    def compute(inputs: Inputs) -> Output | None:
        model = embedders(folder)[name]
        what = f"{model.dimension}-number embedding by plug-in {name} v{manifest.version}"
        if inputs.kind != "video":
            return row(model.embed_batch([Image.fromarray(upright_of(inputs))])[0], [what])
        keys, total = frames.vision_keyframes(inputs)  # a video: each keyframe, one batch
        if not keys:
            return None
        found = model.embed_batch([Image.fromarray(rgb) for _, rgb in keys])
        mean = found.mean(axis=0)
        mean /= max(float(np.linalg.norm(mean)), 1e-12)
        return row(mean, [f"{what}, of {len(keys)} keyframe(s) (the vector: their mean)",
                          *frames.keyframe_note(len(keys), total)],
                   frames=[{"t": round(t, 3), "vector": encode(v)}
                           for (t, _), v in zip(keys, found, strict=True)])

    def check(settings: Settings) -> None:
        embedders(folder)

    return Signal.define(
        signal_name(name), manifest.version, ["image", "video"],
        [Consumes.PIXELS, Consumes.FRAMES, Consumes.SIGNALS], compute,
        f"ONNX plug-in {name} (image-embedding, {manifest.dimension} numbers, of a picture or "
        "each keyframe of a video; pictures like this, text queries)",
        needs=[exif.SIGNAL.name], check=check)
