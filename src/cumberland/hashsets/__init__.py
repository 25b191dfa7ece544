"""Streaming readers for known-hash lists (VICS, NSRL, hashdeep, *sum, HashKeeper, PDQ, NCMEC).

``open_reader(path)`` sniffs the format and returns a reader: ``reader.info`` describes the set,
iterating it yields :class:`HashRecord` objects one at a time, and malformed input raises
:class:`HashSetError` with a one-line message naming the file and the line, byte or record.
"""

from .base import HashRecord, HashSetError, HashSetInfo, HashSetReader, ReaderBase
from .detect import CLI_FORMATS, FORMATS, detect_format, open_reader

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
