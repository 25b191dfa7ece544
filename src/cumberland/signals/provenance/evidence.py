"""What every provenance signal reads, gathered once per file."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from PIL import Image, UnidentifiedImageError

from cumberland.errors import one_line

from .containers import Container, finish_container, image_format, read_container
from .exifview import ExifView, load_exif

#: Pixel signals skip images larger than this rather than decode gigapixel bombs.
MAX_DECODE_PIXELS = 100_000_000
#: A reduced (draft) decode is redone at full size only up to this many pixels. Generator
#: outputs that can still carry a watermark are at most ~2.4 MP (SDXL 1536x1536); a full
#: decode of every camera photo to look for one would cost more than the rest of ingest.
MAX_REDECODE_PIXELS = 4_000_000


@dataclass(slots=True)
class Evidence:
    """The file's bytes, its walked metadata, parsed EXIF and decoded pixels (when decodable)."""

    data: bytes
    container: Container
    exif: ExifView | None
    image: Image.Image | None
    errors: list[str] = field(default_factory=list)
    #: True when ``image`` is a reduced decode: pixel-exact signals (watermarks) must skip it.
    reduced: bool = False


def decode(data: bytes, errors: list[str]) -> Image.Image | None:
    """Full-resolution decode with a pixel cap; failures are recorded, not raised."""
    if image_format(data) == "isobmff":
        try:
            import pillow_heif

            pillow_heif.register_heif_opener()
        except Exception as exc:  # optional plug-in: HEIF stays undecoded without it
            errors.append(f"decode: HEIF support unavailable ({one_line(exc, with_type=False)})")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(io.BytesIO(data))
            if image.width * image.height > MAX_DECODE_PIXELS:
                errors.append(f"decode: {image.width}x{image.height} over the pixel cap; skipped")
                return None
            image.load()
            return image
    except UnidentifiedImageError:
        return None  # not an image Pillow knows: metadata signals still run
    except Exception as exc:  # truncated, corrupt, unsupported mode...
        errors.append(f"decode: {one_line(exc)}")
        return None


def gather(data: bytes, image: Image.Image | None) -> Evidence:
    """Walk containers and EXIF once and settle the pixels; problems land in `errors`.

    The caller's image is used unless the header says it is a reduced (draft) decode, which
    would hide a watermark: then the file is decoded again at full resolution.
    """
    container = read_container(data)
    errors: list[str] = []
    header = container.size
    reduced = image is not None and header is not None and header not in (
        image.size, image.size[::-1])
    if image is None or (reduced and header and header[0] * header[1] <= MAX_REDECODE_PIXELS):
        image = decode(data, errors)
        reduced = False
    finish_container(data, container, image)
    errors += container.errors
    exif = None
    if container.exif:
        try:
            exif = load_exif(container.exif)
        except ValueError as exc:
            errors.append(f"exif: {exc}")
    return Evidence(data=data, container=container, exif=exif, image=image, errors=errors,
                    reduced=reduced)
