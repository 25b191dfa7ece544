"""Re-opening a revealed item's own bytes, read-only, for the full-resolution viewer and video.

Nothing here decides whether a reviewer may see the bytes (routes_view checks the audited,
unexpired per-item reveal first). What it guarantees is that what is shown is what was
ingested: the file is opened read-only without following symlinks (``open_evidence``) and
its SHA-256 must still be the media's, otherwise nothing is served.

Items inside containers (archives, disk images) are reopened through the devices engineer's
locators once they exist (``open_member``, the one extension point below).
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import select

from cumberland.sources.base import BLOCK
from cumberland.sources.evidence import open_evidence
from cumberland.store.models import Item
from cumberland.store.workspace import Workspace

INSIDE_CONTAINERS = "not available inside containers yet"


class Unavailable(Exception):
    """The item's bytes cannot be shown: a one-line reason for the reviewer."""


@dataclass(frozen=True, slots=True)
class Located:
    item_id: int
    path: str  # display chain
    raw_path: bytes | None  # None: a container member


#: Opens a container member by its item id (read-only), or None where no locator exists yet.
#: The devices engineer's "open item by locator" function plugs in here.
open_member: Callable[[Workspace, int], BinaryIO] | None = None


def locate(ws: Workspace, case: int, sha256: bytes) -> Located:
    """An item of ``case`` holding the media, preferring one that is a plain file."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Item.id, Item.path, Item.raw_path, Item.parent_id).where(
            Item.case_id == case, Item.media_sha256 == sha256).order_by(Item.id).limit(50)).all()
    if not rows:
        raise Unavailable("no item of this case holds this media")
    plain = [r for r in rows if r.raw_path and r.parent_id is None]
    chosen = plain[0] if plain else rows[0]
    return Located(int(chosen.id), str(chosen.path),
                   bytes(chosen.raw_path) if plain else None)


def _open(ws: Workspace, located: Located) -> BinaryIO:
    if located.raw_path is None:
        if open_member is None:
            raise Unavailable(INSIDE_CONTAINERS)
        return open_member(ws, located.item_id)
    try:
        fd = open_evidence(located.raw_path)
    except OSError as exc:
        raise Unavailable(f"cannot open {located.path}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise Unavailable(f"{located.path} is no longer a regular file")
    return os.fdopen(fd, "rb")


def read_verified(ws: Workspace, case: int, sha256: bytes, limit: int) -> bytes:
    """The whole file, checked against its SHA-256; at most ``limit`` bytes."""
    located = locate(ws, case, sha256)
    with _open(ws, located) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise Unavailable(f"too large to show here ({limit // (1 << 20)} MiB at most)")
    if hashlib.sha256(data).digest() != sha256:
        raise Unavailable(f"{located.path} changed since it was ingested (SHA-256 differs)")
    return data


@dataclass(frozen=True, slots=True)
class Verified:
    """A plain file whose content was checked once; ranges of it are then served as is."""

    located: Located
    size: int

    def ranges(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes ``start`` to ``end`` inclusive, read in blocks."""
        assert self.located.raw_path is not None
        with os.fdopen(open_evidence(self.located.raw_path), "rb") as fh:
            fh.seek(start)
            left = end - start + 1
            while left > 0:
                block = fh.read(min(BLOCK, left))
                if not block:
                    return
                left -= len(block)
                yield block


class VerifiedFiles:
    """Remembers which files were hashed, by (path, size, mtime, inode): a video is checked
    once, not on each of the many Range requests a player makes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[tuple[bytes, bytes], tuple[int, int, int]] = {}

    def get(self, ws: Workspace, case: int, sha256: bytes) -> Verified:
        located = locate(ws, case, sha256)
        if located.raw_path is None:
            raise Unavailable(INSIDE_CONTAINERS)  # (a locator would also need ranges)
        with _open(ws, located) as fh:
            st = os.fstat(fh.fileno())
            identity = (st.st_size, st.st_mtime_ns, st.st_ino)
            key = (located.raw_path, sha256)
            with self._lock:
                known = self._seen.get(key) == identity
            if not known:
                digest = hashlib.sha256()
                while block := fh.read(BLOCK):
                    digest.update(block)
                if digest.digest() != sha256:
                    raise Unavailable(f"{located.path} changed since it was ingested "
                                      "(SHA-256 differs)")
                with self._lock:
                    self._seen[key] = identity
        return Verified(located, identity[0])


def reopen(verified: Verified) -> BinaryIO:
    """The verified file again, read-only (for the decoder)."""
    assert verified.located.raw_path is not None
    return os.fdopen(open_evidence(verified.located.raw_path), "rb")
