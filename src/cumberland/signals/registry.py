"""The one list of per-image signals run after the single decode.

Each signal declares its name and version; outputs are stored per media with that version,
so a later run can tell which records are stale. A signal that fails records an error in its
own output; it never fails the item.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cumberland.errors import one_line
from cumberland.records import SignalOutput
from cumberland.settings import Settings
from cumberland.signals.image import DecodedImage
from cumberland.signals.plugins import Detector, load_plugins
from cumberland.signals.provenance import SIGNAL_VERSIONS, assess


@dataclass(frozen=True, slots=True)
class ImageSignal:
    name: str
    version: int
    compute: Callable[[DecodedImage, bytes | None, Settings], dict[str, Any] | None]


@functools.lru_cache(maxsize=4)
def _detectors(folder: str | None) -> tuple[Detector, ...]:
    """Plug-ins are loaded once per worker process, not once per image."""
    return tuple(load_plugins(Path(folder))) if folder else ()


def _provenance(decoded: DecodedImage, data: bytes | None, settings: Settings) -> dict[str, Any]:
    if data is None:
        return {"level": "none", "reasons": [], "findings": [], "conflicts": [],
                "errors": ["provenance: file over the in-memory limit, not assessed"]}
    anchors = Path(settings.trust_anchors) if settings.trust_anchors else None
    report = assess(data, decoded.image, trust_anchors=anchors,
                    detectors=_detectors(settings.plugins_dir))
    return report.to_dict()


PROVENANCE = "provenance"
IMAGE_SIGNALS: list[ImageSignal] = [
    ImageSignal(PROVENANCE, max(SIGNAL_VERSIONS.values()), _provenance),
]


def ai_level(outputs: list[SignalOutput]) -> str | None:
    """The synthetic-media assessment level carried by the provenance output, if any."""
    for out in outputs:
        if out.name == PROVENANCE and isinstance(out.data.get("level"), str):
            return str(out.data["level"])
    return None


def run_image_signals(
    decoded: DecodedImage, data: bytes | None, settings: Settings
) -> list[SignalOutput]:
    outputs = []
    for signal in IMAGE_SIGNALS:
        try:
            value = signal.compute(decoded, data, settings)
        except Exception as exc:  # hostile input: keep the error with the signal, go on
            value = {"error": one_line(exc)}
        if value is not None:
            outputs.append(SignalOutput(signal.name, signal.version, value))
    return outputs
