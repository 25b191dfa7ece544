"""``Thumbs.db`` (Windows 2000, XP, and network shares later) read as a container.

A Thumbs.db sits beside the pictures it was made from and outlives them: each thumbnail
stream becomes a member located by a ``stream`` step (the OLE stream and where the picture
starts in it), named by the file name the ``Catalog`` stream records for it, with that
catalogue entry's modification time as the member's, so a thumbnail of a deleted picture
says what the picture was called and when it was last changed.

The file is an OLE compound file (read with ``olefile``, read-only, from any seekable file
object). Layout as public readers of the format describe it (Vinetto; the Just Solve the
File Format wiki's "Windows thumbnail cache"; PRONOM fmt/682):

- ``Catalog``: a header (uint16 header size, uint16 version, uint32 entry count, uint32
  thumbnail width and height), then per entry a uint32 entry size, uint32 index, FILETIME,
  and the UTF-16 file name ending in four zero bytes.
- a thumbnail stream per index, named by the index's decimal digits reversed ("21" for 12);
  Vista and later write streams named ``<size>_<thumbnail cache id>`` with no catalogue.
  Each starts with a header (uint32 header size, uint32, uint32 picture size) followed by
  a JPEG ("type 2"). Windows 98/ME/2000 "type 1" thumbnails are partial JPEGs that need
  tables the file does not carry: they are recorded, skipped, with that reason.

Hostile files (a damaged compound file, a stream larger than the file, a header pointing
past its stream) are recorded errors; every thumbnail stream found is a member.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Iterator
from typing import Any, BinaryIO

import olefile

from cumberland.sources.archive import Budget
from cumberland.sources.base import BLOCK
from cumberland.sources.locator import StreamStep
from cumberland.sources.member import ContainerError, Member, Report

_NEW_NAME = re.compile(r"^(\d+)_([0-9a-fA-F]+)$")
_FILETIME_EPOCH = 116_444_736_000_000_000  # 1601-01-01 to 1970-01-01 in 100 ns


def filetime(value: int) -> float | None:
    """A Windows FILETIME as Unix seconds; None when unset or outside 1970-2200."""
    seconds = (value - _FILETIME_EPOCH) / 10_000_000
    return seconds if 0 < seconds < 7_258_118_400 else None


def open_ole(stream: BinaryIO) -> Any:
    """The compound file in ``stream`` (seekable), or ContainerError saying why not."""
    try:
        return olefile.OleFileIO(stream)
    except Exception as exc:  # olefile raises a variety on hostile input
        raise ContainerError(f"damaged OLE compound file: {exc}"[:300]) from exc


def thumbnail_streams(ole: Any) -> list[str]:
    """The names of the streams that hold thumbnails (reversed index digits, or the newer
    ``<size>_<id>``), in index order."""
    names = ["/".join(entry) for entry in ole.listdir(streams=True, storages=False)]
    old = sorted((n for n in names if n.isdigit()), key=lambda n: int(n[::-1]))
    return old + sorted(n for n in names if _NEW_NAME.match(n))


def is_thumbs_db(ole: Any) -> bool:
    return bool(ole.exists("Catalog") or any(
        _NEW_NAME.match("/".join(e)) for e in ole.listdir(streams=True, storages=False)))


def catalog(ole: Any, report: Report, facts: dict[str, Any]
            ) -> dict[int, tuple[str, float | None]]:
    """Index -> (file name, modification time) from the Catalog stream (its version and
    entry count go in ``facts``)."""
    if not ole.exists("Catalog"):
        return {}
    try:
        data = ole.openstream("Catalog").read()
    except Exception as exc:
        report.errors.append(f"Thumbs.db: Catalog unreadable: {exc}"[:300])
        return {}
    if len(data) < 16:
        report.errors.append("Thumbs.db: Catalog shorter than its header")
        return {}
    offset, version, count = struct.unpack_from("<HHI", data, 0)
    facts["catalog_version"] = version
    facts["catalog_entries"] = count
    out: dict[int, tuple[str, float | None]] = {}
    while offset + 16 <= len(data):
        size, index, modified = struct.unpack_from("<IIQ", data, offset)
        if size < 20 or offset + size > len(data):
            report.errors.append(f"Thumbs.db: Catalog entry at byte {offset} declares "
                                 f"{size} bytes")
            break
        name = data[offset + 16 : offset + size - 4].decode("utf-16-le", "replace")
        out[index] = (name.rstrip("\x00") or f"entry {index}", filetime(modified))
        offset += size
    return out


def _stream_blocks(ole: Any, name: str, offset: int, budget: Budget | None
                   ) -> Iterator[bytes]:
    data = ole.openstream(name)
    data.seek(offset)
    if budget is not None:
        budget.start_member()
    while block := data.read(BLOCK):
        if budget is not None:
            budget.consume(len(block))
        yield block


def read_thumbs_db(stream: BinaryIO, report: Report, budget: Budget | None = None
                   ) -> Iterator[Member]:
    """Every thumbnail stream of a Thumbs.db, named by its catalogue entry where it has one."""
    size = stream.seek(0, 2)
    stream.seek(0)
    ole = open_ole(stream)
    try:
        if not is_thumbs_db(ole):  # an Office document or Outlook message: no thumbnails
            report.meta["compound_file"] = "no thumbnail cache"
            return
        facts: dict[str, Any] = {"format": "thumbs.db", "thumbnails": 0}
        report.meta["cache"] = facts
        names = catalog(ole, report, facts)
        seen: set[int] = set()
        for name in thumbnail_streams(ole):
            facts["thumbnails"] += 1
            new = _NEW_NAME.match(name)
            index = None if new else int(name[::-1])
            entry = new.group(2).lower() if new else str(index)
            recorded = names.get(index) if index is not None else None
            if index is not None:
                seen.add(index)
            display = recorded[0] if recorded else f"{name if new else entry}.jpg"
            member = _thumbnail(ole, name, entry, display, recorded, size, budget)
            yield member
        missing = sorted(set(names) - seen)
        if missing:
            facts["catalogued_without_stream"] = len(missing)
            report.notes.append(f"{len(missing)} catalogue entries without a thumbnail "
                                f"stream")
    finally:
        ole.close()


def _thumbnail(ole: Any, name: str, entry: str, display: str,
               recorded: tuple[str, float | None] | None, file_size: int,
               budget: Budget | None) -> Member:
    source = recorded[0] if recorded else None
    step = StreamStep(name, 0, display, entry, source)
    member = Member((step,), None)
    if recorded:
        member.times.modified = recorded[1]
    try:
        length = int(ole.get_size(name))
        if length > file_size:
            raise ContainerError(f"declares {length} bytes, more than the file")
        head = ole.openstream(name).read(12) if length >= 12 else b""
    except Exception as exc:
        member.status, member.reason = "error", f"Thumbs.db stream {name!r}: {exc}"[:300]
        return member
    if len(head) < 12:
        member.status, member.reason = "error", f"Thumbs.db stream {name!r}: no header"
        return member
    header, _unknown, declared = struct.unpack("<III", head)
    if not 12 <= header < length:
        member.status = "error"
        member.reason = f"Thumbs.db stream {name!r}: header of {header} bytes in {length}"
        return member
    member.steps = (StreamStep(name, header, display, entry, source),)
    member.size = length - header
    start = ole.openstream(name).read(header + 4)[header:]
    if start[:2] != b"\xff\xd8" and start[:4] == b"\x01\x00\x00\x00":
        member.status = "skipped"
        member.reason = ("unsupported: Thumbs.db type 1 thumbnail (a partial JPEG without "
                         "its tables, Windows 98/ME/2000)")
        return member
    if declared != member.size:
        member.reason = (f"Thumbs.db stream {name!r} declares {declared} bytes of picture, "
                         f"holds {member.size}")
    member.blocks = lambda: _stream_blocks(ole, name, header, budget)
    return member


def open_thumbnail(ole: Any, step: StreamStep) -> BinaryIO:
    """A thumbnail's stream again (``sources/reopen.py``; the picture starts at
    ``step.offset``)."""
    try:
        data: BinaryIO = ole.openstream(step.stream)
    except Exception as exc:  # olefile's errors on a damaged or changed file
        raise ContainerError(f"Thumbs.db stream {step.stream!r}: {exc}"[:300]) from exc
    return data
