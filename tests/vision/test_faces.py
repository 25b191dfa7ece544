"""Faces as pure functions, on scikit-image's astronaut and transformed copies of it."""

from __future__ import annotations

import numpy as np
import pytest
from tests.vision.conftest import jpeg, plain_background, rotate

from cumberland.settings import Settings
from cumberland.signals.faces import SAME_PERSON, decode, describe_faces, detect_faces, encode


@pytest.fixture(scope="module")
def reference(astronaut: np.ndarray) -> np.ndarray:
    found = describe_faces(astronaut, Settings())
    assert len(found.faces) == 1
    embedding = found.faces[0].embedding
    assert embedding is not None and embedding.shape == (128,)
    return embedding


def test_astronaut_face_box_landmarks_quality(astronaut: np.ndarray) -> None:
    found = describe_faces(astronaut, Settings())
    face = found.faces[0]
    x, y, w, h = face.box  # her face is at about (178, 63), 90 x 113 in the 512 x 512 picture
    assert 150 < x < 210 and 40 < y < 90 and 70 < w < 120 and 90 < h < 140
    (ex1, ey1), (ex2, _), (_, ny), _, _ = face.landmarks
    assert x < ex1 < ex2 < x + w and y < ey1 < ny < y + h  # eyes left to right, nose below
    assert face.score > 0.8
    q = face.quality
    assert q["size"] > 80 and q["sharpness"] > 100 and abs(q["roll"]) < 10
    assert 0.5 < q["overall"] <= 1
    data = found.data()
    assert data["count"] == 1 and data["faces"][0]["box"][0] == pytest.approx(x / 512, abs=1e-3)
    assert np.array_equal(decode(data["faces"][0]["embedding"]), face.embedding)


@pytest.mark.parametrize("name,change", [
    ("rotated +15", lambda a: rotate(a, 15)),
    ("rotated -15, scaled 0.6", lambda a: rotate(a, -15, 0.6)),
    ("JPEG q40", lambda a: jpeg(a, 40)),
    ("darker", lambda a: (a * 0.55).astype(np.uint8)),
    ("brighter", lambda a: np.clip(a * 1.3 + 20, 0, 255).astype(np.uint8)),
    ("cropped", lambda a: np.ascontiguousarray(a[20:300, 100:400])),
    ("mouth covered", lambda a: _cover(a, 200, 150, 60, 30)),
    ("upscaled 3x", lambda a: np.repeat(np.repeat(a, 3, 0), 3, 1)),
])
def test_transformed_copies_embed_as_the_same_person(
        astronaut: np.ndarray, reference: np.ndarray, name: str, change: object) -> None:
    found = describe_faces(change(astronaut), Settings())  # type: ignore[operator]
    assert found.faces, name
    best = min(float(np.linalg.norm(f.embedding - reference)) for f in found.faces)
    assert best < SAME_PERSON, name


def _cover(a: np.ndarray, x: int, y: int, w: int, h: int) -> np.ndarray:
    out = a.copy()
    out[y:y + h, x:x + w] = 90
    return out


def test_another_face_is_another_person(reference: np.ndarray) -> None:
    from skimage import data

    camera = np.stack([data.camera()] * 3, axis=-1)
    found = describe_faces(camera, Settings())
    assert len(found.faces) == 1
    assert float(np.linalg.norm(found.faces[0].embedding - reference)) > SAME_PERSON


def test_no_face_in_a_plain_picture() -> None:
    found = detect_faces(plain_background())
    assert found.faces == [] and found.found == 0 and not found.capped


def test_many_faces_are_capped_and_recorded(astronaut: np.ndarray) -> None:
    small = astronaut[::2, ::2]
    grid = np.concatenate([np.concatenate([small] * 4, axis=1)] * 3, axis=0)  # 12 faces
    found = detect_faces(grid, max_faces=5, max_side=2048)
    assert found.capped and len(found.faces) == 5 and found.found >= 10


def test_huge_picture_runs_on_a_bounded_copy(astronaut: np.ndarray) -> None:
    big = np.ascontiguousarray(np.repeat(np.repeat(astronaut, 8, 0), 8, 1))  # 4096 x 4096
    found = detect_faces(big, max_side=640)
    assert len(found.faces) == 1
    x, _, w, _ = found.faces[0].box  # in the big picture's pixels
    assert 1200 < x < 1700 and 60 * 8 < w < 120 * 8


def test_small_faces_are_dropped(astronaut: np.ndarray) -> None:
    assert detect_faces(astronaut, min_size=200).faces == []


def test_embedding_round_trip_and_refusal() -> None:
    vector = np.arange(128, dtype=np.float32) / 7
    assert np.array_equal(decode(encode(vector)), vector)
    with pytest.raises(ValueError):
        decode(encode(vector[:64]))
