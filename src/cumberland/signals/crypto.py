"""MD5, SHA-1 and SHA-256 of a stream in one read pass."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Digests:
    md5: bytes
    sha1: bytes
    sha256: bytes
    size: int


class MultiHasher:
    """Feeds every block to the three hashes at once so a file is read only once."""

    def __init__(self) -> None:
        self._md5 = hashlib.md5(usedforsecurity=False)
        self._sha1 = hashlib.sha1(usedforsecurity=False)
        self._sha256 = hashlib.sha256()
        self.size = 0

    def update(self, block: bytes | memoryview) -> None:
        self._md5.update(block)
        self._sha1.update(block)
        self._sha256.update(block)
        self.size += len(block)

    def digests(self) -> Digests:
        return Digests(self._md5.digest(), self._sha1.digest(), self._sha256.digest(), self.size)


def digest_blocks(blocks: Iterable[bytes]) -> Digests:
    hasher = MultiHasher()
    for block in blocks:
        hasher.update(block)
    return hasher.digests()
