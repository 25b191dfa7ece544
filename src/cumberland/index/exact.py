"""Exact digest lookup for 100 M MD5/SHA-1/SHA-256 entries: sorted, memory-mapped segments.

Each segment holds its digests sorted, the first 8 bytes of each as a big-endian uint64
(the "fence" searched with ``np.searchsorted``; 8 random bytes almost never collide) and the
entry id of each. New entries become new sorted segments; small segments are merged once
there are many, so an add never rewrites the large ones and a restart only memory-maps
files. Memory while adding is bounded by the chunk being sorted; merges stream through
memory maps a block at a time.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.lib.format import open_memmap
from numpy.typing import NDArray

WIDTHS = {"md5": 16, "sha1": 20, "sha256": 32}
CHUNK = 4_000_000  # digests sorted at once while adding (bounds peak memory)
MERGE_BLOCK = 1 << 20  # rows of each segment merged at a time while compacting
MAX_SEGMENTS = 8

I64 = NDArray[np.int64]


class _Segment:
    def __init__(self, folder: Path) -> None:
        mode: Literal["r"] = "r"
        self.folder = folder
        self.keys: NDArray[np.void] = np.load(folder / "keys.npy", mmap_mode=mode)
        self.fence: NDArray[np.uint64] = np.load(folder / "fence.npy", mmap_mode=mode)
        self.ids: I64 = np.load(folder / "ids.npy", mmap_mode=mode)

    def __len__(self) -> int:
        return len(self.ids)

    def lookup(self, keys: NDArray[np.void], fence: NDArray[np.uint64]) -> tuple[I64, I64]:
        """(query index, entry id) of every stored digest equal to a query."""
        n = len(self.fence)
        lo = np.searchsorted(self.fence, fence, side="left")
        hi = np.searchsorted(self.fence, fence, side="right")
        counts = (hi - lo).astype(np.int64)
        total = int(counts.sum())
        if total == 0 or n == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        qidx = np.repeat(np.arange(len(keys)), counts)
        rows = np.repeat(lo, counts) + (np.arange(total) - np.repeat(np.cumsum(counts) - counts,
                                                                    counts))
        same = self.keys[rows] == keys[qidx]
        return qidx[same].astype(np.int64), np.asarray(self.ids[rows[same]], dtype=np.int64)


def _next_block(a: NDArray[np.uint64], b: NDArray[np.uint64], i: int, j: int,
                ) -> tuple[int, int]:
    """Ends of the next merge block from sorted fences ``a[i:]`` and ``b[j:]``: at most
    MERGE_BLOCK rows of each, and nothing left behind that sorts before what is taken."""
    if i == len(a):
        return i, min(j + MERGE_BLOCK, len(b))
    i2 = min(i + MERGE_BLOCK, len(a))
    j2 = len(b) if i2 == len(a) else int(np.searchsorted(b, a[i2 - 1], side="right"))
    if j2 - j > MERGE_BLOCK:  # b is dense here: cut on b's side instead
        j2 = j + MERGE_BLOCK
        i2 = max(i, int(np.searchsorted(a, b[j2 - 1], side="right")))
    return i2, j2


def _as_keys(digests: NDArray[np.uint8], width: int) -> tuple[NDArray[np.void], NDArray[np.uint64]]:
    arr = np.ascontiguousarray(digests, dtype=np.uint8).reshape(-1, width)
    fence = arr[:, :8].copy().view(">u8").ravel().astype(np.uint64)
    return arr.view(f"V{width}").ravel(), fence


class ExactIndex:
    """Digest -> entry ids for one digest type, persisted under ``folder``."""

    def __init__(self, folder: Path | str, kind: str) -> None:
        if kind not in WIDTHS:
            raise ValueError(f"digest kind must be one of {', '.join(WIDTHS)}")
        self.folder, self.kind, self.width = Path(folder), kind, WIDTHS[kind]
        self.folder.mkdir(parents=True, exist_ok=True)
        manifest = self.folder / "manifest.json"
        state = json.loads(manifest.read_text()) if manifest.exists() else {}
        self.upto = int(state.get("upto", 0))  # caller's high-water mark (e.g. last entry id)
        self.meta: dict[str, Any] = dict(state.get("meta", {}))  # caller's state, saved with it
        self.next = int(state.get("next", 0))
        self.segments = [_Segment(self.folder / s) for s in state.get("segments", [])]

    def __len__(self) -> int:
        return sum(len(s) for s in self.segments)

    def _write_manifest(self) -> None:
        tmp = self.folder / f"manifest.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"upto": self.upto, "next": self.next, "meta": self.meta,
                                   "segments": [s.folder.name for s in self.segments]}))
        os.replace(tmp, self.folder / "manifest.json")

    def _write_segment(self, digests: NDArray[np.uint8], ids: I64) -> _Segment:
        digests = np.ascontiguousarray(digests, dtype=np.uint8).reshape(-1, self.width)
        ids = np.asarray(ids, dtype=np.int64)
        fence = _as_keys(digests, self.width)[1]
        order = np.argsort(fence, kind="stable")  # linear on sorted runs (merges, RDS order)
        keys = np.take(digests, order, axis=0).view(f"V{self.width}").ravel()
        tmp = self._new_segment()
        np.save(tmp / "keys.npy", keys)
        np.save(tmp / "fence.npy", fence[order])
        np.save(tmp / "ids.npy", ids[order])
        return self._publish(tmp)

    def _new_segment(self) -> Path:
        """An empty folder for the next segment (named ``segNNNNNN.tmp`` until published)."""
        tmp = self.folder / f"seg{self.next:06d}.tmp"
        self.next += 1
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        return tmp

    def _publish(self, tmp: Path) -> _Segment:
        final = tmp.with_suffix("")
        os.replace(tmp, final)
        return _Segment(final)

    def clear(self) -> None:
        """Empty the index (for a rebuild): segments, high-water mark and meta."""
        for segment in self.segments:
            self._drop(segment)
        self.segments, self.upto, self.meta = [], 0, {}
        self._write_manifest()

    def add(self, digests: NDArray[np.uint8], ids: I64, upto: int | None = None) -> None:
        """Add digests (an (n, width) uint8 array) with their entry ids, in sorted chunks."""
        digests = np.asarray(digests, dtype=np.uint8).reshape(-1, self.width)
        for lo in range(0, len(digests), CHUNK):
            self.segments.append(self._write_segment(digests[lo:lo + CHUNK],
                                                     np.asarray(ids[lo:lo + CHUNK])))
        if upto is not None:
            self.upto = max(self.upto, upto)
        self._compact()
        self._write_manifest()

    def add_stream(self, rows: Iterable[tuple[bytes, int]], upto: int | None = None) -> int:
        """Stream (digest, id) pairs in, a bounded chunk at a time; returns how many."""
        buf, ids, count = bytearray(), [], 0
        for digest, entry in rows:
            buf += digest
            ids.append(entry)
            if len(ids) >= CHUNK:
                self.add(np.frombuffer(bytes(buf), np.uint8), np.asarray(ids, np.int64))
                count += len(ids)
                buf, ids = bytearray(), []
        self.add(np.frombuffer(bytes(buf), np.uint8), np.asarray(ids, np.int64), upto)
        return count + len(ids)

    def _compact(self) -> None:
        """Merge the smallest segments while there are too many (big ones stay untouched)."""
        self.segments = [s for s in self.segments if len(s) or self._drop(s)]
        while len(self.segments) > MAX_SEGMENTS:
            self.segments.sort(key=len)
            a, b = self.segments[0], self.segments[1]
            merged = self._merge(a, b)
            self.segments = [merged, *self.segments[2:]]
            self._drop(a)
            self._drop(b)

    def _merge(self, a: _Segment, b: _Segment) -> _Segment:
        """Two sorted segments into one, MERGE_BLOCK rows of each at a time, written through
        memory maps: memory stays one block whatever the segments' size."""
        tmp = self._new_segment()
        total = len(a) + len(b)
        out_keys = open_memmap(tmp / "keys.npy", "w+", np.dtype(f"V{self.width}"), (total,))
        out_fence = open_memmap(tmp / "fence.npy", "w+", np.uint64, (total,))
        out_ids = open_memmap(tmp / "ids.npy", "w+", np.int64, (total,))
        i = j = done = 0
        while done < total:
            i2, j2 = _next_block(a.fence, b.fence, i, j)
            fence = np.concatenate([a.fence[i:i2], b.fence[j:j2]])
            order = np.argsort(fence, kind="stable")  # two sorted runs: a linear merge
            end = done + len(order)
            out_fence[done:end] = fence[order]
            out_keys[done:end] = np.concatenate([a.keys[i:i2], b.keys[j:j2]])[order]
            out_ids[done:end] = np.concatenate([a.ids[i:i2], b.ids[j:j2]])[order]
            i, j, done = i2, j2, end
        for array in (out_keys, out_fence, out_ids):
            array.flush()
        del out_keys, out_fence, out_ids
        return self._publish(tmp)

    @staticmethod
    def _drop(segment: _Segment) -> bool:
        shutil.rmtree(segment.folder, ignore_errors=True)
        return False

    def lookup(self, digests: NDArray[np.uint8]) -> tuple[I64, I64]:
        """(query index, entry id) pairs for every stored digest equal to a query."""
        keys, fence = _as_keys(digests, self.width)
        order = np.argsort(fence)  # sorted probes walk the fence in order: far fewer misses
        keys, fence = keys[order], fence[order]
        parts = [s.lookup(keys, fence) for s in self.segments if len(s)]
        if not parts:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return (order[np.concatenate([p[0] for p in parts])].astype(np.int64),
                np.concatenate([p[1] for p in parts]))
