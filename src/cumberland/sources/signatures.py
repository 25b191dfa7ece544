"""Container formats, declared once: what each looks like in its first bytes, its MIME type
and extensions, and (disk images) the image format that opens it.

Content sniffing (``signals/sniff.py``), extension checks and the disk-image reader
(``disk_image.image_format``) all read this table; the readers that list members are
declared per container kind in ``sources/containers.py``. A format libarchive or one of the
image libraries already reads is one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cumberland.records import MediaKind

EWF_MAGIC = (b"EVF\x09\x0d\x0a\xff\x00", b"EVF2\x0d\x0a\x81\x00", b"LVF\x09\x0d\x0a\xff\x00")


@dataclass(frozen=True, slots=True)
class ContainerFormat:
    """``title``: what the README's format table calls it (a test checks it is there)."""

    name: str
    kind: str  # MediaKind.ARCHIVE or MediaKind.DISK_IMAGE
    mime: str
    extensions: tuple[str, ...]
    signature: Callable[[bytes], bool]
    title: str
    image_format: str | None = None  # disk images: the ImageStep format that reads them


def _starts(*magic: bytes) -> Callable[[bytes], bool]:
    return lambda head: head.startswith(magic)


def _tar(head: bytes) -> bool:
    return len(head) >= 262 and head[257:262] == b"ustar"


THUMBCACHE_VERSIONS = frozenset({20, 21, 26, 28, 30, 31, 32})  # sources/artefacts/thumbcache
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _thumbcache(head: bytes) -> bool:
    return (head.startswith(b"CMMM") and len(head) >= 24 and head[4] in THUMBCACHE_VERSIONS
            and not any(head[5:8]))


_A, _D = MediaKind.ARCHIVE, MediaKind.DISK_IMAGE
FORMATS: tuple[ContainerFormat, ...] = (
    ContainerFormat("zip", _A, "application/zip",
                    ("zip", "docx", "xlsx", "pptx", "jar", "apk", "odt"),
                    _starts(b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"), "zip"),
    ContainerFormat("7z", _A, "application/x-7z-compressed", ("7z",),
                    _starts(b"7z\xbc\xaf\x27\x1c"), "7z"),
    ContainerFormat("rar", _A, "application/vnd.rar", ("rar",), _starts(b"Rar!\x1a\x07"), "rar"),
    ContainerFormat("gzip", _A, "application/gzip", ("gz", "tgz"), _starts(b"\x1f\x8b"), "gz"),
    ContainerFormat("bzip2", _A, "application/x-bzip2", ("bz2", "tbz2"), _starts(b"BZh"), "bz2"),
    ContainerFormat("xz", _A, "application/x-xz", ("xz", "txz"), _starts(b"\xfd7zXZ\x00"), "xz"),
    ContainerFormat("zstd", _A, "application/zstd", ("zst", "tzst"),
                    _starts(b"\x28\xb5\x2f\xfd"), "zst"),
    ContainerFormat("tar", _A, "application/x-tar", ("tar",), _tar, "tar"),
    # Windows thumbnail caches, read by readers of their own (sources/containers.py): an
    # OLE compound file's members are the thumbnails it holds when laid out as a Thumbs.db
    # (old Office documents and Outlook messages are compound files too, with none).
    ContainerFormat("thumbcache", _A, "application/x-thumbcache", ("db",), _thumbcache,
                    "thumbcache_*.db"),
    ContainerFormat("ole", _A, "application/x-ole-storage",
                    ("db", "doc", "xls", "ppt", "msg", "msi"), _starts(OLE_MAGIC), "Thumbs.db"),
    ContainerFormat("ewf", _D, "application/x-ewf", ("e01", "ex01", "s01", "l01"),
                    _starts(*EWF_MAGIC), "E01", "ewf"),
    # a sparse VMDK extent with its embedded descriptor
    ContainerFormat("vmdk", _D, "application/x-vmdk", ("vmdk",), _starts(b"KDMV"), "VMDK",
                    "vmdk"),
    ContainerFormat("vhdx", _D, "application/x-vhdx", ("vhdx",), _starts(b"vhdxfile"), "VHDX",
                    "vhdi"),
    # a dynamic VHD's copy of its footer
    ContainerFormat("vhd", _D, "application/x-vhd", ("vhd",), _starts(b"conectix"), "VHD",
                    "vhdi"),
    ContainerFormat("qcow", _D, "application/x-qemu-disk", ("qcow2", "qcow"),
                    _starts(b"QFI\xfb"), "QCOW2", "qcow"),
)


def container_format(head: bytes) -> ContainerFormat | None:
    """The container format whose signature ``head`` starts with, if any."""
    return next((f for f in FORMATS if f.signature(head)), None)
