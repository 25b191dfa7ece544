"""Where an item's bytes are: a typed chain of steps from a file on disk down to the item.

Modelled on dfVFS path specs. Each step says how to get from the bytes of the step before to
the next layer: ``file`` (a path on the examiner's file system) → ``image`` (EWF, raw, split
raw, VMDK, VHD/VHDX, QCOW2) → ``volume`` (a partition, by byte offset) → ``entry`` (a file in
that volume's file system, by inode / MFT reference; the path is for display) → ``member``
(an archive entry, by its index in archive order; the name is for display) → ``slice`` or
``stream`` (an entry of a thumbnail cache: a byte range of the file, or a stream of an OLE
compound file) → ... and so on for containers nested in containers. A chain is plain JSON
(stored per item), so any process that sees the evidence at the same path can open the item
again (``sources/reopen.py``).

Display chains (``laptop.E01 › p2 (NTFS) › /Users/a/pics.7z › img.jpg``) are derived from
the locator, never stored separately from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from cumberland.sources.base import display_name

IMAGE_FORMATS = ("ewf", "raw", "split", "vmdk", "vhdi", "qcow")
CRYPT_SCHEMES = {"bitlocker": "BitLocker", "luks": "LUKS", "filevault": "FileVault 2"}


class LocatorError(ValueError):
    """A stored locator that is malformed, or that no longer leads to the item's bytes."""


@dataclass(frozen=True, slots=True)
class FileStep:
    """A file on the examiner's file system, by its exact path bytes."""

    path: bytes


@dataclass(frozen=True, slots=True)
class ImageStep:
    """The bytes before are a disk image of this format (``IMAGE_FORMATS``); multi-file
    formats (EWF segments, split raw) find their other files beside a ``file`` step."""

    format: str


@dataclass(frozen=True, slots=True)
class VolumeStep:
    """A volume of the image: ``label`` as shown (``p2``, or ``fs`` for a bare file system)
    starting ``offset`` bytes into it."""

    label: str
    offset: int


@dataclass(frozen=True, slots=True)
class CryptStep:
    """The volume before is encrypted (``bitlocker``, ``luks``, ``filevault``); what follows
    is inside its decrypted bytes. The key is never part of the locator: whoever reopens it
    gives the examiner's keys again."""

    scheme: str


@dataclass(frozen=True, slots=True)
class EntryStep:
    """A file of the volume's file system by metadata address (inode, MFT entry)."""

    fs: str
    inode: int
    path: str


@dataclass(frozen=True, slots=True)
class MemberStep:
    """An archive entry by its index among all entries (directories included)."""

    index: int
    name: str


@dataclass(frozen=True, slots=True)
class TailStep:
    """The bytes before, from ``offset`` to their end: data appended after an image's end."""

    offset: int


@dataclass(frozen=True, slots=True)
class SliceStep:
    """``size`` bytes of the bytes before from ``offset``: one entry's data in a cache file
    (``thumbcache_*.db``). ``name`` is for display, ``entry`` the cache's own key for it
    (the entry hash), ``source`` what the cache says it was made from, where it says."""

    offset: int
    size: int
    name: str
    entry: str
    source: str | None = None


@dataclass(frozen=True, slots=True)
class StreamStep:
    """A stream of the OLE compound file before (``Thumbs.db``), from byte ``offset`` of it
    to its end; ``name``, ``entry`` and ``source`` as for a slice."""

    stream: str
    offset: int
    name: str
    entry: str
    source: str | None = None


Step = (FileStep | ImageStep | VolumeStep | CryptStep | EntryStep | MemberStep | TailStep
        | SliceStep | StreamStep)
CACHE_STEPS = (SliceStep, StreamStep)
Locator = tuple[Step, ...]
# The stored form: a list of JSON objects, one per step.
Stored = list[dict[str, Any]]


def _path_json(raw: bytes) -> dict[str, Any]:
    try:
        return {"path": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"path_hex": raw.hex()}


def to_json(locator: Iterable[Step]) -> Stored:
    out: Stored = []
    for step in locator:
        if isinstance(step, FileStep):
            out.append({"t": "file", **_path_json(step.path)})
        elif isinstance(step, ImageStep):
            out.append({"t": "image", "format": step.format})
        elif isinstance(step, VolumeStep):
            out.append({"t": "volume", "label": step.label, "offset": step.offset})
        elif isinstance(step, CryptStep):
            out.append({"t": "crypt", "scheme": step.scheme})
        elif isinstance(step, EntryStep):
            out.append({"t": "entry", "fs": step.fs, "inode": step.inode, "path": step.path})
        elif isinstance(step, TailStep):
            out.append({"t": "tail", "offset": step.offset})
        elif isinstance(step, SliceStep):
            out.append({"t": "slice", "offset": step.offset, "size": step.size,
                        "name": step.name, "entry": step.entry,
                        **({"source": step.source} if step.source is not None else {})})
        elif isinstance(step, StreamStep):
            out.append({"t": "stream", "stream": step.stream, "offset": step.offset,
                        "name": step.name, "entry": step.entry,
                        **({"source": step.source} if step.source is not None else {})})
        else:
            out.append({"t": "member", "index": step.index, "name": step.name})
    return out


def from_json(stored: Sequence[dict[str, Any]]) -> Locator:
    """The typed chain; raises LocatorError for anything malformed."""
    steps: list[Step] = []
    try:
        for obj in stored:
            kind = obj["t"]
            if kind == "file":
                raw = (obj["path"].encode("utf-8") if "path" in obj
                       else bytes.fromhex(obj["path_hex"]))
                steps.append(FileStep(raw))
            elif kind == "image" and obj["format"] in IMAGE_FORMATS:
                steps.append(ImageStep(str(obj["format"])))
            elif kind == "volume":
                steps.append(VolumeStep(str(obj["label"]), int(obj["offset"])))
            elif kind == "crypt" and obj["scheme"] in CRYPT_SCHEMES:
                steps.append(CryptStep(str(obj["scheme"])))
            elif kind == "entry":
                steps.append(EntryStep(str(obj["fs"]), int(obj["inode"]), str(obj["path"])))
            elif kind == "tail":
                steps.append(TailStep(int(obj["offset"])))
            elif kind == "member":
                steps.append(MemberStep(int(obj["index"]), str(obj["name"])))
            elif kind == "slice":
                steps.append(SliceStep(int(obj["offset"]), int(obj["size"]), str(obj["name"]),
                                       str(obj["entry"]), _optional(obj.get("source"))))
            elif kind == "stream":
                steps.append(StreamStep(str(obj["stream"]), int(obj["offset"]),
                                        str(obj["name"]), str(obj["entry"]),
                                        _optional(obj.get("source"))))
            else:
                raise LocatorError(f"unknown locator step {obj!r}"[:200])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, LocatorError):
            raise
        raise LocatorError(f"malformed locator: {exc}"[:200]) from exc
    if not steps or not isinstance(steps[0], FileStep):
        raise LocatorError("a locator starts at a file")
    return tuple(steps)


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def display_chain(locator: Iterable[Step]) -> list[str]:
    """The path chain people read: the file, then ``p1 (ext4)`` and the path inside each
    file system, then each archive member's name. Image and volume steps show through the
    entry after them."""
    chain: list[str] = []
    volume, crypt = "fs", ""
    steps = list(locator)
    for n, step in enumerate(steps):
        if isinstance(step, FileStep):
            chain.append(display_name(step.path))
        elif isinstance(step, ImageStep):
            crypt = ""
        elif isinstance(step, VolumeStep):
            volume = step.label
        elif isinstance(step, CryptStep):
            crypt = f"{CRYPT_SCHEMES[step.scheme]}: "
            if n == len(steps) - 1:  # the locked volume itself
                chain.append(f"{volume} ({CRYPT_SCHEMES[step.scheme]}, encrypted)")
        elif isinstance(step, EntryStep):
            chain += [f"{volume} ({crypt}{step.fs})", step.path]
        elif isinstance(step, MemberStep | SliceStep | StreamStep):
            chain.append(step.name)
        elif isinstance(step, TailStep):
            chain.append(tail_label(step.offset))
    return chain


def tail_label(offset: int) -> str:
    return f"(appended data at byte {offset})"


def container_depth(locator: Iterable[Step]) -> int:
    """How many containers the item sits in (each image, each archive)."""
    return sum(isinstance(s, ImageStep | MemberStep | TailStep | SliceStep | StreamStep)
               for s in locator)


def of_file(raw_path: bytes) -> Locator:
    return (FileStep(raw_path),)
