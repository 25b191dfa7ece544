"""Writers of the artefact files the tests read, from the published format descriptions
(see the docstrings of ``sources/artefacts/thumbcache.py``, ``thumbsdb.py`` and
``recycle.py``). No Windows, macOS or real device is needed; every picture is a generated,
benign one (flat colours and simple shapes)."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageDraw

FILETIME_EPOCH = 116_444_736_000_000_000


def filetime(unix: float) -> int:
    return int(unix * 10_000_000) + FILETIME_EPOCH


def picture(width: int, height: int, seed: int, fmt: str = "JPEG", alpha: bool = False
            ) -> bytes:
    """A benign generated picture: a coloured background with a few shapes."""
    mode = "RGBA" if alpha else "RGB"
    colour = ((seed * 53) % 256, (seed * 97) % 256, (seed * 191) % 256)
    img = Image.new(mode, (width, height), (*colour, 0) if alpha else colour)
    draw = ImageDraw.Draw(img)
    for k in range(4):
        x0 = (seed * 31 + k * 47) % max(1, width - 4)
        y0 = (seed * 17 + k * 29) % max(1, height - 4)
        fill = ((seed + k * 80) % 256, (seed * 3 + k * 40) % 256, (k * 60) % 256)
        draw.ellipse([x0, y0, min(width, x0 + width // 3 + 2), min(height, y0 + height // 3 + 2)],
                     fill=(*fill, 255) if alpha else fill)
    out = io.BytesIO()
    img.save(out, fmt, **({"quality": 90} if fmt == "JPEG" else {}))
    return out.getvalue()


# --- thumbcache_*.db -------------------------------------------------------------------------


@dataclass
class CacheEntry:
    hash: int
    data: bytes = b""
    identifier: str | None = None  # default: the hash in hex, as Windows writes it
    padding: int = 0
    width: int = 0
    height: int = 0


def cache_entry(version: int, entry: CacheEntry) -> bytes:
    ident = (f"{entry.hash:x}" if entry.identifier is None else entry.identifier)
    raw_id = ident.encode("utf-16-le")
    pad = b"\x00" * entry.padding
    if version == 20:
        header_size = 56
        fields = struct.pack("<Q8sIIII", entry.hash, ".jpg".encode("utf-16-le"),
                             len(raw_id), len(pad), len(entry.data), 0)
        tail = struct.pack("<QQ", 0, 0)
    elif version == 21:
        header_size = 48
        fields = struct.pack("<QIIII", entry.hash, len(raw_id), len(pad), len(entry.data), 0)
        tail = struct.pack("<QQ", 0, 0)
    else:
        header_size = 56
        fields = struct.pack("<QIIIIII", entry.hash, len(raw_id), len(pad), len(entry.data),
                             entry.width, entry.height, 0)
        tail = struct.pack("<QQ", 0, 0)
    size = header_size + len(raw_id) + len(pad) + len(entry.data)
    header = b"CMMM" + struct.pack("<I", size) + fields + tail
    assert len(header) == header_size, (version, len(header))
    return header + raw_id + pad + entry.data


def thumbcache(version: int, entries: list[CacheEntry], cache_type: int = 2,
               kutcher_header: bool = False, free_tail: int = 0) -> bytes:
    """A cache file. Versions 30+ put the first entry's offset at 12 (Metz) or at 16 with
    a flag at 12 (Kutcher); a free entry of ``free_tail`` bytes may close the file."""
    body = b"".join(cache_entry(version, e) for e in entries)
    first = 24
    available = first + len(body)
    if version > 21 and kutcher_header:
        header = b"CMMM" + struct.pack("<IIIII", version, cache_type, 1, first, available)
    else:
        header = b"CMMM" + struct.pack("<IIIII", version, cache_type, first, available,
                                       len(entries))
    tail = b""
    if free_tail:
        tail = b"CMMM" + struct.pack("<I", free_tail) + b"\x00" * (free_tail - 8)
    return header + body + tail


# --- OLE compound files (MS-CFB version 3) and Thumbs.db ------------------------------------

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def _dir_entry(name: str, kind: int, start: int, size: int, child: int = _NOSTREAM,
               right: int = _NOSTREAM) -> bytes:
    raw = (name.encode("utf-16-le") + b"\x00\x00") if name else b""
    return (raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw), kind, 1)
            + struct.pack("<III", _NOSTREAM, right, child) + b"\x00" * 16 + b"\x00" * 4
            + b"\x00" * 16 + struct.pack("<IQ", start, size))


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A minimal compound file holding ``streams`` in its root storage: streams under 4096
    bytes in the mini stream (64-byte mini sectors), the others in 512-byte sectors."""
    small = {n: d for n, d in streams.items() if len(d) < 4096}
    big = {n: d for n, d in streams.items() if len(d) >= 4096}
    ministream, minifat, mini_start = b"", [], {}
    for name, data in small.items():
        mini_start[name] = len(ministream) // 64
        count = max(1, -(-len(data) // 64))
        minifat += [mini_start[name] + i + 1 for i in range(count - 1)] + [_END]
        ministream += data.ljust(count * 64, b"\x00")
    chains: list[tuple[str, bytes]] = []
    names = list(streams)
    entries_count = 1 + len(names)
    chains.append(("dir", b"\x00" * (-(-entries_count * 128 // 512) * 512)))
    if minifat:
        chains.append(("minifat", b"".join(struct.pack("<I", v) for v in minifat)))
    if ministream:
        chains.append(("ministream", ministream))
    chains += [(f"big:{n}", d) for n, d in big.items()]
    sectors_of = [(label, max(1, -(-len(data) // 512)), data) for label, data in chains]
    others = sum(n for _, n, _ in sectors_of)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + others:
        fat_sectors += 1
    fat = [_FATSECT] * fat_sectors
    start: dict[str, int] = {}
    for label, count, _data in sectors_of:
        start[label] = len(fat)
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [_END]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    directory = [_dir_entry("Root Entry", 5, start.get("ministream", _END), len(ministream),
                            child=1 if names else _NOSTREAM)]
    for i, name in enumerate(names):
        data = streams[name]
        first = start[f"big:{name}"] if name in big else mini_start[name]
        directory.append(_dir_entry(name, 2, first, len(data),
                                    right=i + 2 if i + 1 < len(names) else _NOSTREAM))
    dir_bytes = b"".join(directory)
    body = []
    for label, count, data in sectors_of:
        if label == "dir":
            data = dir_bytes
        body.append(data.ljust(count * 512, b"\x00"))
    difat = [i for i in range(fat_sectors)] + [_FREE] * (109 - fat_sectors)
    header = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16
              + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + b"\x00" * 6
              + struct.pack("<IIIIIIIII", 0, fat_sectors, start["dir"], 0, 4096,
                            start.get("minifat", _END), 1 if minifat else 0, _END, 0)
              + b"".join(struct.pack("<I", v) for v in difat))
    assert len(header) == 512
    fat_bytes = b"".join(struct.pack("<I", v) for v in fat)
    return header + fat_bytes + b"".join(body)


@dataclass
class Thumb:
    index: int
    name: str | None  # catalogued file name (None: no catalogue entry)
    modified: float
    data: bytes
    type1: bool = False  # a Windows 2000-style partial JPEG


def thumbnail_stream(data: bytes, type1: bool = False) -> bytes:
    if type1:
        body = struct.pack("<IHH", 1, len(data), 0) + b"\x00" * 8 + data
        return struct.pack("<III", 12, 1, len(body)) + body
    return struct.pack("<III", 12, 1, len(data)) + data


def catalog(thumbs: list[Thumb], width: int = 96, height: int = 96) -> bytes:
    entries = b""
    listed = [t for t in thumbs if t.name is not None]
    for t in listed:
        raw = (t.name or "").encode("utf-16-le") + b"\x00\x00\x00\x00"
        entries += struct.pack("<IIQ", 16 + len(raw), t.index, filetime(t.modified)) + raw
    return struct.pack("<HHIII", 16, 7, len(listed), width, height) + entries


def thumbs_db(thumbs: list[Thumb], extra: dict[str, bytes] | None = None,
              with_catalog: bool = True) -> bytes:
    streams: dict[str, bytes] = {}
    if with_catalog:
        streams["Catalog"] = catalog(thumbs)
    for t in thumbs:
        streams[str(t.index)[::-1]] = thumbnail_stream(t.data, t.type1)
    streams.update(extra or {})
    return compound_file(streams)


# --- recycle bins ---------------------------------------------------------------------------


def i_file(version: int, path: str, size: int, deleted: float) -> bytes:
    head = struct.pack("<qqQ", version, size, filetime(deleted))
    raw = path.encode("utf-16-le") + b"\x00\x00"
    if version == 1:
        return head + raw.ljust(520, b"\x00")
    return head + struct.pack("<I", len(raw) // 2) + raw


def info2(records: list[tuple[int, int, str, float, int]], size: int = 800,
          zeroed: tuple[int, ...] = ()) -> bytes:
    """Records (index, drive number, path, deleted, size on disk); ``zeroed`` indexes had
    their first byte cleared (restored or emptied)."""
    out = struct.pack("<IIIII", 5, len(records), len(records), size, 0)
    for index, drive, path, deleted, on_disk in records:
        ansi = path.encode("cp1252").ljust(260, b"\x00")
        if index in zeroed:
            ansi = b"\x00" + ansi[1:]
        rec = ansi + struct.pack("<IIQI", index, drive, filetime(deleted), on_disk)
        if size == 800:
            rec += (path.encode("utf-16-le") + b"\x00\x00").ljust(520, b"\x00")
        out += rec
    return out


def trashinfo(path: str, when: str) -> bytes:
    from urllib.parse import quote

    return f"[Trash Info]\nPath={quote(path)}\nDeletionDate={when}\n".encode()
