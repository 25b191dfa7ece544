"""A file over a "read ``n`` bytes at ``offset``" function: what pytsk3's file handles and
the byte sources under encrypted volumes give, and what Pillow, libarchive and libyal read."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

ReadAt = Callable[[int, int], bytes]


class ReadAtFile(io.RawIOBase):
    """``size`` bytes read through ``read_at``, as a seekable read-only file."""

    def __init__(self, read_at: ReadAt, size: int) -> None:
        self._read_at, self._size, self._pos = read_at, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def get_size(self) -> int:
        """libyal's file-object protocol asks for the size this way."""
        return self._size

    def readinto(self, buffer: Any) -> int:
        n = min(len(buffer), self._size - self._pos)
        if n <= 0:
            return 0
        data = self._read_at(self._pos, n)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)
