"""Faces into persons: faiss neighbours, then Chinese whispers over the graph they make.

Each face is linked to its nearest neighbours (faiss, exact L2 over the 128-number dlib
embeddings) that lie closer than the same-person distance; Chinese whispers (Biemann 2006)
then lets every face take the label most of its links carry, weighted by how close they
are, until nothing changes. It needs no number of persons and leaves a face with no close
neighbour alone, which is what a case's mix of the same few people and many strangers
needs; the visiting order is seeded, so a case clusters the same way every time.
"""

from __future__ import annotations

from collections import defaultdict

import faiss
import numpy as np
from numpy.typing import NDArray

NEIGHBOURS = 32  # links per face considered (a person seen in more pictures still links up)
ROUNDS = 30


def neighbours(vectors: NDArray[np.float32], radius: float, k: int = NEIGHBOURS
               ) -> list[list[tuple[int, float]]]:
    """For each vector, its neighbours closer than ``radius`` (index, distance), nearest
    first, itself excluded."""
    count = len(vectors)
    if count == 0:
        return []
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(np.ascontiguousarray(vectors, np.float32))
    dist2, found = index.search(np.ascontiguousarray(vectors, np.float32), min(k + 1, count))
    out: list[list[tuple[int, float]]] = []
    for i in range(count):
        row = [(int(j), float(np.sqrt(max(d, 0.0)))) for j, d in zip(found[i], dist2[i],
                                                                       strict=True)
               if j >= 0 and j != i and d < radius * radius]
        out.append(row)
    return out


def chinese_whispers(vectors: NDArray[np.float32], radius: float, seed: int = 0) -> list[int]:
    """A cluster label per vector (labels are the smallest member index of each cluster)."""
    links = neighbours(vectors, radius)
    edges: dict[int, dict[int, float]] = defaultdict(dict)
    for i, row in enumerate(links):
        for j, distance in row:
            weight = 1.0 - distance / radius
            edges[i][j] = edges[j][i] = max(weight, edges[i].get(j, 0.0))
    labels = list(range(len(vectors)))
    order = np.random.default_rng(seed).permutation(len(vectors))
    for _ in range(ROUNDS):
        changed = False
        for i in order.tolist():
            if not edges[i]:
                continue
            votes: dict[int, float] = defaultdict(float)
            for j, weight in edges[i].items():
                votes[labels[j]] += weight
            best = max(votes.items(), key=lambda kv: (kv[1], -kv[0]))[0]
            if best != labels[i]:
                labels[i], changed = best, True
        if not changed:
            break
    smallest: dict[int, int] = {}
    for i, label in enumerate(labels):
        smallest.setdefault(label, i)
    return [smallest[label] for label in labels]
