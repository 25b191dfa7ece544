"""Digest indexes of index-only hash sets: one folder per import, named by a random token.

Large known-good sets (NSRL: ~74 M distinct SHA-256) are filters: nothing about one entry
but its digests is ever shown, so their digests go straight into a per-set ExactIndex instead
of a database row each; the database keeps the set row, its counts and the token. A folder is
built under an exclusive lock and is live once a committed set row names it. A folder no
committed row names and no process holds is debris (a crashed import, a replaced or deleted
set) and :func:`sweep` removes it; the lock keeps it from taking a folder still being built.
"""

from __future__ import annotations

import fcntl
import secrets
import shutil
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import numpy as np

from cumberland.hashsets.columns import KINDS, DigestBlock
from cumberland.index.exact import CHUNK, ExactIndex

FLUSHES_IN_FLIGHT = 2  # sorted chunks being written while more blocks arrive


class SetIndexBuilder:
    """Builds one set's digest indexes in a fresh folder; removes it unless :meth:`keep`.

    Chunks are sorted and written on a background thread (numpy sorts and file writes run
    without the GIL), so reading the next blocks overlaps indexing the last ones.
    """

    def __init__(self, root: Path) -> None:
        root.mkdir(parents=True, exist_ok=True)
        self.token = secrets.token_hex(8)
        self.folder = root / self.token
        self._lock_path = root / f"{self.token}.lock"
        # Locked under a private name, then renamed into place: a sweep never sees this
        # lock file unlocked (it would take it for a dead import's and remove it).
        pending = root / f".{self.token}.lock.new"
        self._lock = pending.open("a")
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        pending.replace(self._lock_path)
        self._kept = False
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="set-index")
        self._flushes: deque[Future[None]] = deque()
        self.restart()

    def _drain(self, keep: int = 0) -> None:
        while len(self._flushes) > keep:
            self._flushes.popleft().result()

    def restart(self) -> None:
        """Start over empty (the bulk path gave up part-way)."""
        self._drain()
        shutil.rmtree(self.folder, ignore_errors=True)
        self.indexes = {kind: ExactIndex(self.folder / kind, kind) for kind in KINDS}
        self._digests: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
        self._records: dict[str, list[np.ndarray]] = {kind: [] for kind in KINDS}
        self._held = dict.fromkeys(KINDS, 0)
        self.count = 0

    def add(self, block: DigestBlock) -> None:
        self.count += block.count
        for kind in KINDS:
            self._digests[kind].append(block.digests[kind])
            self._records[kind].append(block.records[kind])
            self._held[kind] += len(block.records[kind])
            if self._held[kind] >= CHUNK:
                self._flush(kind)

    def _flush(self, kind: str) -> None:
        digests = np.concatenate(self._digests[kind]) if self._digests[kind] else np.zeros(
            (0, KINDS[kind]), np.uint8)
        records = np.concatenate(self._records[kind]) if self._records[kind] else np.zeros(
            0, np.int64)
        self._digests[kind], self._records[kind], self._held[kind] = [], [], 0
        self._drain(FLUSHES_IN_FLIGHT - 1)
        self._flushes.append(self._writer.submit(self.indexes[kind].add, digests, records))

    def finish(self) -> int:
        """Write what is buffered (every kind gets a manifest); returns the record count."""
        for kind in KINDS:
            self._flush(kind)
        self._drain()
        return self.count

    def keep(self) -> None:
        """The set row naming this folder has committed: leave the folder in place."""
        self._kept = True

    def __enter__(self) -> SetIndexBuilder:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for future in self._flushes:
            future.cancel()
        self._writer.shutdown(wait=True)
        if not self._kept:
            shutil.rmtree(self.folder, ignore_errors=True)
        self._lock_path.unlink(missing_ok=True)
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()


def open_set_index(root: Path, token: str) -> dict[str, ExactIndex]:
    """A committed set's indexes, one per digest kind; FileNotFoundError if the folder went."""
    folder = root / token
    missing = [k for k in KINDS if not (folder / k / "manifest.json").is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: digest index missing ({', '.join(missing)})")
    return {kind: ExactIndex(folder / kind, kind) for kind in KINDS}


def sweep(root: Path, live: Callable[[], set[str]]) -> list[str]:
    """Remove folders of imports no committed set names and no process is building.

    A builder takes its lock before it makes its folder, so a folder's lock is held for as
    long as it is being built; ``live`` is asked after the lock is taken, so a build that
    committed meanwhile is seen. Returns the tokens removed."""
    if not root.is_dir():
        return []
    removed = []
    for lock_path in [*root.glob("*.lock"), *root.glob(".*.lock.new")]:
        token = lock_path.name.lstrip(".").split(".")[0]
        if not (root / token).is_dir():  # a dead import's lock, without (or before) its folder
            _remove_unheld(lock_path)
    for token in sorted(p.name for p in root.iterdir() if p.is_dir()):
        lock_path = root / f"{token}.lock"
        with lock_path.open("a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # being built right now
            if token not in live():
                shutil.rmtree(root / token, ignore_errors=True)
                removed.append(token)
            lock_path.unlink(missing_ok=True)
    return removed


def _remove_unheld(path: Path) -> None:
    try:
        lock = path.open("r")
    except FileNotFoundError:
        return
    with lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return  # a live import holds it
        path.unlink(missing_ok=True)
