"""Where an image file's own data ends, so that anything appended after it is seen.

Decoders stop at the end of the picture and say nothing of what follows, which makes the
space after it a known hiding place (``cat photo.jpg stash.zip > photo.jpg`` is still a
photo to every viewer, and a zip to every unzip). The end is found from the format's own
structure, never by searching for a magic number: JPEG segments up to EOI (skipping
entropy-coded data by its marker rules, so an EXIF thumbnail's EOI is not taken for the
picture's), PNG chunks up to IEND, the RIFF length of WebP.
"""

from __future__ import annotations

import re

# After SOS: the first marker that is not stuffing (FF00), a restart marker or fill (FF FF).
_NEXT_MARKER = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})


def _jpeg_end(data: bytes) -> int | None:
    pos, size = 2, len(data)
    while pos + 2 <= size:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:  # EOI
            return pos + 2
        if marker in _STANDALONE:
            pos += 2
            continue
        if pos + 4 > size:
            return None
        length = int.from_bytes(data[pos + 2 : pos + 4], "big")
        if length < 2:
            return None
        pos += 2 + length
        if marker == 0xDA:  # SOS: entropy-coded data runs to the next real marker
            found = _NEXT_MARKER.search(data, pos)
            if found is None:
                return None
            pos = found.start()
    return None


def _png_end(data: bytes) -> int | None:
    pos, size = 8, len(data)
    while pos + 12 <= size:
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8]
        pos += 12 + length
        if kind == b"IEND":
            return pos if pos <= size else None
    return None


def image_end(data: bytes) -> int | None:
    """The offset just past the image's own data, or None when the format is not one of
    these or its structure is broken before its end."""
    if data.startswith(b"\xff\xd8"):
        return _jpeg_end(data)
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return _png_end(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        end = 8 + int.from_bytes(data[4:8], "little")
        end += end % 2  # RIFF chunks are padded to an even length
        return end if end <= len(data) else None
    return None


def is_padding(data: bytes) -> bool:
    """Bytes some writers leave after the end (zeros, 0xFF fill): nothing hidden there."""
    return not data.strip(b"\x00") or not data.strip(b"\xff")
