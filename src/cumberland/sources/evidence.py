"""Opening evidence files: read-only, never through a swapped-in symlink, atime untouched.

Every reader of a seized file goes through here (the fingerprinting workers, matching's
re-read of a query's pixels, enrichment), so the read-only rule lives in one place.
"""

from __future__ import annotations

import os
import stat
from typing import BinaryIO

_NOATIME = getattr(os, "O_NOATIME", 0)
# O_NONBLOCK: a FIFO swapped in since the listing would otherwise block the open for ever.
_BASE_FLAGS = (os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
               | os.O_NONBLOCK)

_NODE_KINDS = {
    stat.S_IFIFO: "fifo",
    stat.S_IFSOCK: "socket",
    stat.S_IFCHR: "character device",
    stat.S_IFBLK: "block device",
    stat.S_IFDIR: "directory",
    stat.S_IFLNK: "symlink",
}


def node_kind(mode: int) -> str:
    """What a non-regular directory entry is, in words (``fifo``, ``directory``...)."""
    return _NODE_KINDS.get(stat.S_IFMT(mode), "not a regular file")


class NotRegularFile(OSError):
    """The path names something other than a regular file (it changed since the listing)."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"not a regular file: {kind}")
        self.kind = kind


def _open(path: bytes, flags: int = _BASE_FLAGS) -> int:
    if _NOATIME:
        try:
            return os.open(path, flags | _NOATIME)
        except PermissionError:
            pass
    return os.open(path, flags)


def open_directory(path: bytes) -> int:
    """A directory descriptor for listing, opened like evidence files: not through a
    swapped-in symlink and, where the kernel allows, without updating its access time
    (listing a directory opened plainly does). A symlink's own atime cannot be spared:
    readlink has no such flag."""
    return _open(path, _BASE_FLAGS | getattr(os, "O_DIRECTORY", 0))


def open_evidence(path: bytes) -> int:
    """Open read-only, without following a swapped-in symlink and, where allowed, without
    updating the access time (O_NOATIME needs ownership or CAP_FOWNER; fall back quietly).

    Opened non-blocking and checked with ``fstat`` before anything reads it: a directory,
    FIFO or device raises NotRegularFile instead of blocking or failing later."""
    fd = _open(path)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(node_kind(mode))
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def open_path(path: bytes) -> BinaryIO:
    """``open_evidence`` as an unbuffered-by-us binary file object."""
    return os.fdopen(open_evidence(path), "rb")
