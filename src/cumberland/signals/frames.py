"""The signals of a video's one decoding pass (signals/video.py): vPDQ frame hashes and the
contact sheet. Both read the same sampled frames, so a video is decoded once for both; OCR,
faces and local features read the keyframes kept in that pass (``vision_keyframes``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from cumberland.records import Output
from cumberland.signals.base import Consumes, Inputs, Signal
from cumberland.signals.video import VPDQ_VERSION  # bumped with how frames are sampled


def vision_keyframes(inputs: Inputs) -> tuple[list[tuple[float, NDArray[np.uint8]]], int]:
    """The keyframes (time in seconds, RGB at most ``video.KEYFRAME_SIDE``) that OCR and
    faces look at: at most ``Settings.video_vision_keyframes``, spread over the video; and
    how many keyframes the video had."""
    keys = inputs.video().keyframes
    limit = max(0, inputs.settings.video_vision_keyframes)
    if len(keys) <= limit:
        return list(keys), len(keys)
    if not limit:
        return [], len(keys)
    step = len(keys) / limit
    return [keys[int(i * step)] for i in range(limit)], len(keys)


def keyframe_note(looked: int, total: int) -> list[str]:
    """The reason recorded when a video had more keyframes than were looked at."""
    return [f"{total} keyframes: {looked} spread over the video were looked at"] \
        if total > looked else []


def _vpdq(inputs: Inputs) -> Output:
    return Output(frames=inputs.video().frames)


def _sheet(inputs: Inputs) -> Output | None:
    sheet = inputs.video().thumbnail
    return Output(thumbnail=sheet) if sheet is not None else None


VPDQ = Signal.define(
    "vpdq", VPDQ_VERSION, ["video"], [Consumes.FRAMES], _vpdq,
    "vPDQ: PDQ of sampled frames with frame number and time (media_frames)")
CONTACT_SHEET = Signal.define(
    "contact-sheet", 1, ["video"], [Consumes.FRAMES], _sheet,
    "reviewer thumbnail of a video: frames spread over its length")
