"""The one list of per-image signals run after the single decode.

Each signal declares its name and version; outputs are stored per media with that version,
so a later run can tell which records are stale. A signal that fails records an error in its
own output; it never fails the item.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cumberland.errors import one_line
from cumberland.pipeline.tasks import SignalOutput
from cumberland.settings import Settings
from cumberland.signals.image import DecodedImage


@dataclass(frozen=True, slots=True)
class ImageSignal:
    name: str
    version: int
    compute: Callable[[DecodedImage, bytes | None, Settings], dict[str, Any] | None]


IMAGE_SIGNALS: list[ImageSignal] = []


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
