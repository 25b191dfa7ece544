"""Re-opening a revealed item's own bytes, read-only, for the full-resolution viewer and video.

Nothing here decides whether a reviewer may see the bytes (routes_view checks the audited,
unexpired per-item reveal first). What it guarantees is that what is shown is what was
ingested: items are read again through the devices API (``cumberland.store.reopen``: plain
files by path, members of archives and disk images by their locator), read-only, and their
SHA-256 must still be the media's, otherwise nothing is served.

Videos are read many times (a player asks for many ranges): a plain file is hashed once per
(path, size, mtime, inode) and its ranges are then read straight from it; a container member
is extracted and checked again for each request.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import BinaryIO

from sqlalchemy import select

from cumberland.settings import Settings
from cumberland.sources.base import BLOCK
from cumberland.sources.evidence import open_evidence
from cumberland.store.models import Item
from cumberland.store.reopen import ReopenError, case_volume_keys, open_item
from cumberland.store.workspace import Workspace

SETTINGS = Settings()  # the reopen limits of ingest's defaults (volume keys: the case's)


class Unavailable(Exception):
    """The item's bytes cannot be shown: a one-line reason for the reviewer."""


@dataclass(frozen=True, slots=True)
class Located:
    item_id: int
    path: str  # display chain
    raw_path: bytes | None  # None: a container member (reopened by its locator)
    volume_keys: str | None = None  # the case's keys file, for members of encrypted volumes


def locate(ws: Workspace, case: int, sha256: bytes) -> Located:
    """An item of ``case`` holding the media, preferring one that is a plain file."""
    with ws.engine.connect() as conn:  # by the media's index; the case is checked here
        rows = [r for r in conn.execute(
            select(Item.id, Item.case_id, Item.path, Item.raw_path, Item.parent_id)
            .where(Item.media_sha256 == sha256).order_by(Item.id)) if r.case_id == case]
    if not rows:
        raise Unavailable("no item of this case holds this media")
    plain = [r for r in rows if r.raw_path and r.parent_id is None]
    chosen = plain[0] if plain else rows[0]
    if plain:
        return Located(int(chosen.id), str(chosen.path), bytes(chosen.raw_path))
    return Located(int(chosen.id), str(chosen.path), None, case_volume_keys(ws, case))


@contextmanager
def opened(ws: Workspace, located: Located) -> Iterator[BinaryIO]:
    """The item's bytes, checked against its SHA-256 (through the devices API)."""
    try:
        settings = replace(SETTINGS, volume_keys=located.volume_keys)
        with open_item(ws, located.item_id, settings) as fh:
            yield fh
    except ReopenError as exc:
        raise Unavailable(f"{located.path}: {exc}") from None


def read_verified(ws: Workspace, case: int, sha256: bytes, limit: int) -> bytes:
    """The whole file, checked against its SHA-256; at most ``limit`` bytes."""
    located = locate(ws, case, sha256)
    with opened(ws, located) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise Unavailable(f"too large to show here ({limit // (1 << 20)} MiB at most)")
    return data


@dataclass(frozen=True, slots=True)
class Verified:
    """An item whose content was checked; ranges of it are then served."""

    ws: Workspace
    located: Located
    size: int

    @contextmanager
    def open(self) -> Iterator[BinaryIO]:
        """The bytes again, read-only: a plain file directly (it was hashed), a member
        through the devices API (checked again)."""
        if self.located.raw_path is None:
            with opened(self.ws, self.located) as fh:
                yield fh
            return
        with os.fdopen(open_evidence(self.located.raw_path), "rb") as fh:
            yield fh

    def ranges(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, read in blocks."""
        with self.open() as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                block = fh.read(min(BLOCK, left))
                if not block:
                    return
                left -= len(block)
                yield block


class VerifiedFiles:
    """Remembers which plain files were hashed, by (path, size, mtime, inode): a video is
    checked once, not on each of the many Range requests a player makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[bytes, bytes], tuple[int, int, int]] = {}

    def get(self, ws: Workspace, case: int, sha256: bytes) -> Verified:
        located = locate(ws, case, sha256)
        if located.raw_path is None:
            with opened(ws, located) as fh:  # extracted and checked
                size = fh.seek(0, os.SEEK_END)
            return Verified(ws, located, size)
        try:
            fd = open_evidence(located.raw_path)
        except OSError as exc:
            raise Unavailable(f"cannot open {located.path}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise Unavailable(f"{located.path} is no longer a regular file")
            identity = (st.st_size, st.st_mtime_ns, st.st_ino)
            key = (located.raw_path, sha256)
            with self._lock:
                known = self._seen.get(key) == identity
            if not known:
                digest = hashlib.sha256()
                while block := fh.read(BLOCK):
                    digest.update(block)
                if digest.digest() != sha256:
                    raise Unavailable(f"{located.path}: evidence changed since ingest: "
                                      "SHA-256 differs")
                with self._lock:
                    self._seen[key] = identity
        return Verified(ws, located, identity[0])
