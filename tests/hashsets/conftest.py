"""Shared fixtures for the hash-set reader tests. All data here is benign stand-in text."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError


def digests(text: str) -> tuple[str, str, str]:
    """(md5, sha1, sha256) hex of a harmless string, so fixtures carry real-looking digests."""
    data = text.encode()
    return (
        hashlib.md5(data).hexdigest(),
        hashlib.sha1(data).hexdigest(),
        hashlib.sha256(data).hexdigest(),
    )


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text (UTF-8) or bytes to a file in tmp_path and return its path."""

    def _write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    return _write


@pytest.fixture
def check_error() -> Callable[[HashSetError, Path, str], None]:
    """Assert a HashSetError is one line, names the file and the expected location."""

    def _check(error: HashSetError, path: Path, location: str) -> None:
        text = str(error)
        assert "\n" not in text
        assert text.startswith(f"{path}")
        assert f": {location}" in text, text
        assert error.location.split()[0] == location.split()[0]

    return _check


@pytest.fixture
def hexes() -> Callable[[str], tuple[str, str, str]]:
    return digests
