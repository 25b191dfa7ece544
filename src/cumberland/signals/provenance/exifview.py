"""The EXIF block as plain dicts, parsed once per file for the generator and camera signals.

Pillow's TIFF directory reader does the parsing; it is wrapped so that a malformed block becomes
a recorded error instead of an exception.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

from PIL import ExifTags, Image

EXIF_IFD = 0x8769
GPS_IFD = 0x8825
IMAGE_DESCRIPTION = 0x010E
MAKE = 0x010F
MODEL = 0x0110
SOFTWARE = 0x0131
USER_COMMENT = 0x9286
MAKER_NOTE = 0x927C
LENS_MAKE = 0xA433
LENS_MODEL = 0xA434
THUMB_OFFSET = 0x0201
THUMB_LENGTH = 0x0202


@dataclass(slots=True)
class ExifView:
    """IFD0, the Exif sub-IFD, GPS and IFD1 (thumbnail) tags, plus the raw TIFF bytes."""

    raw: bytes
    ifd0: dict[int, Any] = field(default_factory=dict)
    exif: dict[int, Any] = field(default_factory=dict)
    gps: dict[int, Any] = field(default_factory=dict)
    ifd1: dict[int, Any] = field(default_factory=dict)
    #: what Pillow skipped while parsing (an entry whose data runs past the block...)
    skipped: list[str] = field(default_factory=list)

    def get(self, tag: int) -> Any:
        """A tag from IFD0 or the Exif sub-IFD (None when absent)."""
        return self.ifd0.get(tag, self.exif.get(tag))

    def text(self, tag: int, limit: int = 4096) -> str | None:
        """A tag as cleaned text, or None when absent or empty."""
        value = self.get(tag)
        if value is None:
            return None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        text = str(value).replace("\x00", "").strip()
        return text[:limit] or None


def load_exif(raw: bytes) -> ExifView:
    """Parse a TIFF-structured EXIF block; raises ValueError with a one-line reason if it is bad."""
    exif = Image.Exif()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exif.load(raw)
            view = ExifView(raw=raw, ifd0=dict(exif.items()))
            view.exif = dict(exif.get_ifd(EXIF_IFD).items()) if EXIF_IFD in exif else {}
            view.gps = dict(exif.get_ifd(GPS_IFD).items()) if GPS_IFD in exif else {}
            view.ifd1 = dict(exif.get_ifd(ExifTags.IFD.IFD1).items())
    except Exception as exc:  # Pillow raises many kinds on malformed TIFF structures
        raise ValueError(f"EXIF block unreadable ({type(exc).__name__}: {exc})"[:300]) from None
    # Pillow only warns when it skips an entry: the report says so, once per message
    view.skipped = list(dict.fromkeys(" ".join(str(w.message).split())[:200] for w in caught))
    return view
