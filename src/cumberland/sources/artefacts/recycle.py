"""Recycle-bin records: where a deleted file came from and when it was deleted.

A recycle bin keeps a deleted file's content under a new name and records the original
path beside it. These parsers read the records; ``analysis/deleted.py`` then links each to
the item holding the content (its sibling by name), so that item shows its original path
and deletion time. Formats, as described by Joachim Metz (dtformats: "Windows Recycle.Bin
file formats", "Windows Recycler file formats") and the freedesktop.org Trash specification:

- ``$Recycle.Bin/<SID>/$I<id><.ext>`` (Vista and later), content in ``$R<id><.ext>`` (a file,
  or a folder for a deleted folder): int64 version (1: Vista to 8.1, 2: Windows 10 and
  later), int64 original size, FILETIME of deletion, then the original path in UTF-16:
  version 1 a fixed 520 bytes (MAX_PATH), version 2 a uint32 count of characters first.
- ``RECYCLER/<SID>/INFO2`` (2000, XP; ``RECYCLED/INFO2`` on 98 and ME): a 20-byte header
  whose fourth uint32 is the record size (280 on ME, 800 on 2000 and later), then records:
  the original path in the ANSI code page (260 bytes), uint32 index, uint32 drive number,
  FILETIME of deletion, uint32 size on disk, and with 800-byte records the path again in
  UTF-16 (520 bytes). The content is ``D<drive letter><index><original extension>``. A
  record whose first byte was zeroed was restored or emptied: it is kept, marked so.
- ``Trash/info/<name>.trashinfo`` (Linux desktops), content in ``Trash/files/<name>``:
  ``[Trash Info]`` with ``Path=`` (percent-encoded) and ``DeletionDate=`` (local time,
  ``YYYY-MM-DDThh:mm:ss``).

Each parser returns records or raises ``RecycleError`` with a one-line reason; nothing here
guesses: a file that does not parse strictly is not a record.
"""

from __future__ import annotations

import calendar
import struct
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from typing import Any

from cumberland.sources.artefacts.thumbsdb import filetime

I_MIME = "application/x-recycle-bin-i"
INFO2_MIME = "application/x-recycler-info2"
TRASHINFO_MIME = "application/x-trashinfo"
RECORD_MIMES = (I_MIME, INFO2_MIME, TRASHINFO_MIME)
_V1_PATH = 520
_MAX_V2_CHARS = 32_768  # the longest path Windows allows
_INFO2_RECORD_SIZES = (280, 800)
_INFO2_MAX = 1 << 24  # 16 MiB of records: ~20,000 deletions


class RecycleError(ValueError):
    """Bytes named like a recycle-bin record that are not one (one line: what is wrong)."""


@dataclass(frozen=True, slots=True)
class Record:
    """One deleted file: ``content`` is where its bytes are, relative to the record's own
    folder (``$RABC.jpg``, ``Dc3.jpg``, ``../files/a.jpg``)."""

    content: str
    original_path: str
    deleted_at: float | None
    size: int | None = None
    note: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(slots=True)
class Parsed:
    """What a record file held: its mime, its format (as people say it), its records, and
    notes on anything odd about it (a cut-off last record)."""

    mime: str
    format: str
    records: list[Record]
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"format": self.format, "records": [r.to_json() for r in self.records],
                **({"notes": self.notes} if self.notes else {})}


def _utf16(data: bytes) -> str:
    text = data.decode("utf-16-le", "replace")
    return text.split("\x00", 1)[0]


def parse_i_file(name: str, data: bytes) -> Parsed:
    """A ``$I`` file: (format, [its record]). ``name`` is the $I file's own name."""
    if name[:2].upper() != "$I" or len(name) < 3:
        raise RecycleError("not a $I file name")
    if len(data) < 24:
        raise RecycleError(f"$I file of {len(data)} bytes (shorter than its header)")
    version, size, deleted = struct.unpack_from("<qqQ", data, 0)
    if version == 1:
        if len(data) != 24 + _V1_PATH:
            raise RecycleError(f"$I version 1 of {len(data)} bytes (544 expected)")
        path = _utf16(data[24:])
    elif version == 2:
        if len(data) < 28:
            raise RecycleError("$I version 2 without its path length")
        chars = struct.unpack_from("<I", data, 24)[0]
        if not 0 < chars <= _MAX_V2_CHARS or len(data) < 28 + 2 * chars:
            raise RecycleError(f"$I version 2 path of {chars} characters in {len(data)} bytes")
        path = _utf16(data[28 : 28 + 2 * chars])
    else:
        raise RecycleError(f"$I format version {version} (1 or 2 expected)")
    if not path:
        raise RecycleError("$I record without an original path")
    content = ("$R" if name[1] == "I" else "$r") + name[2:]
    record = Record(content, path, filetime(deleted), size if size >= 0 else None)
    return Parsed(I_MIME, f"$I version {version}", [record])


def _drive(number: int) -> str:
    return chr(ord("a") + number) if 0 <= number < 26 else "c"


def _extension(path: str) -> str:
    base = path.replace("/", "\\").rsplit("\\", 1)[-1]
    dot = base.rfind(".")
    return base[dot:] if dot > 0 else ""


def parse_info2(data: bytes) -> Parsed:
    """An ``INFO2`` (or Windows 95's ``INFO``) file: (format, records in file order)."""
    if len(data) < 20:
        raise RecycleError(f"INFO2 of {len(data)} bytes (shorter than its header)")
    size = struct.unpack_from("<I", data, 12)[0]
    if size not in _INFO2_RECORD_SIZES:
        raise RecycleError(f"INFO2 record size {size} (280 or 800 expected)")
    body = data[20:_INFO2_MAX + 20]
    records = []
    for offset in range(0, len(body) - size + 1, size):
        raw = body[offset : offset + size]
        ansi = raw[:260]
        index, drive, deleted, on_disk = struct.unpack_from("<IIQI", raw, 260)
        wide = _utf16(raw[280:800]) if size == 800 else ""
        purged = ansi[:1] == b"\x00"
        path = wide or ansi.split(b"\x00", 1)[0].decode("cp1252", "replace")
        if purged and not wide:  # the first letter is gone with the zeroed byte
            path = "?" + ansi[1:].split(b"\x00", 1)[0].decode("cp1252", "replace")
        if not path.strip("?"):
            continue
        content = f"D{_drive(drive)}{index}{_extension(path)}"
        records.append(Record(content, path, filetime(deleted), on_disk,
                              "restored or emptied (record zeroed)" if purged else None))
    parsed = Parsed(INFO2_MIME, f"INFO2 ({size}-byte records)", records)
    if len(body) % size:
        parsed.notes.append(f"INFO2 ends inside a record ({len(body) % size} bytes over)")
    if len(data) > len(body) + 20:
        parsed.notes.append(f"INFO2 over {_INFO2_MAX} bytes: the rest not read")
    return parsed


def parse_trashinfo(name: str, data: bytes) -> Parsed:
    """A freedesktop.org ``.trashinfo`` file: (format, [its record])."""
    if not name.endswith(".trashinfo") or len(name) <= len(".trashinfo"):
        raise RecycleError("not a .trashinfo file name")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecycleError("trashinfo is not UTF-8") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != "[Trash Info]":
        raise RecycleError("trashinfo without its [Trash Info] group")
    values = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
    if "Path" not in values:
        raise RecycleError("trashinfo without a Path")
    path = urllib.parse.unquote(values["Path"])
    deleted = None
    if "DeletionDate" in values:
        try:  # the deleting machine's local time, zone unrecorded: kept as written (UTC)
            deleted = float(calendar.timegm(time.strptime(values["DeletionDate"][:19],
                                                          "%Y-%m-%dT%H:%M:%S")))
        except (ValueError, OverflowError):
            deleted = None
    content = "../files/" + name[: -len(".trashinfo")]
    note = "DeletionDate unreadable" if deleted is None and "DeletionDate" in values else None
    return Parsed(TRASHINFO_MIME, "trashinfo", [Record(content, path, deleted, note=note)])


def is_record_path(path: str) -> bool:
    """Whether a recycle bin keeps its records at ``path`` (``$Recycle.Bin/…/$I…``,
    ``RECYCLER/…/INFO2``, ``Trash/info/*.trashinfo``): such a file that does not parse is
    an error; the same name elsewhere is an ordinary file."""
    text = path.replace("\\", "/").lower()
    folder, _, name = text.rpartition("/")
    if name.startswith("$i"):
        return "$recycle.bin/" in folder + "/"
    if name in ("info2", "info"):
        return any(f"{bin_}/" in folder + "/" for bin_ in ("recycler", "recycled"))
    return name.endswith(".trashinfo") and (folder + "/").endswith("/info/")


def parse_record_file(name: str, data: bytes) -> Parsed | None:
    """The records of a recycle-bin record file, by its name; None for a name no recycle
    bin uses. Raises RecycleError for one that does not parse."""
    if name[:2].upper() == "$I":
        return parse_i_file(name, data)
    if name.upper() in ("INFO2", "INFO"):
        return parse_info2(data)
    if name.endswith(".trashinfo"):
        return parse_trashinfo(name, data)
    return None
