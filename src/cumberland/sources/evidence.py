"""Opening evidence files: read-only, never through a swapped-in symlink, atime untouched.

Every reader of a seized file goes through here (the fingerprinting workers, matching's
re-read of a query's pixels, enrichment), so the read-only rule lives in one place.
"""

from __future__ import annotations

import os
from typing import BinaryIO

_NOATIME = getattr(os, "O_NOATIME", 0)
_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def open_evidence(path: bytes) -> int:
    """Open read-only, without following a swapped-in symlink and, where allowed, without
    updating the access time (O_NOATIME needs ownership or CAP_FOWNER; fall back quietly)."""
    if _NOATIME:
        try:
            return os.open(path, _BASE_FLAGS | _NOATIME)
        except PermissionError:
            pass
    return os.open(path, _BASE_FLAGS)


def open_path(path: bytes) -> BinaryIO:
    """``open_evidence`` as an unbuffered-by-us binary file object."""
    return os.fdopen(open_evidence(path), "rb")
