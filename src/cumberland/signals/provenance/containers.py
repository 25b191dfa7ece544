"""Where metadata lives inside image files, read once with hard caps.

Every provenance signal needs the same few things (PNG text chunks, the EXIF block, XMP packets,
JPEG comments), and seized files are often hostile: truncated, with gigabyte "text" chunks or
zlib bombs. So the walk is done here, once per file, by hand instead of through Pillow's `info`
(which skips text after IDAT and has its own limits), and every problem becomes a one-line error
instead of an exception.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field

from PIL import Image

from cumberland.errors import one_line

#: Largest text chunk / comment / EXIF block we look at, before or after decompression.
MAX_TEXT_BYTES = 4 * 1024 * 1024
#: Total text we keep per file, all chunks together.
MAX_TOTAL_TEXT = 16 * 1024 * 1024
#: Largest XMP packet parsed.
MAX_XMP_BYTES = 2 * 1024 * 1024
#: Chunks/segments walked before giving up (a file of millions of empty chunks is an attack).
MAX_CHUNKS = 100_000

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_XMP_APP1 = b"http://ns.adobe.com/xap/1.0/\x00"
_EXIF_APP1 = b"Exif\x00\x00"
_XMP_START = re.compile(rb"<x:xmpmeta[\s>]")
_XMP_END = b"</x:xmpmeta>"


class LimitExceeded(ValueError):
    """A size cap was hit; the message says which and is safe to show."""


@dataclass(slots=True)
class Container:
    """Metadata found in one file; texts keep file order and may repeat keys."""

    format: str = "other"
    texts: list[tuple[str, str]] = field(default_factory=list)
    exif: bytes | None = None
    xmp: list[bytes] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    text_bytes: int = 0
    #: (width, height) from the header (PNG IHDR, JPEG SOFn) when we walked one
    size: tuple[int, int] | None = None
    #: the walk reached the end of the metadata without trouble (raw-byte scans can be skipped)
    walked: bool = False
    #: a C2PA carrier was seen (JPEG APP11 JUMBF, PNG caBX chunk)
    c2pa_box: bool = False

    def text(self, key: str) -> str | None:
        """First text chunk with this keyword (PNG keywords are case-sensitive)."""
        for k, v in self.texts:
            if k == key:
                return v
        return None


def image_format(data: bytes) -> str:
    """The container kinds we walk; anything else is "other" (Pillow may still decode it)."""
    if data.startswith(PNG_MAGIC):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[4:8] == b"ftyp":
        return "isobmff"
    return "other"


def inflate(payload: bytes, what: str, cap: int = MAX_TEXT_BYTES, *, gzip: bool = False) -> bytes:
    """zlib/gzip-decompress at most `cap` bytes; more is a bomb and raises LimitExceeded."""
    d = zlib.decompressobj(zlib.MAX_WBITS | 16 if gzip else zlib.MAX_WBITS)
    try:
        out = d.decompress(payload, cap + 1)
    except zlib.error as exc:
        raise ValueError(f"{what}: corrupt zlib data ({exc})") from None
    if len(out) > cap or d.unconsumed_tail:
        raise LimitExceeded(f"{what}: decompresses past the {cap // 1024 // 1024} MiB cap")
    return out


def read_container(data: bytes) -> Container:
    """Walk the file's structure for metadata; never raises on malformed input."""
    c = Container(format=image_format(data))
    walker = _WALKERS.get(c.format)
    if walker is not None:
        try:
            walker(data, c)
            c.walked = not c.errors
        except (ValueError, struct.error, IndexError) as exc:
            c.errors.append(f"{c.format}: {one_line(exc, with_type=False)}")
    return c


def finish_container(data: bytes, c: Container, image: Image.Image | None) -> None:
    """Fill gaps from the decoder's info (HEIF/AVIF), then scan raw bytes for XMP."""
    if image is not None:
        _from_pillow_info(image, c)
    if not c.xmp and not (c.walked and c.format in ("png", "jpeg", "webp")):
        _scan_xmp(data, c)


def _add_text(c: Container, key: str, value: str) -> None:
    if c.text_bytes + len(value) > MAX_TOTAL_TEXT:
        c.errors.append(
            f"{c.format}: text budget of {MAX_TOTAL_TEXT >> 20} MiB spent; {key!r} skipped"
        )
        return
    c.texts.append((key, value))
    c.text_bytes += len(value)


def _set_exif(c: Container, raw: bytes) -> None:
    if raw.startswith(_EXIF_APP1):
        raw = raw[len(_EXIF_APP1) :]
    if c.exif is None and raw:
        c.exif = raw[:MAX_TEXT_BYTES]


def _add_xmp(c: Container, raw: bytes) -> None:
    if len(raw) > MAX_XMP_BYTES:
        c.errors.append(f"xmp: packet of {len(raw)} bytes over the {MAX_XMP_BYTES >> 20} MiB cap")
        return
    c.xmp.append(raw)


# --- PNG ---------------------------------------------------------------------------------


def _walk_png(data: bytes, c: Container) -> None:
    pos = len(PNG_MAGIC)
    for _ in range(MAX_CHUNKS):
        if pos + 8 > len(data):
            if pos < len(data) or not data.endswith(b"IEND\xaeB`\x82"):
                c.errors.append("png: truncated (no IEND chunk)")
            return
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        body_start = pos + 8
        body_end = body_start + length
        if body_end + 4 > len(data):
            c.errors.append(f"png: chunk {ctype!r} of {length} bytes runs past the end of file")
            return
        if ctype in (b"tEXt", b"zTXt", b"iTXt"):
            if length > MAX_TEXT_BYTES:
                c.errors.append(
                    f"png: {ctype.decode()} chunk of {length} bytes over the "
                    f"{MAX_TEXT_BYTES >> 20} MiB cap; skipped"
                )
            else:
                try:
                    _png_text(ctype, data[body_start:body_end], c)
                except ValueError as exc:
                    c.errors.append(f"png: {one_line(exc, with_type=False)}")
        elif ctype == b"IHDR" and length >= 8:
            c.size = struct.unpack(">II", data[body_start : body_start + 8])
        elif ctype == b"caBX":
            c.c2pa_box = True
        elif ctype == b"eXIf":
            _set_exif(c, data[body_start:body_end])
        elif ctype == b"IEND":
            return
        pos = body_end + 4
    c.errors.append(f"png: more than {MAX_CHUNKS} chunks; stopped reading")


def _png_text(ctype: bytes, body: bytes, c: Container) -> None:
    key_raw, sep, rest = body.partition(b"\x00")
    if not sep or not 0 < len(key_raw) < 80:
        raise ValueError(f"{ctype.decode()} chunk without a valid keyword")
    key = key_raw.decode("latin-1")
    what = f"{ctype.decode()} {key!r}"
    if ctype in (b"tEXt", b"zTXt"):
        if ctype == b"zTXt":
            if not rest or rest[0] != 0:
                raise ValueError(f"{what}: unknown compression method")
            rest = inflate(rest[1:], what)
        if key == "XML:com.adobe.xmp":
            _add_xmp(c, rest)
        else:
            _add_text(c, key, rest.decode("latin-1"))
    else:
        if len(rest) < 2:
            raise ValueError(f"{what}: truncated")
        flag, method = rest[0], rest[1]
        _lang, _, rest = rest[2:].partition(b"\x00")
        _tkey, _, text = rest.partition(b"\x00")
        if flag:
            if method != 0:
                raise ValueError(f"{what}: unknown compression method")
            text = inflate(text, what)
        if key == "XML:com.adobe.xmp":
            _add_xmp(c, text)
        else:
            _add_text(c, key, text.decode("utf-8", "replace"))


# --- JPEG --------------------------------------------------------------------------------


def _walk_jpeg(data: bytes, c: Container) -> None:
    pos = 2
    for _ in range(MAX_CHUNKS):
        # skip fill bytes; markers are FF xx
        while (
            pos < len(data) and data[pos] == 0xFF and pos + 1 < len(data) and data[pos + 1] == 0xFF
        ):
            pos += 1
        if pos + 4 > len(data):
            c.errors.append("jpeg: truncated before the image data")
            return
        if data[pos] != 0xFF:
            c.errors.append(f"jpeg: no marker at offset {pos}")
            return
        marker = data[pos + 1]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        if marker == 0xD9:
            return
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        if length < 2 or pos + 2 + length > len(data):
            c.errors.append(f"jpeg: segment FF{marker:02X} runs past the end of file")
            return
        body = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and body.startswith(_EXIF_APP1):
            _set_exif(c, body)
        elif marker == 0xE1 and body.startswith(_XMP_APP1):
            _add_xmp(c, body[len(_XMP_APP1) :])
        elif 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC) and len(body) >= 5:
            height, width = struct.unpack(">HH", body[1:5])
            c.size = (width, height)
        elif marker == 0xEB:  # APP11: JUMBF, where C2PA lives in JPEG
            c.c2pa_box = True
        elif marker == 0xFE:
            c.comments.append(body.decode("utf-8", "replace"))
        elif marker == 0xDA:  # start of scan: metadata lives before it
            return
        pos += 2 + length
    c.errors.append(f"jpeg: more than {MAX_CHUNKS} segments; stopped reading")


# --- WebP --------------------------------------------------------------------------------


def _walk_webp(data: bytes, c: Container) -> None:
    end = min(len(data), 8 + struct.unpack("<I", data[4:8])[0])
    pos = 12
    for _ in range(MAX_CHUNKS):
        if pos + 8 > end:
            return
        ctype, length = struct.unpack("<4sI", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) < length:
            c.errors.append(f"webp: chunk {ctype!r} runs past the end of file")
            return
        if ctype == b"EXIF":
            _set_exif(c, body)
        elif ctype == b"XMP ":
            _add_xmp(c, body)
        pos += 8 + length + (length & 1)
    c.errors.append(f"webp: more than {MAX_CHUNKS} chunks; stopped reading")


def _walk_tiff(data: bytes, c: Container) -> None:
    # the file is itself a TIFF structure; Pillow's Exif reader walks IFD0 from its header
    _set_exif(c, data)


_WALKERS = {"png": _walk_png, "jpeg": _walk_jpeg, "webp": _walk_webp, "tiff": _walk_tiff}


def _from_pillow_info(image: Image.Image, c: Container) -> None:
    """HEIF/AVIF and other formats we do not walk: take what the decoder already found."""
    info = image.info
    raw_exif = info.get("exif")
    if c.exif is None and isinstance(raw_exif, bytes | bytearray):
        _set_exif(c, bytes(raw_exif))
    raw_xmp = info.get("xmp")
    if not c.xmp and isinstance(raw_xmp, bytes | bytearray | str):
        _add_xmp(c, raw_xmp.encode() if isinstance(raw_xmp, str) else bytes(raw_xmp))
    comment = info.get("comment")
    if c.format == "gif" and isinstance(comment, bytes | str):
        c.comments.append(
            comment.decode("utf-8", "replace") if isinstance(comment, bytes) else comment
        )


def _scan_xmp(data: bytes, c: Container) -> None:
    """Last resort for containers we do not walk: find an <x:xmpmeta> packet in the raw bytes."""
    start = data.find(b"<x:xmpmeta")
    if start < 0 or _XMP_START.match(data, start) is None:
        return
    end = data.find(_XMP_END, start, start + MAX_XMP_BYTES)
    if end < 0:
        c.errors.append("xmp: <x:xmpmeta> without an end within the size cap")
        return
    c.xmp.append(data[start : end + len(_XMP_END)])
