"""An item's bytes after the one hashing pass, kept for decoding: in memory when small,
reopened from the source when it allows random access, or spooled to a temporary file
(never beside the evidence) when it does not (an archive member) and must be decoded.
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
from cumberland.sources.disk_image import boot_signature, looks_like_raw_disk

# Kinds whose bytes are read again after hashing (decoded, or opened as containers).
DECODED_KINDS = frozenset({"image", "video", "archive", "disk-image"})


def needs_content(head: bytes) -> bool:
    return sniff(head).kind in DECODED_KINDS or looks_like_raw_disk(head) or boot_signature(head)


@dataclass(slots=True)
class Content:
    """How to read an item's bytes again. ``path`` is set for files on the file system."""

    data: bytes | None = None
    opener: Callable[[], BinaryIO] | None = None
    path: bytes | None = None
    spool: str | None = None

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
    try:
        for block in blocks:
            hasher.update(block)
            if len(head) < HEADER_BYTES:
                head += block[: HEADER_BYTES - len(head)]
            if not keep:
                continue
            if spool is not None:
                spool.write(block)
            elif kept + len(block) <= settings.in_memory_limit:
                parts.append(block)
                kept += len(block)
            elif reopen is None and needs_content(head):
                spool = tempfile.NamedTemporaryFile(  # noqa: SIM115 - outlives this block
                    prefix="cumberland-spool-", delete=False)
                spool.writelines(parts)
                spool.write(block)
                parts = []
            else:
                keep, parts = False, []
    except BaseException:
        if spool is not None:
            spool.close()
            os.unlink(spool.name)
        raise
    content = Content()
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
