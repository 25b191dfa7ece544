"""What every provenance signal reads, gathered once per file."""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
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
    """The file's bytes, its walked metadata and parsed EXIF; its pixels on first use.

    ``image`` is decoded only when a signal asks for it (C2PA, XMP and camera EXIF read
    bytes only), from the caller's decode when that is full-size (see ``gather``).
    """

    data: bytes
    container: Container
    exif: ExifView | None
    header: Image.Image | None = None
    errors: list[str] = field(default_factory=list)
    pixels: Callable[[], Image.Image | None] | None = None
    #: True when ``image`` is a reduced decode: pixel-exact signals (watermarks) must skip it.
    reduced: bool = False
    _image: Image.Image | None = None
    _settled: bool = False

    @property
    def image(self) -> Image.Image | None:
        if not self._settled:
            self._settled = True
            self._image, self.reduced = self._settle()
        return self._image

    @property
    def size(self) -> tuple[int, int] | None:
        """(width, height) from the header, without decoding."""
        if self.container.size is not None:
            return self.container.size
        return self.header.size if self.header is not None else None

    def _settle(self) -> tuple[Image.Image | None, bool]:
        """The caller's pixels unless they are a reduced (draft) decode, which would hide a
        watermark: then the file is decoded again at full resolution (up to a size)."""
        image = None
        if self.pixels is not None:
            try:
                image = self.pixels()
            except Exception as exc:  # the caller's decode failed: ours records why
                image = None
                self.errors.append(f"decode: {one_line(exc)}")
                return None, False
        header = self.container.size
        reduced = image is not None and header is not None and header not in (
            image.size, image.size[::-1])
        if image is None or (reduced and header and header[0] * header[1] <= MAX_REDECODE_PIXELS):
            return decode(self.data, self.errors), False
        return image, reduced


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


def _open_header(data: bytes) -> Image.Image | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return Image.open(io.BytesIO(data))
    except Exception:  # not an image Pillow knows, or a hostile header: metadata walk only
        return None


def gather(data: bytes,
           pixels: Image.Image | Callable[[], Image.Image | None] | None = None) -> Evidence:
    """Walk containers and EXIF once; problems land in `errors`.

    ``pixels``: the caller's decoded image, or a way to get it on first use; without it the
    file is decoded here when a signal first needs pixels.
    """
    container = read_container(data)
    header = _open_header(data)
    finish_container(data, container, header)
    errors = list(container.errors)
    exif = None
    if container.exif:
        try:
            exif = load_exif(container.exif)
            errors += [f"exif: {note}" for note in exif.skipped]
        except ValueError as exc:
            errors.append(f"exif: {exc}")
    given = pixels
    source = (lambda: given) if isinstance(given, Image.Image) else given
    return Evidence(data=data, container=container, exif=exif, header=header, errors=errors,
                    pixels=source)
