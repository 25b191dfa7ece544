"""Open an item's bytes again from its locator, read-only, in any process.

An ``Opener`` walks the steps: it opens the file, the image format, the volume's file
system, the entry by inode, the archive member by index. Workers keep one Opener for their
life: consecutive members of one image share the opened image and file system, and members
of one seekable archive are reached by moving a cursor forward (a worker's chunk holds
members in archive order), so fanning out a container's members does not reopen it per
member.
"""

from __future__ import annotations

import io
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any, BinaryIO

from libarchive.exception import ArchiveError

from cumberland.sources import disk_image
from cumberland.sources.archive import archive_entries
from cumberland.sources.artefacts import thumbsdb
from cumberland.sources.base import BLOCK
from cumberland.sources.locator import (
    CryptStep,
    EntryStep,
    FileStep,
    ImageStep,
    Locator,
    LocatorError,
    MemberStep,
    SliceStep,
    Step,
    StreamStep,
    TailStep,
    VolumeStep,
)
from cumberland.sources.member import ContainerError, LimitReached

OpenPath = Callable[[bytes], BinaryIO]


class _MemberIO(io.RawIOBase):
    """One archive member's bytes as a file, at most ``limit`` of them (bomb guard).
    ``owner`` (a cursor opened just for this member) is closed with it."""

    def __init__(self, blocks: Iterator[bytes], limit: int, owner: _Cursor | None) -> None:
        self._blocks, self._limit, self._pending, self._done = blocks, limit, b"", 0
        self._owner = owner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            try:
                block = next(self._blocks, None)
            except ArchiveError as exc:
                raise ContainerError(f"corrupt archive: {exc}"[:300]) from exc
            if block is None:
                return 0
            self._done += len(block)
            if self._done > self._limit:
                raise LimitReached(f"member expands past {self._limit} bytes")
            self._pending = block
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        if self._owner is not None:
            self._owner.close()
            self._owner = None
        super().close()


class _Cursor:
    """An archive read forward, member by member. A seekable one starts again when an
    earlier member is asked for; one inside a stream is read once (``owned``: the member
    stream it hands out closes it)."""

    def __init__(self, stream: BinaryIO, owned: bool = False) -> None:
        self._stream, self._owned = stream, owned
        self._stack: ExitStack | None = None
        self._entries: Iterator[tuple[int, Any]] | None = None
        self._started = False

    def _restart(self) -> Iterator[tuple[int, Any]]:
        self.close()
        if self._started:
            if not self._stream.seekable():
                raise ContainerError("archive inside a stream cannot be read again")
            self._stream.seek(0)
        self._started = True
        self._stack = ExitStack()
        self._entries = self._stack.enter_context(archive_entries(self._stream))
        return self._entries

    def member(self, index: int, limit: int) -> BinaryIO:
        entries, self._entries = self._entries, None  # a failure leaves it to restart
        try:
            for _attempt in range(2):
                if entries is None:
                    entries = self._restart()
                for number, entry in entries:
                    if number == index:
                        if not entry.isreg:
                            raise ContainerError(f"archive entry {index} is not a file")
                        self._entries = entries
                        return io.BufferedReader(_MemberIO(
                            iter(entry.get_blocks()), limit, self if self._owned else None))
                    if number > index:
                        break
                entries = None
        except ArchiveError as exc:
            raise ContainerError(f"corrupt archive: {exc}"[:300]) from exc
        raise ContainerError(f"archive has no entry {index}")

    def close(self) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None
        self._entries = None


class Opener:
    """Opens locators; keeps the last ``keep`` opened containers for the next call."""

    def __init__(self, open_path: OpenPath, member_limit: int, keys: Sequence[str] = (),
                 keep: int = 16) -> None:
        self._open_path = open_path
        self._member_limit = member_limit
        self._keys = tuple(keys)
        self._keep = keep
        self._cache: OrderedDict[tuple[Step, ...], tuple[ExitStack, Any]] = OrderedDict()

    def _cached(self, key: tuple[Step, ...], make: Callable[..., Any], *args: Any) -> Any:
        """``make(stack, *args)``, or what it made for ``key`` before; what it opened on
        ``stack`` stays open until the entry is dropped."""
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key][1]
        stack = ExitStack()
        try:
            value = make(stack, *args)
        except BaseException:
            stack.close()
            raise
        self._cache[key] = (stack, value)
        while len(self._cache) > self._keep:
            self._drop(next(iter(self._cache)))
        return value

    def _drop(self, key: tuple[Step, ...]) -> None:
        """Close what ``key`` opened, and everything opened inside it first."""
        for inner in [k for k in self._cache if k[: len(key)] == key and k != key]:
            self._cache.pop(inner)[0].close()
        found = self._cache.pop(key, None)
        if found is not None:
            found[0].close()

    def open(self, locator: Locator) -> BinaryIO:
        """A read-only file object of the item's bytes (the caller closes it). Raises
        LocatorError with a one-line reason when the chain no longer resolves."""
        try:
            return self._open(locator)
        except LocatorError:
            raise
        except (OSError, RuntimeError, ContainerError, LimitReached) as exc:
            raise LocatorError(f"cannot reopen: {_reason(exc)}") from exc

    def _open(self, locator: Locator) -> BinaryIO:
        if not locator or not isinstance(locator[0], FileStep):
            raise LocatorError("a locator starts at a file")
        first = locator[0]
        stream: BinaryIO | None = None
        image: Any = None
        volume: tuple[tuple[Step, ...], int] | None = None  # the volume's key and offset
        path: bytes | None = None
        for n, step in enumerate(locator):
            key = locator[: n + 1]
            if isinstance(step, FileStep):
                if n:
                    raise LocatorError("a file step inside a container")
                path = first.path
                if len(locator) > 1:  # kept open for the containers inside it
                    stream = self._cached(key, _enter, self._open_path, first.path)
                else:
                    stream = self._open_path(first.path)
            elif isinstance(step, ImageStep):
                image = self._cached(key, disk_image.open_image, _need(stream, step), path,
                                     step.format, self._open_path)
                stream = path = None
            elif isinstance(step, VolumeStep):
                _need(image, step)
                volume = key, step.offset
            elif isinstance(step, CryptStep):
                offset = _need(volume, step)[1]
                image = self._cached(key, disk_image.open_crypt, image, offset, step.scheme,
                                     self._keys)
                volume = None
            elif isinstance(step, EntryStep):
                where, offset = _need(volume, step)
                fs = self._cached(where, _open_fs, image, offset)
                stream, path = disk_image.open_entry(fs, step.inode), None
            elif isinstance(step, TailStep):
                stream, path = _tail(_need(stream, step), step.offset), None
            elif isinstance(step, SliceStep):
                stream = _slice(_need(stream, step), step.offset, step.size)
                path = None
            elif isinstance(step, StreamStep):
                stream, path = self._ole_stream(key[:-1], _need(stream, step), step), None
            else:
                stream, path = self._member(key[:-1], _need(stream, step), step), None
        if stream is None:
            raise LocatorError("locator ends inside a container, not at a file")
        if len(locator) > 1:
            # TSK's handles do not keep their file system and image alive: the stream does,
            # for as long as it is used, even after the Opener is gone.
            stream.raw._owners = [  # type: ignore[attr-defined]
                value for key, (_stack, value) in self._cache.items()
                if _opened_for(key, locator)]
        return stream

    def _member(self, key: tuple[Step, ...], stream: BinaryIO, step: MemberStep) -> BinaryIO:
        if not stream.seekable():  # a member of a member: read forward from its start
            return _Cursor(stream, owned=True).member(step.index, self._member_limit)
        slot = (*key, _CURSOR)
        cursor: _Cursor = self._cached(slot, _closing, _Cursor(stream))
        try:
            return cursor.member(step.index, self._member_limit)
        except Exception:
            self._drop(slot)
            raise

    def _ole_stream(self, key: tuple[Step, ...], stream: BinaryIO, step: StreamStep
                    ) -> BinaryIO:
        """A Thumbs.db thumbnail: the compound file is kept open for the next one (read
        into memory first when it is itself a member read forward)."""
        if stream.seekable():
            ole = self._cached((*key, _OLE), _closing_ole, stream)
        else:
            data = stream.read(self._member_limit + 1)
            if len(data) > self._member_limit:
                raise LimitReached(f"member expands past {self._member_limit} bytes")
            ole = thumbsdb.open_ole(io.BytesIO(data))
        data_stream = thumbsdb.open_thumbnail(ole, step)
        return _slice(data_stream, step.offset, data_stream.seek(0, 2) - step.offset)

    def close(self) -> None:
        while self._cache:
            self._cache.popitem()[1][0].close()


def _tail(stream: BinaryIO, offset: int) -> BinaryIO:
    """``stream`` from ``offset`` on (read forward when it cannot seek)."""
    if stream.seekable():
        stream.seek(offset)
        return stream
    left = offset
    while left > 0:
        skipped = len(stream.read(min(left, BLOCK)))
        if not skipped:
            raise ContainerError(f"ends before byte {offset}")
        left -= skipped
    return stream


class _SliceIO(io.RawIOBase):
    """``size`` bytes of ``base`` from ``start``, as a file of their own. Seekable when the
    base is (each read seeks it, so slices of one open file can take turns); otherwise read
    forward once."""

    def __init__(self, base: BinaryIO, start: int, size: int) -> None:
        self._base, self._start, self._size, self._pos = base, start, max(0, size), 0
        self._skipped = base.seekable()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return self._base.seekable()

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = 0) -> int:
        if not self.seekable():
            raise OSError("slice of a stream that cannot seek")
        base = {0: 0, 1: self._pos, 2: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        if self._base.seekable():
            self._base.seek(self._start + self._pos)
        elif not self._skipped:
            _tail(self._base, self._start)
            self._skipped = True
        data = self._base.read(want)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def _slice(stream: BinaryIO, start: int, size: int) -> BinaryIO:
    return io.BufferedReader(_SliceIO(stream, start, size))


_CURSOR = MemberStep(-1, "")  # cache slot of an archive's cursor, after the archive's key
_OLE = MemberStep(-2, "")  # cache slot of an opened compound file (Thumbs.db)


def _opened_for(key: tuple[Step, ...], locator: Locator) -> bool:
    if key[-1] in (_CURSOR, _OLE):
        key = key[:-1]
    return locator[: len(key)] == key


def _closing_ole(stack: ExitStack, stream: BinaryIO) -> Any:
    ole = thumbsdb.open_ole(stream)
    stack.callback(ole.close)
    return ole


def _enter(stack: ExitStack, open_path: OpenPath, path: bytes) -> BinaryIO:
    return stack.enter_context(open_path(path))


def _open_fs(_stack: ExitStack, image: Any, offset: int) -> Any:
    return disk_image.open_fs(image, offset)


def _closing(stack: ExitStack, cursor: _Cursor) -> _Cursor:
    stack.callback(cursor.close)
    return cursor


def _need(value: Any, step: Step) -> Any:
    if value is None:
        raise LocatorError(f"locator step {type(step).__name__} has nothing to open")
    return value


def _reason(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return f"{exc.filename!r} not found" if exc.filename else "file not found"
    text = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return " ".join(str(text).split())[:300]
