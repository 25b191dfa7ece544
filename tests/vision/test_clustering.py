"""Chinese whispers over faiss neighbours: copies of one face group, strangers stay apart."""

from __future__ import annotations

import numpy as np

from cumberland.analysis.clustering import chinese_whispers, neighbours


def _people(rng: np.random.Generator, count: int, copies: int, spread: float) -> np.ndarray:
    centres = rng.normal(0, 1, (count, 128)).astype(np.float32)
    centres *= 1.0 / np.linalg.norm(centres, axis=1, keepdims=True)  # strangers ~1.4 apart
    return np.concatenate([c + rng.normal(0, spread, (copies, 128)) for c in centres]
                          ).astype(np.float32)


def test_copies_of_each_person_form_one_cluster_and_only_one() -> None:
    rng = np.random.default_rng(1)
    vectors = _people(rng, 5, 6, 0.02)  # copies ~0.3 apart: well inside 0.6
    labels = chinese_whispers(vectors, 0.6)
    groups = [set(labels[i * 6:(i + 1) * 6]) for i in range(5)]
    assert all(len(g) == 1 for g in groups)
    assert len({next(iter(g)) for g in groups}) == 5
    assert labels == chinese_whispers(vectors, 0.6)  # seeded: the same every time


def test_a_lone_face_is_its_own_person_and_neighbours_exclude_self() -> None:
    vectors = np.stack([np.zeros(128), np.full(128, 1.0)]).astype(np.float32)
    assert chinese_whispers(vectors, 0.6) == [0, 1]
    assert neighbours(vectors, 0.6) == [[], []]
    assert chinese_whispers(np.zeros((0, 128), np.float32), 0.6) == []
