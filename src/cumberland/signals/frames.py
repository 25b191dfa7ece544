"""The signals of a video's one decoding pass (signals/video.py): vPDQ frame hashes and the
contact sheet. Both read the same sampled frames, so a video is decoded once for both.
"""

from __future__ import annotations

from cumberland.records import Output
from cumberland.signals.base import Consumes, Inputs, Signal
from cumberland.signals.video import VPDQ_VERSION  # bumped with how frames are sampled


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
