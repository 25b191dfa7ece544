"""Atheris fuzz harness for the image decoder, its EXIF reader and the provenance parsers.

Run: ``.venv/bin/python tests/fuzz/fuzz_metadata.py -atheris_runs=20000 [corpus_dir]``.
Without a corpus directory, one is seeded with benign synthetic pictures carrying EXIF, XMP
and PNG text metadata, so mutations start from real structure. ``target`` and ``mutate`` are
importable without atheris: ``test_fuzz_metadata_smoke.py`` runs them in CI.

Contract under test:
- ``decode_image`` either succeeds or raises one of ``DECODE_ERRORS`` (what the fingerprint
  step records as ``corrupt image`` / ``limit``); anything else would surface as ``internal``.
- every registered signal of a decoded picture gives an output; a failing one records a
  one-line error; the PDQ hash is 32 bytes.
- ``provenance.assess`` never raises; its errors are one line each.
"""

from __future__ import annotations

import io
import random

import fuzzkit
from PIL import Image, UnidentifiedImageError

from cumberland.demo import synthetic_image
from cumberland.settings import Settings
from cumberland.signals import provenance, registry
from cumberland.signals.image import ImageLimitError, decode_image

# Small pixel cap: fuzzing finds parser bugs, not how long a 100 MP decode takes.
SETTINGS = Settings(max_image_pixels=4_000_000, thumb_size=64)
DECODE_ERRORS = (ImageLimitError, UnidentifiedImageError, OSError, ValueError, SyntaxError,
                 Image.DecompressionBombError, EOFError)
XMP = (b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
       b'22-rdf-syntax-ns#"><rdf:Description xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmp'
       b'Ext/2008-02-29/" Iptc4xmpExt:DigitalSourceType="http://cv.iptc.org/newscodes/digital'
       b'sourcetype/digitalCapture" xmlns:xmp="http://ns.adobe.com/xap/1.0/" xmp:CreatorTool='
       b'"Fuzz Camera 1.0"/></rdf:RDF></x:xmpmeta>')
# Bytes that mean something to JPEG/PNG/WebP/GIF/TIFF parsers, spliced in by ``mutate``.
TOKENS = [b"\xff\xd8", b"\xff\xe1", b"\xff\xdb", b"\xff\xc0", b"\xff\xda", b"\xff\xd9",
          b"Exif\x00\x00", b"II*\x00", b"MM\x00*", b"IHDR", b"IDAT", b"tEXt", b"iTXt",
          b"RIFF", b"VP8X", b"GIF89a", b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
          b"\x7f\xff\xff\xff", b"c2pa", b"jumb", b"<x:xmpmeta"]


def target(data: bytes) -> None:
    try:
        decoded = decode_image(data, SETTINGS)
    except DECODE_ERRORS:
        decoded = None
    if decoded is not None:
        outputs = registry.describe(data, SETTINGS)
        for out in outputs.values():
            error = (out.data or {}).get("error") if out is not None else None
            assert error is None or "\n" not in error, repr(error)
        pdq = outputs["pdq"]
        assert pdq is not None and pdq.pdq is not None and len(pdq.pdq[0]) == 32
    report = provenance.assess(data, decoded.image if decoded is not None else None)
    for error in report.errors:
        assert "\n" not in error, repr(error)


def _camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F], exif[0x0110], exif[0x0131] = "FuzzMake", "Model 1", "firmware 2.0"
    exif[0x0132], exif[0x0112] = "2024:05:01 10:00:00", 6
    return exif


def seeds() -> list[bytes]:
    """Benign pictures in every decoded format, most with metadata to parse."""
    from PIL.PngImagePlugin import PngInfo

    picture = synthetic_image(7, (96, 72))
    text = PngInfo()
    text.add_text("Software", "Fuzz Paint 3")
    text.add_text("parameters", "a red circle and a blue square, Steps: 20, Seed: 1")
    text.add_itxt("XML:com.adobe.xmp", XMP.decode())
    samples: list[tuple[str, dict[str, object]]] = [
        ("JPEG", {"exif": _camera_exif(), "xmp": XMP, "quality": 80}),
        ("JPEG", {"quality": 50, "progressive": True}),
        ("PNG", {"pnginfo": text}),
        ("WEBP", {"exif": _camera_exif(), "xmp": XMP, "quality": 70}),
        ("GIF", {}),
        ("TIFF", {"exif": _camera_exif()}),
    ]
    out = []
    for fmt, options in samples:
        buf = io.BytesIO()
        picture.save(buf, fmt, **options)
        out.append(buf.getvalue())
    return out


def mutate(rng: random.Random, data: bytes) -> bytes:
    """The shared mutator with image tokens, keeping the 8-byte magic when truncating."""
    return fuzzkit.mutate(rng, data, TOKENS, keep=8, rounds=8)


def main() -> None:
    fuzzkit.run_atheris(target, seeds(), "metadata")


if __name__ == "__main__":
    main()
