"""Content type from the first bytes of a file, never from its name.

A small signature table is enough for the kinds triage routes on; it also tells HEIC from
AVIF and MP4 from QuickTime by the ISO-BMFF brand, which generic tables often conflate.
Containers (archives, disk images) are declared with their readers' formats in
``sources/signatures.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

from cumberland.sources.signatures import FORMATS, container_format

HEADER_BYTES = 4096


@dataclass(frozen=True, slots=True)
class ContentType:
    kind: str  # image | video | archive | disk-image | document | other | empty
    mime: str
    extensions: tuple[str, ...]


def _ct(kind: str, mime: str, *exts: str) -> ContentType:
    return ContentType(kind, mime, exts)


JPEG = _ct("image", "image/jpeg", "jpg", "jpeg", "jpe", "jfif")
PNG = _ct("image", "image/png", "png")
GIF = _ct("image", "image/gif", "gif")
WEBP = _ct("image", "image/webp", "webp")
TIFF = _ct("image", "image/tiff", "tif", "tiff")
BMP = _ct("image", "image/bmp", "bmp", "dib")
HEIC = _ct("image", "image/heic", "heic", "heif", "hif")
AVIF = _ct("image", "image/avif", "avif")
MP4 = _ct("video", "video/mp4", "mp4", "m4v", "3gp", "3g2")
MOV = _ct("video", "video/quicktime", "mov", "qt")
AVI = _ct("video", "video/x-msvideo", "avi")
MKV = _ct("video", "video/x-matroska", "mkv", "webm")
MPEGTS = _ct("video", "video/mp2t", "ts", "mts", "m2ts")
FLV = _ct("video", "video/x-flv", "flv")
WMV = _ct("video", "video/x-ms-asf", "wmv", "asf")
PDF = _ct("document", "application/pdf", "pdf")
SQLITE = _ct("document", "application/vnd.sqlite3", "sqlite", "db", "sqlite3")
RAW_CAMERA = _ct("image", "image/x-raw", "cr2", "nef", "arw", "dng", "orf", "rw2", "raf")
EMPTY = _ct("empty", "application/x-empty")
OCTET = _ct("other", "application/octet-stream")
TEXT = _ct("other", "text/plain", "txt", "csv", "log", "md", "json", "xml", "html")

_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_MOV_BRANDS = {b"qt  "}
_RAW_TIFF_MARKERS = (b"CR\x02", b"\x00\x00NIKON", b"DNGVersion")


def _sniff_iso_bmff(head: bytes) -> ContentType | None:
    if len(head) < 12 or head[4:8] != b"ftyp":
        return None
    size = int.from_bytes(head[0:4], "big")
    brands = [head[8:12]]
    end = min(size, len(head)) if size >= 16 else 16
    brands += [head[i : i + 4] for i in range(16, end - 3, 4)]
    if head[8:12] in _AVIF_BRANDS:
        return AVIF
    if head[8:12] in _HEIF_BRANDS or any(b in _HEIF_BRANDS - {b"mif1", b"msf1"} for b in brands):
        return AVIF if any(b in _AVIF_BRANDS for b in brands) else HEIC
    if any(b in _AVIF_BRANDS for b in brands):
        return AVIF
    if head[8:12] in _MOV_BRANDS:
        return MOV
    return MP4


def sniff(head: bytes) -> ContentType:
    """Identify content from its first bytes (pass at least HEADER_BYTES where available)."""
    if not head:
        return EMPTY
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return RAW_CAMERA if any(m in head for m in _RAW_TIFF_MARKERS) else TIFF
    if head[:2] == b"BM" and len(head) >= 26 and int.from_bytes(head[14:18], "little") in (
        12, 40, 52, 56, 64, 108, 124,
    ):
        return BMP
    iso = _sniff_iso_bmff(head)
    if iso is not None:
        return iso
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return MKV
    if head.startswith(b"FLV\x01"):
        return FLV
    if head.startswith(b"\x30\x26\xb2\x75\x8e\x66\xcf\x11"):
        return WMV
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return MPEGTS
    container = container_format(head)  # archives and disk images: sources/signatures.py
    if container is not None:
        return ContentType(container.kind, container.mime, container.extensions)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"SQLite format 3\x00"):
        return SQLITE
    if _looks_like_text(head):
        return TEXT
    return OCTET


def _looks_like_text(head: bytes) -> bool:
    sample = head[:1024]
    if b"\x00" in sample:
        return False
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut at the end of the sample is still text
        if exc.start < len(sample) - 3:
            return False
    return True


_KNOWN_EXTENSIONS = frozenset(
    [ext for ct in (JPEG, PNG, GIF, WEBP, TIFF, BMP, HEIC, AVIF, MP4, MOV, AVI, MKV, MPEGTS, FLV,
                    WMV, PDF, SQLITE, RAW_CAMERA)
     for ext in ct.extensions] + [ext for f in FORMATS for ext in f.extensions])


def extension_matches(name: str, content: ContentType) -> bool | None:
    """Whether the file name's extension fits the content; None when there is nothing to check.

    Media and containers must carry one of their own extensions (a JPEG named ``.dat`` is
    hidden); any content named with a media extension it does not have is a mismatch too
    (text named ``.jpg``).
    """
    base = name.rsplit("/", 1)[-1]
    dot = base.rfind(".")
    if dot <= 0 or dot == len(base) - 1 or content.kind == "empty":
        return None
    ext = base[dot + 1 :].lower()
    if ext in content.extensions:
        return True
    if content.kind in ("image", "video", "archive", "disk-image") or ext in _KNOWN_EXTENSIONS:
        return False
    return None
