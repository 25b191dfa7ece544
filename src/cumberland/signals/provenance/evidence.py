"""What every provenance signal reads, gathered once per file."""

from __future__ import annotations

from dataclasses import dataclass, field

from PIL import Image

from .containers import Container, read_container
from .exifview import ExifView, load_exif


@dataclass(slots=True)
class Evidence:
    """The file's bytes, its walked metadata, parsed EXIF and decoded pixels (when decodable)."""

    data: bytes
    container: Container
    exif: ExifView | None
    image: Image.Image | None
    errors: list[str] = field(default_factory=list)


def gather(data: bytes, image: Image.Image | None) -> Evidence:
    """Walk containers and EXIF once; problems land in `errors`, never as exceptions."""
    container = read_container(data, image)
    errors = list(container.errors)
    exif = None
    if container.exif:
        try:
            exif = load_exif(container.exif)
        except ValueError as exc:
            errors.append(f"exif: {exc}")
    return Evidence(data=data, container=container, exif=exif, image=image, errors=errors)
