"""The per-item work, run in worker processes: read once, hash, sniff, decode, describe.

Errors never escape: every failure becomes the item's status and a one-line reason, and the
crypto hashes are kept whenever the bytes could be read (exact matching still works on files
that do not decode).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable

from PIL import Image, UnidentifiedImageError

from cumberland.errors import one_line
from cumberland.pipeline.tasks import MediaRecord, Result, Task
from cumberland.settings import Settings
from cumberland.signals.crypto import BLOCK, MultiHasher
from cumberland.signals.image import ImageLimitError, decode_image
from cumberland.signals.registry import run_image_signals
from cumberland.signals.sniff import HEADER_BYTES, ContentType, extension_matches, sniff

_NOATIME = getattr(os, "O_NOATIME", 0)
_BASE_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


class _Unreadable(Exception):
    pass


def open_evidence(path: bytes) -> int:
    """Open read-only, without following a swapped-in symlink and, where allowed, without
    updating the access time (O_NOATIME needs ownership or CAP_FOWNER; fall back quietly)."""
    if _NOATIME:
        try:
            return os.open(path, _BASE_FLAGS | _NOATIME)
        except PermissionError:
            pass
    return os.open(path, _BASE_FLAGS)


def _read(task: Task, settings: Settings) -> tuple[MultiHasher, bytes, bytes | None]:
    """Hash the whole file in one pass; keep all bytes when small enough to decode from memory."""
    try:
        fd = open_evidence(task.raw_path)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Unreadable("symlink (not followed)") from exc
        raise _Unreadable(exc.strerror or one_line(exc)) from exc
    hasher = MultiHasher()
    with os.fdopen(fd, "rb", buffering=0) as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _Unreadable("not a regular file")
        keep = st.st_size <= settings.in_memory_limit
        parts: list[bytes] = []
        head = b""
        try:
            while block := fh.read(BLOCK):
                hasher.update(block)
                if keep:
                    parts.append(block)
                if len(head) < HEADER_BYTES:
                    head += block[: HEADER_BYTES - len(head)]
        except OSError as exc:
            raise _Unreadable(f"read failed after {hasher.size} bytes: {exc.strerror}") from exc
    return hasher, head, b"".join(parts) if keep else None


def _image(
    task: Task, data: bytes | None, media: MediaRecord, settings: Settings, result: Result
) -> None:
    try:
        if data is not None:
            decoded = decode_image(data, settings)
        else:
            with os.fdopen(open_evidence(task.raw_path), "rb") as fh:
                decoded = decode_image(fh, settings)
    except ImageLimitError as exc:
        result.status, result.reason = "skipped", f"limit: {exc}"
        return
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            EOFError, MemoryError) as exc:
        result.status, result.reason = "error", f"corrupt image: {one_line(exc)}"
        return
    facts = decoded.facts
    media.width, media.height = facts.width, facts.height
    media.pdq, media.pdq_quality = facts.pdq, facts.pdq_quality
    media.meta = {
        "format": facts.format,
        "mode": facts.mode,
        "animated": facts.animated,
        "frames": facts.frames,
        "decode_scale": facts.decode_scale,
        "exif": facts.exif,
    }
    result.thumbnail = facts.thumbnail
    result.signals = run_image_signals(decoded, data, settings)


Handler = Callable[[Task, bytes | None, MediaRecord, Settings, Result], None]

_UNSUPPORTED = {"image/x-raw": "unsupported: raw"}
HANDLERS: dict[str, Handler] = {"image": _image}


def fingerprint(task: Task, settings: Settings) -> Result:
    """Everything one item yields. Never raises for bad input."""
    result = Result(item_id=task.item_id, status="done")
    try:
        hasher, head, data = _read(task, settings)
    except _Unreadable as exc:
        result.status, result.reason = "error", str(exc)
        return result
    digests = hasher.digests()
    content: ContentType = sniff(head)
    result.size = digests.size
    result.mime = content.mime
    result.ext_mismatch = extension_matches(task.display, content) is False
    media = MediaRecord(
        sha256=digests.sha256, md5=digests.md5, sha1=digests.sha1, size=digests.size,
        kind=content.kind, mime=content.mime,
    )
    result.media = media
    if content.kind == "empty":
        result.status, result.reason = "skipped", "empty file"
        return result
    if content.mime in _UNSUPPORTED:
        result.status, result.reason = "skipped", _UNSUPPORTED[content.mime]
        return result
    handler = HANDLERS.get(content.kind)
    if handler is not None:
        try:
            handler(task, data, media, settings, result)
        except Exception as exc:  # a library bug on hostile input must not end the run
            result.status, result.reason = "error", f"internal: {one_line(exc)}"
    return result


def fingerprint_chunk(tasks: list[Task], settings: Settings) -> list[Result]:
    """The unit of work shipped to a process or a cluster worker."""
    return [fingerprint(task, settings) for task in tasks]
