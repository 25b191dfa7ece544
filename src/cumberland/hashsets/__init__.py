"""Streaming readers for known-hash lists (VICS, NSRL, hashdeep, *sum, HashKeeper, PDQ, tx, NCMEC).

``open_reader(path)`` sniffs the format and returns a reader: ``reader.info`` describes the set,
iterating it yields :class:`HashRecord` objects one at a time, and malformed input raises
:class:`HashSetError` with a one-line message naming the file and the line, byte or record.
The formats are declared in one place, :mod:`.formats`.
"""

from .base import HashRecord, HashSetError, HashSetInfo, HashSetReader, ReaderBase
from .detect import detect_format, open_reader
from .formats import CLI_FORMATS, FORMATS

__all__ = [
    "CLI_FORMATS",
    "FORMATS",
    "HashRecord",
    "HashSetError",
    "HashSetInfo",
    "HashSetReader",
    "ReaderBase",
    "detect_format",
    "open_reader",
]
