"""Builders for benign test files: flat shapes, gradients and noise carrying chosen metadata."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

# ../shared/corpus beside the checkout; tests that need it skip when it is absent.
CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"


def gradient(width: int = 64, height: int = 48, mode: str = "RGB", seed: int = 0) -> Image.Image:
    """A benign gradient with a rectangle and a little noise."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1), (x + y) % 256], -1)
    rgb[height // 4 : height // 2, width // 4 : width // 2] = (30, 160, 90)
    rgb = np.clip(rgb + rng.integers(-6, 7, rgb.shape), 0, 255).astype(np.uint8)
    image = Image.fromarray(rgb)
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    image.save(buf, fmt, **kw)
    return buf.getvalue()


# --- PNG ---------------------------------------------------------------------------------


def png_chunk(ctype: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(ctype + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + ctype + body + struct.pack(">I", crc)


def text_chunk(key: str, value: str, kind: str = "tEXt") -> bytes:
    k = key.encode("latin-1")
    if kind == "tEXt":
        return png_chunk(b"tEXt", k + b"\x00" + value.encode("latin-1"))
    if kind == "zTXt":
        return png_chunk(b"zTXt", k + b"\x00\x00" + zlib.compress(value.encode("latin-1")))
    compressed = kind == "iTXt-z"
    payload = zlib.compress(value.encode()) if compressed else value.encode()
    flag = b"\x01\x00" if compressed else b"\x00\x00"
    return png_chunk(b"iTXt", k + b"\x00" + flag + b"\x00\x00" + payload)


def png_with(
    chunks: list[bytes], image: Image.Image | None = None, after_idat: bool = False
) -> bytes:
    """A PNG with extra chunks inserted before IDAT (or after it)."""
    raw = encode(image or gradient(), "PNG")
    idat = raw.index(b"IDAT") - 4
    iend = raw.index(b"IEND") - 4
    extra = b"".join(chunks)
    if after_idat:
        return raw[:iend] + extra + raw[iend:]
    return raw[:idat] + extra + raw[idat:]


# --- JPEG / WebP -------------------------------------------------------------------------


def jpeg_with_segments(
    segments: list[tuple[int, bytes]], image: Image.Image | None = None
) -> bytes:
    """A JPEG with (marker, body) segments inserted right after SOI."""
    raw = encode(image or gradient(), "JPEG", quality=90)
    extra = b"".join(b"\xff" + bytes([m]) + struct.pack(">H", len(b) + 2) + b for m, b in segments)
    return raw[:2] + extra + raw[2:]


def webp_with_chunks(chunks: list[tuple[bytes, bytes]], image: Image.Image | None = None) -> bytes:
    """A (simple, VP8) WebP with extra RIFF chunks appended and the RIFF size fixed up."""
    raw = encode(image or gradient(), "WEBP", quality=90)
    body = raw[12:]
    for ctype, data in chunks:
        body += ctype + struct.pack("<I", len(data)) + data + (b"\x00" if len(data) & 1 else b"")
    return b"RIFF" + struct.pack("<I", len(body) + 4) + b"WEBP" + body


# --- EXIF (TIFF) -------------------------------------------------------------------------

_TYPES = {"ascii": 2, "short": 3, "long": 4, "undefined": 7}


def tiff_block(
    ifd0: list[tuple[int, str, object]],
    exif: list[tuple[int, str, object]] | None = None,
    gps: list[tuple[int, str, object]] | None = None,
    thumbnail: bytes | None = None,
) -> bytes:
    """A little-endian TIFF/EXIF block with IFD0, optional Exif/GPS sub-IFDs and IFD1 thumbnail.

    Entries are (tag, type, value) with type ascii/short/long/undefined; sub-IFD pointers and the
    thumbnail offsets are filled in here.
    """
    out = bytearray(b"II*\x00" + struct.pack("<I", 8))

    def ifd_size(n: int) -> int:
        return 2 + 12 * n + 4

    def write_ifd(entries: list[tuple[int, str, object]], next_ifd_patch: bool) -> int:
        """Append an IFD (plus its data) at the end; return the offset of its next-IFD field."""
        start = len(out)
        data_off = start + ifd_size(len(entries))
        blob = bytearray()
        table = bytearray(struct.pack("<H", len(entries)))
        for tag, kind, value in sorted(entries, key=lambda e: e[0]):
            code = _TYPES[kind]
            if kind in ("ascii", "undefined"):
                raw = value if isinstance(value, bytes) else str(value).encode() + b"\x00"
                count = len(raw)
            elif kind == "short":
                raw, count = struct.pack("<H", int(value)) + b"\x00\x00", 1  # type: ignore[call-overload]
            else:
                raw, count = struct.pack("<I", int(value)), 1  # type: ignore[call-overload]
            if len(raw) <= 4:
                field = raw.ljust(4, b"\x00")
            else:
                field = struct.pack("<I", data_off + len(blob))
                blob += raw + (b"\x00" if len(raw) & 1 else b"")
            table += struct.pack("<HHI", tag, code, count) + field
        next_field = start + len(table)
        table += b"\x00\x00\x00\x00"
        out.extend(table + blob)
        return next_field

    sub: list[tuple[int, str, object]] = []
    # placeholders for pointers, patched after the sub-IFDs are written
    if exif is not None:
        sub.append((0x8769, "long", 0))
    if gps is not None:
        sub.append((0x8825, "long", 0))
    next0 = write_ifd(ifd0 + sub, True)

    def patch(tag: int, value: int) -> None:
        count = struct.unpack("<H", out[8:10])[0]
        for i in range(count):
            pos = 10 + 12 * i
            if struct.unpack("<H", out[pos : pos + 2])[0] == tag:
                out[pos + 8 : pos + 12] = struct.pack("<I", value)

    if exif is not None:
        patch(0x8769, len(out))
        write_ifd(exif, False)
    if gps is not None:
        patch(0x8825, len(out))
        write_ifd(gps, False)
    if thumbnail is not None:
        out[next0 : next0 + 4] = struct.pack("<I", len(out))
        ifd1_start = len(out)
        write_ifd([(0x0201, "long", 0), (0x0202, "long", len(thumbnail))], False)
        thumb_off = len(out)
        out.extend(thumbnail)
        # patch JPEGInterchangeFormat (first entry of IFD1)
        out[ifd1_start + 2 + 8 : ifd1_start + 2 + 12] = struct.pack("<I", thumb_off)
    return bytes(out)


def user_comment(text: str, charset: str = "UNICODE", big_endian: bool = True) -> bytes:
    if charset == "UNICODE":
        return b"UNICODE\x00" + text.encode("utf-16-be" if big_endian else "utf-16-le")
    return b"ASCII\x00\x00\x00" + text.encode()


A1111_TEXT = (
    "a watercolour of a lighthouse on a cliff\n"
    "Negative prompt: blurry, text\n"
    "Steps: 20, Sampler: DPM++ 2M, CFG scale: 7, Seed: 1234, Size: 512x512, "
    'Model hash: abcdef1234, Model: dreamlike_v1, Lora hashes: "a: 1, b: 2", Version: v1.7.0'
)


def stealth_image(payload: bytes, magic: bytes, size: tuple[int, int] = (64, 64)) -> Image.Image:
    """An RGBA gradient whose alpha LSBs carry magic + 32-bit bit-length + payload, column-major."""
    bits = np.unpackbits(
        np.frombuffer(magic + struct.pack(">I", len(payload) * 8) + payload, np.uint8)
    )
    w, h = size
    alpha = np.full((h, w), 255, np.uint8)
    column_major = alpha.T.copy().ravel()
    column_major[: bits.size] = (column_major[: bits.size] & 0xFE) | bits
    alpha = column_major.reshape(w, h).T
    rgba = np.dstack([np.asarray(gradient(w, h)), alpha])
    return Image.fromarray(rgba, "RGBA")


def xmp_packet(body: str) -> bytes:
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        f"{body}</rdf:RDF></x:xmpmeta>"
        '<?xpacket end="w"?>'
    ).encode()


IPTC_NS = 'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/"'
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


def clouds(width: int = 384, height: int = 384, seed: int = 1) -> np.ndarray:
    """Smooth benign colour clouds (upscaled noise), textured like a natural image."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, (height // 8, width // 8, 3), dtype=np.uint8)
    small = Image.fromarray(cells).resize((width, height), Image.Resampling.BICUBIC)
    noisy = np.asarray(small).astype(np.int16) + rng.integers(-4, 5, (height, width, 3))
    return np.clip(noisy, 0, 255).astype(np.uint8)
