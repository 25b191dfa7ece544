"""What a source yields for every entry it sees, and how paths are shown."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from cumberland.records import FileTimes

CHAIN_SEP = " › "
BLOCK = 1024 * 1024  # bytes per read: every reader feeds the digests in blocks of this size


def display_name(raw: bytes | str) -> str:
    """Readable, lossless text for a name: invalid UTF-8 and control characters are escaped."""
    text = raw.decode("utf-8", "backslashreplace") if isinstance(raw, bytes) else raw
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def chain_path(chain: list[str]) -> str:
    return CHAIN_SEP.join(chain)


def path_key(path: str) -> bytes:
    """A fixed-width key for the unique (case, path) constraint; paths may exceed index limits."""
    return hashlib.sha1(path.encode("utf-8", "surrogatepass"), usedforsecurity=False).digest()


@dataclass(slots=True)
class Entry:
    """One thing a source saw. ``status`` is ``pending`` when its content still has to be read."""

    chain: list[str]
    raw_path: bytes | None
    size: int | None
    status: str = "pending"
    reason: str | None = None
    times: FileTimes = field(default_factory=FileTimes)
    deleted: bool = False
    artefacts: str | None = None  # artefact categories, comma-separated (None: none)

    @property
    def path(self) -> str:
        return chain_path(self.chain)
