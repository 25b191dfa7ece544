"""EXIF facts investigators ask for first: camera, times, GPS, software, orientation."""

from __future__ import annotations

import contextlib
from typing import Any

from PIL import ExifTags, Image

from cumberland.errors import one_line
from cumberland.records import Output
from cumberland.signals.base import Consumes, Inputs, Signal, Stored

_IFD = ExifTags.IFD
_T = ExifTags.Base
_G = ExifTags.GPS

_BASE_TAGS = {
    "make": _T.Make,
    "model": _T.Model,
    "software": _T.Software,
    "orientation": _T.Orientation,
    "datetime": _T.DateTime,
    "artist": _T.Artist,
    "image_description": _T.ImageDescription,
}
_EXIF_TAGS = {
    "datetime_original": _T.DateTimeOriginal,
    "datetime_digitized": _T.DateTimeDigitized,
    "offset_time_original": _T.OffsetTimeOriginal,
    "lens_make": _T.LensMake,
    "lens_model": _T.LensModel,
    "body_serial": _T.BodySerialNumber,
    "user_comment_present": _T.UserComment,
    "maker_note_present": _T.MakerNote,
}
_MAX_TEXT = 512
METADATA_ERROR = "metadata_error"  # media meta key: metadata that did not parse, pixels did


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        return value.replace("\x00", "").strip()[:_MAX_TEXT]
    if isinstance(value, int | float):
        return value
    return str(value)[:_MAX_TEXT]


def _rational(value: Any) -> float:
    return float(value)


def _gps_degrees(parts: Any, ref: Any) -> float | None:
    try:
        d, m, s = (_rational(p) for p in parts)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    value = d + m / 60.0 + s / 3600.0
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "replace")
    if str(ref).strip().upper() in ("S", "W"):
        value = -value
    return round(value, 7)


def extract_exif(image: Image.Image) -> dict[str, Any]:
    """A flat, JSON-safe dict of the EXIF fields that matter in triage (absent keys omitted)."""
    exif = image.getexif()
    if not exif:
        return {}
    out: dict[str, Any] = {}
    for key, tag in _BASE_TAGS.items():
        if tag in exif:
            out[key] = _text(exif[tag])
    sub = exif.get_ifd(_IFD.Exif)
    for key, tag in _EXIF_TAGS.items():
        if tag in sub:
            out[key] = True if key.endswith("_present") else _text(sub[tag])
    gps = exif.get_ifd(_IFD.GPSInfo)
    if gps:
        lat = _gps_degrees(gps.get(_G.GPSLatitude), gps.get(_G.GPSLatitudeRef))
        lon = _gps_degrees(gps.get(_G.GPSLongitude), gps.get(_G.GPSLongitudeRef))
        if lat is not None and lon is not None:
            out["gps"] = {"lat": lat, "lon": lon}
            alt = gps.get(_G.GPSAltitude)
            if alt is not None:
                with contextlib.suppress(TypeError, ValueError, ZeroDivisionError):
                    out["gps"]["alt"] = round(_rational(alt), 2)
    thumb = exif.get_ifd(_IFD.IFD1)
    if thumb:
        out["thumbnail_present"] = True
    return out


def _compute(inputs: Inputs) -> Output:
    try:
        exif = extract_exif(inputs.header())
    except Exception as exc:  # garbage EXIF costs the metadata, never the pixels (matching)
        note = f"EXIF unreadable: {one_line(exc)}"
        return Output(meta={"exif": {}, METADATA_ERROR: note}, reasons=[note], value={})
    return Output(meta={"exif": exif}, value=exif)


def _load(stored: Stored) -> Output:
    exif = stored.meta.get("exif") or {}
    return Output(meta={"exif": exif}, value=exif)


SIGNAL = Signal.define(
    "exif", 1, ["image"], [Consumes.BYTES], _compute,
    "EXIF camera, times, GPS, software and orientation (media meta.exif)", load=_load)
