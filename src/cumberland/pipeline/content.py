"""An item's bytes after the one hashing pass, kept for decoding: in memory when small,
reopened from the source when it allows random access, or spooled when it does not (an
archive member) and must be decoded.

The spool holds decompressed evidence, so it is written only in the run's own folder
(``Settings.spool_dir``: inside the workspace, or where the examiner said, private to its
owner; never the system's temporary directory, never beside the evidence), at most
``spool_max_bytes`` a file, and removed when the item is described, when reading fails, and
with the run's folder when the run ends; what a killed run left is swept by the next one.
Without a spool folder, or past the bound, the bytes are hashed but not kept: ``dropped``
says why, and the item is recorded ``skipped (limit: ...)`` with its digests.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import IO, BinaryIO

from cumberland.settings import Settings
from cumberland.signals.crypto import Digests, MultiHasher
from cumberland.signals.sniff import HEADER_BYTES, sniff
from cumberland.sources.containers import KINDS as CONTAINERS
from cumberland.sources.disk_image import boot_signature, looks_like_raw_disk

# Kinds whose bytes are read again after hashing (decoded, or opened as containers).
DECODED_KINDS = frozenset({"image", "video", *(c.kind for c in CONTAINERS)})


def needs_content(head: bytes) -> bool:
    return sniff(head).kind in DECODED_KINDS or looks_like_raw_disk(head) or boot_signature(head)


@dataclass(slots=True)
class Content:
    """How to read an item's bytes again. ``path`` is set for files on the file system."""

    data: bytes | None = None
    opener: Callable[[], BinaryIO] | None = None
    path: bytes | None = None
    spool: str | None = None
    dropped: str | None = None  # why bytes that decoding needs were not kept

    def open(self) -> BinaryIO:
        if self.data is not None:
            return io.BytesIO(self.data)
        if self.opener is None:
            raise OSError("content not kept (not needed for its kind)")
        return self.opener()

    def close(self) -> None:
        if self.spool is not None:
            os.unlink(self.spool)
            self.spool = None


def _size(n: int) -> str:
    return f"{n // 1024**3} GiB" if n % 1024**3 == 0 else f"{n} bytes"


def _discard(spool: IO[bytes]) -> None:
    spool.close()
    os.unlink(spool.name)


@dataclass(slots=True)
class Absorbed:
    digests: Digests
    head: bytes
    content: Content


def absorb(blocks: Iterable[bytes], settings: Settings,
           reopen: Callable[[], BinaryIO] | None = None) -> Absorbed:
    """Hash a stream in one pass and keep what decoding will need (see module docstring).

    On an exception the spool, if any, is removed before the exception propagates.
    """
    hasher = MultiHasher()
    head = b""
    parts: list[bytes] = []
    kept = 0
    keep = True
    spool: IO[bytes] | None = None
    dropped = None
    try:
        for block in blocks:
            hasher.update(block)
            if len(head) < HEADER_BYTES:
                head += block[: HEADER_BYTES - len(head)]
            if not keep:
                continue
            kept += len(block)
            if kept <= settings.in_memory_limit:
                parts.append(block)
            elif spool is None and (reopen is not None or not needs_content(head)):
                keep, parts = False, []  # not needed again, or re-read from the source
            elif settings.spool_dir is None or kept > settings.spool_max_bytes:
                dropped = ("no spool folder for a member over in_memory_limit"
                           if settings.spool_dir is None
                           else f"spool_max_bytes {_size(settings.spool_max_bytes)}")
                if spool is not None:
                    _discard(spool)
                keep, parts, spool = False, [], None
            elif spool is None:
                spool = tempfile.NamedTemporaryFile(  # noqa: SIM115 - outlives this block
                    prefix="member-", dir=settings.spool_dir, delete=False)
                spool.writelines(parts)
                spool.write(block)
                parts = []
            else:
                spool.write(block)
    except BaseException:
        if spool is not None:
            _discard(spool)
        raise
    content = Content(dropped=dropped)
    if spool is not None:
        spool.close()
        name = spool.name
        content.spool = name
        content.opener = lambda: open(name, "rb")  # noqa: SIM115 - the caller closes it
    elif keep:
        content.data = b"".join(parts)
    else:
        content.opener = reopen
    return Absorbed(hasher.digests(), head, content)
