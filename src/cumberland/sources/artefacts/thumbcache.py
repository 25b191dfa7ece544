"""Windows Explorer thumbnail caches (``thumbcache_*.db``, Vista to 11) read as containers.

A thumbnail cache holds pictures the user looked at, including ones deleted since: each
cache entry's data (a JPEG, PNG or BMP) becomes a member, located by a ``slice`` step (its
byte range in the cache file) and named by the entry's hash, so it is hashed, matched,
stacked and reviewed like any picture and can be read again by its locator.

Layout as described by Joachim Metz, "Windows Explorer Thumbnail Cache database format"
(libwtcdb documentation, 2010-2024) and by Eric Kutcher's Thumbcache Viewer:

- file header, 24 bytes: ``CMMM``, format version (20 Vista, 21 Windows 7, 30 Windows 8,
  31 Windows 8.1, 32 Windows 10 and 11; 26 and 28 were early Windows 8 builds), cache type
  (which ``thumbcache_<size>.db`` it is), then the offset of the first cache entry: at 12 in
  versions 20 and 21; in 30 and later Metz gives 12 and Kutcher 16 (12 holding a flag), so
  both are tried, and the end of the header after them.
- cache entries one after another, each ``CMMM``, its size (header included), the entry
  hash (8 bytes), then by version: 20 an 8-byte file extension, identifier size, padding
  size, data size (header of 56 bytes); 21 identifier, padding and data sizes (48 bytes);
  30+ identifier, padding and data sizes and the thumbnail's width and height (56 bytes).
  After the header: the identifier (UTF-16, usually the hash in hex), padding, the data.

Hostile files: an entry whose sizes leave its own bounds or the file is recorded (its data
member as an error when the data itself starts inside the file), and the walk then looks
for the next ``CMMM`` signature after it, so one damaged entry does not hide the rest.
Entries only ever move forward, so a loop of offsets cannot trap the reader.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from cumberland.sources.archive import Budget
from cumberland.sources.base import BLOCK
from cumberland.sources.locator import SliceStep
from cumberland.sources.member import ContainerError, Member, Report

SIGNATURE = b"CMMM"
INDEX_SIGNATURE = b"IMMM"
HEADER = 24
WINDOWS = {20: "Windows Vista", 21: "Windows 7", 26: "Windows 8 (early)",
           28: "Windows 8 (early)", 30: "Windows 8", 31: "Windows 8.1", 32: "Windows 10/11"}
_TYPES_7 = ("32", "96", "256", "1024", "sr")
_TYPES_8 = ("16", "32", "48", "96", "256", "1024", "sr", "wide", "exif")
_TYPES_81 = ("16", "32", "48", "96", "256", "1024", "1600", "sr", "wide", "exif",
             "wide_alternate")
_TYPES_10 = ("16", "32", "48", "96", "256", "768", "1280", "1920", "2560", "sr", "wide", "exif",
             "wide_alternate", "custom_stream")
_SCAN = 1 << 20  # bytes searched at a time for the next entry after a damaged one


@dataclass(frozen=True, slots=True)
class Layout:
    """Where a version's entry header keeps its fields."""

    header: int
    sizes: int  # offset of identifier size, padding size, data size (three uint32)
    dimensions: int | None = None  # offset of width, height (uint32 each)


_LAYOUTS = {20: Layout(56, 24), 21: Layout(48, 16)}
_LAYOUT_8 = Layout(56, 16, 28)


def layout(version: int) -> Layout:
    return _LAYOUTS.get(version, _LAYOUT_8)


def cache_type(version: int, value: int) -> str:
    names = (_TYPES_7 if version <= 21 else _TYPES_8 if version <= 30
             else _TYPES_81 if version == 31 else _TYPES_10)
    return f"thumbcache_{names[value]}.db" if 0 <= value < len(names) else f"type {value}"


def _read_at(stream: BinaryIO, offset: int, size: int) -> bytes:
    stream.seek(offset)
    return stream.read(size)


def _first_entry(stream: BinaryIO, version: int, header: bytes, size: int) -> int:
    candidates = [int(struct.unpack_from("<I", header, 12)[0])]
    if version > 21:
        candidates += [int(struct.unpack_from("<I", header, 16)[0]), HEADER]
    for offset in candidates:
        if HEADER <= offset < size and _read_at(stream, offset, 4) == SIGNATURE:
            return offset
    raise ContainerError(f"thumbnail cache: no cache entry at the offsets its header gives "
                         f"({', '.join(str(c) for c in candidates)})")


def _resync(stream: BinaryIO, start: int, size: int) -> int | None:
    """The offset of the next entry signature at or after ``start``, if any."""
    position = start
    while position < size:
        chunk = _read_at(stream, position, _SCAN + len(SIGNATURE) - 1)
        found = chunk.find(SIGNATURE)
        if found >= 0:
            return position + found
        position += _SCAN
    return None


def _slice_blocks(stream: BinaryIO, offset: int, size: int, budget: Budget | None
                  ) -> Iterator[bytes]:
    if budget is not None:
        budget.start_member()
    done = 0
    while done < size:
        block = _read_at(stream, offset + done, min(BLOCK, size - done))
        if not block:
            return
        if budget is not None:
            budget.consume(len(block))
        done += len(block)
        yield block


def _extension(sample: bytes) -> str:
    if sample.startswith(b"\xff\xd8"):
        return "jpg"
    if sample.startswith(b"\x89PNG"):
        return "png"
    if sample.startswith(b"BM"):
        return "bmp"
    return "bin"


def read_thumbcache(stream: BinaryIO, report: Report, budget: Budget | None = None
                    ) -> Iterator[Member]:
    """Every cache entry that holds data, in file order (see the module docstring)."""
    size = stream.seek(0, 2)
    header = _read_at(stream, 0, HEADER)
    if len(header) < HEADER or header[:4] != SIGNATURE:
        raise ContainerError("thumbnail cache: truncated header")
    version, kind = struct.unpack_from("<II", header, 4)
    if version not in WINDOWS:
        raise ContainerError(f"thumbnail cache: unknown format version {version}")
    shape = layout(version)
    facts: dict[str, Any] = {
        "format": "thumbcache", "version": version, "windows": WINDOWS[version],
        "cache_type": cache_type(version, kind), "entries": 0, "thumbnails": 0,
        "without_data": 0}
    report.meta["cache"] = facts
    position: int | None = _first_entry(stream, version, header, size)
    while position is not None and position + 8 <= size:
        head = _read_at(stream, position, shape.header)
        if head[:4] != SIGNATURE:
            if not head.strip(b"\x00"):
                break  # zeroed free space at the end
            report.errors.append(f"thumbnail cache: no entry signature at byte {position}")
            position = _resync(stream, position + 1, size)
            continue
        if len(head) < shape.header:
            report.errors.append(f"thumbnail cache: entry at byte {position} cut off by the "
                                 f"end of the file")
            break
        entry_size = struct.unpack_from("<I", head, 4)[0]
        (entry_hash,) = struct.unpack_from("<Q", head, 8)
        id_size, padding, data_size = struct.unpack_from("<III", head, shape.sizes)
        facts["entries"] += 1
        start = position + shape.header
        data_at = start + id_size + padding
        end = position + entry_size
        if entry_size < shape.header or data_at + data_size > end:
            reason = (f"cache entry at byte {position} declares {entry_size} bytes"
                      if entry_size < shape.header else
                      f"cache entry at byte {position}: data ({data_size} bytes at byte "
                      f"{data_at}) beyond the entry's {entry_size} bytes")
            report.errors.append(f"thumbnail cache: {reason}")
            if data_size and data_at < size:
                yield _member(stream, entry_hash, "", data_at, data_size, size, budget,
                              reason)
                facts["thumbnails"] += 1
            position = _resync(stream, position + 4, size)
            continue
        if not data_size:
            facts["without_data"] += 1
        else:
            raw_id = _read_at(stream, start, min(id_size, 512))
            identifier = raw_id.decode("utf-16-le", "replace").rstrip("\x00")
            damage = None
            if data_at + data_size > size:
                damage = (f"cache entry at byte {position}: data ({data_size} bytes at byte "
                          f"{data_at}) beyond the end of the file")
                report.errors.append(f"thumbnail cache: {damage}")
            yield _member(stream, entry_hash, identifier, data_at, data_size, size, budget,
                          damage)
            facts["thumbnails"] += 1
        if end > size:  # damaged: what follows its header may still hold the next ones
            if data_at + data_size <= size:
                report.errors.append(f"thumbnail cache: cache entry at byte {position} "
                                     f"declares {entry_size} bytes, past the end of the file")
            position = _resync(stream, position + 4, size)
        else:
            position = end


def _member(stream: BinaryIO, entry_hash: int, identifier: str, offset: int, size: int,
            file_size: int, budget: Budget | None, damage: str | None) -> Member:
    key = f"{entry_hash:016x}"
    name = f"{key}.{_extension(_read_at(stream, offset, 8))}"
    size = max(0, min(size, file_size - offset))  # what is there is hashed and described
    step = SliceStep(offset, size, name, key, identifier or None)
    member = Member((step,), size,
                    blocks=lambda: _slice_blocks(stream, offset, size, budget))
    if damage is not None:
        member.reason = damage
    return member
