"""Archives read as streams through libarchive: zip, tar (plain, gz, bz2, xz, zst), 7z, rar and
single gzip/bzip2/xz/zstd files. Nothing is ever extracted to disk.

The format list is explicit: libarchive's "all" includes mtree, which claims ordinary text
files, and excludes "raw", which is how a single compressed file (``photo.jpg.gz``) reads.
Raw is only accepted behind a decompression filter, so a damaged zip is never mistaken for
a one-member archive of itself. Limits are kept per outermost archive in a shared Budget so
a bomb nested three levels deep still counts against the archive the investigator sees.

The expansion ratio stops the member that crosses it, not the members after it: libarchive
walks past the rest of that member to the next header (a seek in zip and 7z listings; in a
compressed tar the skipped data is still decompressed, and in a solid 7z/rar block the
members sharing it too). Everything decompressed, skipped data included, counts towards
``archive_max_bytes``, which stops the whole archive, so a train of bombs stays bounded.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

import libarchive.ffi as ffi
from libarchive.exception import ArchiveError
from libarchive.read import ArchiveRead

from cumberland.records import FileTimes
from cumberland.settings import Settings
from cumberland.sources.base import BLOCK, display_name
from cumberland.sources.locator import MemberStep
from cumberland.sources.member import (
    ContainerError,
    EncryptedContainer,
    LimitReached,
    Member,
    MemberLimit,
    MemberUnreadable,
)

RATIO_GRACE = 16 * 1024 * 1024  # small archives of text legitimately reach high ratios
_FORMATS = ("7zip", "ar", "cab", "cpio", "iso9660", "lha", "rar", "rar5", "tar", "xar", "zip",
            "raw")
_SINGLE_SUFFIXES = (".gz", ".tgz", ".bz2", ".tbz2", ".xz", ".txz", ".zst", ".tzst")

_lib = ffi.libarchive
_lib.archive_entry_is_data_encrypted.argtypes = [ctypes.c_void_p]
_lib.archive_entry_is_data_encrypted.restype = ctypes.c_int
_lib.archive_entry_is_metadata_encrypted.argtypes = [ctypes.c_void_p]
_lib.archive_entry_is_metadata_encrypted.restype = ctypes.c_int


def _format_function(name: str) -> Any:
    function = getattr(_lib, f"archive_read_support_format_{name}")
    function.argtypes, function.restype = [ctypes.c_void_p], ctypes.c_int
    return function


def _mib(n: int) -> str:
    return f"{n / 1024**2:g} MiB" if n % 1024**2 == 0 else f"{n} bytes"


class Budget:
    """Bomb limits of one outermost archive, shared by every archive nested inside it.

    ``expanded`` counts the members kept (the ratio's numerator), ``spent`` everything
    decompressed, stopped members and skipped data included (bounded by ``max_bytes``)."""

    def __init__(self, compressed: int, settings: Settings) -> None:
        self.compressed = max(1, compressed)
        self.max_bytes = settings.archive_max_bytes
        self.max_ratio = settings.archive_max_ratio
        self.max_entries = settings.archive_max_entries
        self.expanded = 0
        self.spent = 0
        self.member = 0
        self.entries = 0
        # A listed member's declared size, already consumed: libarchive decompressing past
        # its data (a stream-only archive being listed) does not count it a second time.
        self.prepaid = 0

    def entry(self) -> None:
        self.entries += 1
        if self.entries > self.max_entries:
            raise LimitReached(f"entries > {self.max_entries}")

    def start_member(self) -> None:
        self.member = 0

    def consume(self, n: int) -> None:
        self.member += n
        self.expanded += n
        self.spend(n)
        if self.expanded > RATIO_GRACE and self.expanded > self.max_ratio * self.compressed:
            self.expanded -= self.member  # the members after this one get their share
            self.member = 0
            raise MemberLimit(f"expansion ratio > {self.max_ratio}")

    def walked_past(self, n: int) -> None:
        """``n`` bytes decompressed walking to the next header (unread member data)."""
        n, self.prepaid = max(0, n - self.prepaid), 0
        self.spend(n)

    def spend(self, n: int) -> None:
        self.spent += n
        if self.spent > self.max_bytes:
            raise LimitReached(f"expanded bytes > {_mib(self.max_bytes)}")


@contextmanager
def _open(stream: BinaryIO) -> Iterator[ArchiveRead]:
    buf = ctypes.create_string_buffer(BLOCK)
    buf_p = ctypes.cast(buf, ctypes.c_void_p)

    def read(_archive: Any, _context: Any, pointer: Any) -> int:
        length = stream.readinto(buf)  # type: ignore[attr-defined]
        ctypes.cast(pointer, ctypes.POINTER(ctypes.c_void_p))[0] = buf_p
        return int(length or 0)

    def seek(_archive: Any, _context: Any, offset: int, whence: int) -> int:
        stream.seek(offset, whence)
        return stream.tell()

    read_cb, seek_cb = ffi.READ_CALLBACK(read), ffi.SEEK_CALLBACK(seek)
    archive_p = ffi.read_new()
    try:
        ffi.read_support_filter_all(archive_p)
        for name in _FORMATS:
            _format_function(name)(archive_p)
        if stream.seekable():
            ffi.read_set_seek_callback(archive_p, seek_cb)
        ffi.read_open(archive_p, None, ffi.NO_OPEN_CB, read_cb, ffi.NO_CLOSE_CB)
        yield ArchiveRead(archive_p)
    finally:
        ffi.read_free(archive_p)


@contextmanager
def archive_entries(stream: BinaryIO) -> Iterator[Iterator[tuple[int, Any]]]:
    """Every entry with its index (the ``MemberStep`` index), directories included."""
    with _open(stream) as archive:
        yield enumerate(archive)


def single_member_name(container: str) -> str:
    """The name of a single compressed file's content: its own name less the suffix."""
    lower = container.lower()
    for suffix in _SINGLE_SUFFIXES:
        if lower.endswith(suffix) and len(container) > len(suffix):
            stem = container[: -len(suffix)]
            return stem + ".tar" if suffix.startswith(".t") and suffix != ".tar" else stem
    return container + " (decompressed)"


def _times(entry: Any) -> FileTimes:
    def get(attr: str) -> float | None:
        try:
            value = getattr(entry, attr)
        except (ValueError, OSError):
            return None
        return float(value) if value else None

    return FileTimes(get("birthtime"), get("mtime"), get("atime"), get("ctime"))


def _message(exc: ArchiveError) -> str:
    """libarchive's own words, without the errno/retcode/archive pointer suffix that
    libarchive-c appends (the pointer differs from run to run)."""
    return str(exc.msg if hasattr(exc, "msg") else exc).split(" (errno")[0]


def _blocks(entry: Any, budget: Budget) -> Iterator[bytes]:
    budget.start_member()
    try:
        for block in entry.get_blocks(BLOCK):
            budget.consume(len(block))
            yield block
    except ArchiveError as exc:
        raise MemberUnreadable(_message(exc)) from exc


def _member(entry: Any, budget: Budget, index: int, name: str) -> Member | None:
    size = int(entry.size) if ffi.entry_size_is_set(entry._entry_p) else None
    times = _times(entry)
    if entry.isdir:
        return None
    steps = (MemberStep(index, name),)
    if entry.issym or entry.islnk:
        kind = "symlink" if entry.issym else "hard link"
        target = display_name(entry.linkpath or "")
        return Member(steps, size, times, status="skipped", reason=f"{kind} -> {target}")
    if not entry.isreg:
        return Member(steps, size, times, status="skipped", reason="not a regular file")
    if _lib.archive_entry_is_data_encrypted(entry._entry_p):
        return Member(steps, size, times, status="encrypted",
                      reason="encrypted entry (password needed)")
    return Member(steps, size, times, blocks=lambda: _blocks(entry, budget))


def read_archive(stream: BinaryIO, budget: Budget, container_name: str) -> Iterator[Member]:
    """Members in archive order; the caller must read a member's blocks before the next one.

    Raises EncryptedContainer when the listing itself is encrypted, ContainerError when the
    archive is unreadable or damaged (after yielding what came before the damage), and
    LimitReached (from ``blocks``) when the budget runs out.
    """
    count = 0
    try:
        with _open(stream) as archive:
            position = 0
            for entry in archive:
                # What libarchive decompressed walking past unread data (a stopped member).
                budget.walked_past(ffi.filter_bytes(archive._pointer, 0) - position)
                count += 1
                raw = archive.format_name == b"raw"
                if raw and not archive.filter_names:
                    raise ContainerError("not a recognised archive format")
                budget.entry()
                if raw:
                    name = single_member_name(container_name.rsplit("/", 1)[-1])
                else:
                    raw_name = ffi.entry_pathname(entry._entry_p) or b""
                    name = display_name(raw_name or entry.pathname or "")
                member = _member(entry, budget, count - 1, name or "(unnamed)")
                if member is not None:
                    yield member
                position = ffi.filter_bytes(archive._pointer, 0)
    except ArchiveError as exc:
        message = _message(exc)
        if "encrypt" in message.lower() and count == 0:
            raise EncryptedContainer(f"encrypted archive (password needed): {message}") from exc
        where = f" after {count} entries" if count else ""
        raise ContainerError(f"corrupt archive{where}: {message}"[:300]) from exc
