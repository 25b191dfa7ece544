"""The responder's secret and the PRF values of its own media, kept between exchanges.

Blinding 10 M media costs ~30 minutes of CPU; answering a request of 100 k costs seconds. So a
responder keeps one secret per *epoch* and, per digest kind, the sorted PRF values of every
element it has blinded under it (``deconflict/cache``); a response blinds only what is new.
``rotate`` starts a new epoch (and drops the cache). What reuse gives away, and why rotation
bounds it, is in docs/deconfliction.md: requesters answered in one epoch see the same tags for
the same media, so two responses show how many of the responder's entries changed between them.
``fresh=True`` blinds everything under a one-off secret instead.
"""

from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

import numpy as np

from cumberland.intel.deconflict import group
from cumberland.intel.deconflict.identity import folder, write_private
from cumberland.store.workspace import Workspace, file_lock


def _key_path(ws: Workspace) -> Path:
    return folder(ws) / "responder.key"


def current_key(ws: Workspace) -> tuple[str, int]:
    """(epoch, secret scalar), created on first use."""
    path = _key_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder(ws) / "responder.lock"):
        if not path.exists():
            write_private(path, json.dumps({"epoch": secrets.token_hex(8), "created": time.time(),
                                            "scalar": f"{group.new_scalar():064x}"}).encode())
        record = json.loads(path.read_text())
    return str(record["epoch"]), int(record["scalar"], 16)


def rotate(ws: Workspace) -> str:
    """A new epoch: a new secret, and the old cached values deleted."""
    path = _key_path(ws)
    path.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder(ws) / "responder.lock"):
        path.unlink(missing_ok=True)
        for old in (folder(ws) / "cache").glob("*.npz"):
            old.unlink()
    return current_key(ws)[0]


def split(array: np.ndarray, width: int) -> list[bytes]:
    """Elements of a fixed-width byte array as bytes (``.tolist()`` would drop trailing NULs)."""
    data = array.tobytes()
    return [data[i:i + width] for i in range(0, len(data), width)]


def to_array(elements: list[bytes], width: int) -> np.ndarray:
    return np.frombuffer(b"".join(elements), dtype=f"S{width}") if elements else \
        np.zeros(0, dtype=f"S{width}")


def held_outputs(ws: Workspace, elements: np.ndarray, width: int, digest: str,
                 fresh: bool = False, workers: int = 0) -> tuple[int, np.ndarray, int]:
    """(scalar, PRF values aligned with the sorted distinct ``elements``, how many were
    blinded now)."""
    if fresh:
        scalar = group.new_scalar()
        return scalar, _compute(scalar, elements, width, workers), len(elements)
    epoch, scalar = current_key(ws)
    cache = folder(ws) / "cache" / f"{epoch}-{digest}.npz"
    cache.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(folder(ws) / "cache.lock"):
        if cache.exists():
            with np.load(cache) as stored:
                known, known_outs = stored["elements"], stored["outs"]
        else:
            known = np.zeros(0, dtype=f"S{width}")
            known_outs = np.zeros((0, 32), dtype=np.uint8)
        at = np.searchsorted(known, elements)
        present = at < len(known)
        present[present] = known[at[present]] == elements[present]
        missing = elements[~present]
        new_outs = _compute(scalar, missing, width, workers)
        outs = np.empty((len(elements), 32), dtype=np.uint8)
        outs[present] = known_outs[at[present]]
        outs[~present] = new_outs
        if len(missing):
            merged = np.concatenate([known, missing])
            order = np.argsort(merged, kind="stable")
            tmp = cache.with_name(f".{cache.name}.part.npz")
            np.savez(tmp, elements=merged[order],
                     outs=np.concatenate([known_outs, new_outs])[order])
            tmp.replace(cache)
    return scalar, outs, len(missing)


def _compute(scalar: int, elements: np.ndarray, width: int, workers: int) -> np.ndarray:
    if not len(elements):
        return np.zeros((0, 32), dtype=np.uint8)
    values = group.outputs(scalar, split(elements, width), workers)
    return np.frombuffer(b"".join(values), dtype=np.uint8).reshape(-1, 32)
