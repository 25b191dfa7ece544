"""Tell a hash-set file's format from its first bytes, and open the matching reader.

Extensions are not trusted: hash lists travel as ``.txt``, ``.csv``, ``.json`` or nothing at
all. The first 64 KiB are read once into a :class:`Sample` (text decoded from UTF-8 or
UTF-16 with a BOM) and each registered format's sniff function is asked in turn
(:data:`.formats.REGISTRY`). A sniff function may refuse a file outright when it is
recognisably ambiguous: a list of bare 64-hex digests could be PDQ hashes or SHA-256
digests, and is never guessed.
"""

from __future__ import annotations

from pathlib import Path

from ._text import sample_lines
from .base import HashSetError, ReaderBase, Sample
from .formats import BY_NAME, CLI_FORMATS, REGISTRY

SNIFF = 64 * 1024


def sample(path: Path | str) -> Sample:
    """The first :data:`SNIFF` bytes of ``path``, as bytes and as text lines."""
    with open(path, "rb") as stream:
        head = stream.read(SNIFF + 1)
    complete = len(head) <= SNIFF
    head = head[:SNIFF]
    text, lines = sample_lines(head, complete)
    return Sample(Path(path), head, text, lines)


def detect_format(path: Path | str) -> str:
    """The name of the registered format ``path`` is in, or HashSetError at byte 0."""
    seen = sample(path)
    for candidate in REGISTRY:
        if candidate.sniff is not None and candidate.sniff(seen):
            return candidate.name
    raise HashSetError(path, "byte 0", "unrecognised hash-set format")


def open_reader(path: Path | str, fmt: str = "auto", scratch: Path | None = None) -> ReaderBase:
    """The reader for ``path``; ``fmt`` is one of :data:`.formats.CLI_FORMATS`. ``scratch``:
    a private folder for readers that must copy what they read (see ``Opener``)."""
    chosen = detect_format(path) if fmt == "auto" else fmt
    if chosen not in BY_NAME:
        raise ValueError(f"unknown hash-set format {fmt!r}; choose from {', '.join(CLI_FORMATS)}")
    return BY_NAME[chosen].open(Path(path), scratch)
