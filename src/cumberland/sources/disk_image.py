"""Forensic disk images through The Sleuth Kit (pytsk3) and libewf (pyewf).

EWF (E01/Ex01, every segment), raw/dd and split raw (``.001``, ``.002``...) images; MBR and
GPT volume systems, or a bare file system; whatever TSK reads: FAT, exFAT, NTFS, ext2/3/4,
HFS+, ISO 9660. Allocated and deleted files are both listed; a deleted file whose metadata
survives is read like any other and flagged ``deleted``. Paths in a chain look like
``p2 (NTFS)`` then ``/Users/a/pics.7z``. Reading is random access, so large members are
reopened through TSK rather than copied anywhere.

A partition table can lie (random or damaged entries with the 55AA signature kept): when
nothing it describes opens, the image is scanned for file-system boot records at the usual
partition alignments (63 sectors, every MiB) and TSK opens each volume found at its offset
(``offset 1048576 (ext4)``). When nothing opens at all, the image says so as an error.
"""

from __future__ import annotations

import importlib
import io
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from typing import Any, BinaryIO

import pyewf
import pytsk3

from cumberland.errors import one_line
from cumberland.records import FileTimes
from cumberland.sources.base import BLOCK, display_name
from cumberland.sources.encrypted import SCHEMES, scheme_of, unlock
from cumberland.sources.locator import CryptStep, EntryStep, ImageStep, Step, VolumeStep
from cumberland.sources.member import ContainerError, Member, Report
from cumberland.sources.random_access import ReadAt, ReadAtFile
from cumberland.sources.signatures import container_format

OpenPath = Callable[[bytes], BinaryIO]

_FS_NAMES = {"EXT2": "ext2", "EXT3": "ext3", "EXT4": "ext4", "EXFAT": "exFAT", "HFS": "HFS+",
             "NTFS": "NTFS", "FAT12": "FAT12", "FAT16": "FAT16", "FAT32": "FAT32",
             "ISO9660": "ISO 9660", "APFS": "APFS", "FFS1": "UFS1", "FFS2": "UFS2"}
_MAX_DIR_DEPTH = 256


SCAN_STEP = 1024 * 1024  # partitions start on MiB boundaries since Windows Vista
SCAN_PROBES = 4096  # boot-record reads (4 KiB each) a scan makes at most
_SCAN_HEAD = 4096


def _file_system_record(head: bytes) -> bool:
    """A file-system boot record or superblock at the start of ``head``."""
    boot = head[510:512] == b"\x55\xaa"
    if boot and head[3:11] in (b"NTFS    ", b"EXFAT   "):
        return True
    if boot and (head[54:59] in (b"FAT12", b"FAT16") or head[82:87] == b"FAT32"):
        return True
    return head[1080:1082] == b"\x53\xef" or head[1024:1026] in (b"H+", b"HX")


def boot_signature(head: bytes) -> bool:
    """Only the 55AA boot signature: a disk whose partition table may be garbage, or by
    chance any file. Worth a scan for file systems, not an error when none is found."""
    return head[510:512] == b"\x55\xaa"


def looks_like_raw_disk(head: bytes) -> bool:
    """A partition table or a file-system boot record TSK can read, from the first 4 KiB."""
    boot = head[510:512] == b"\x55\xaa"
    if head[512:520] == b"EFI PART" and boot:
        return True
    if _file_system_record(head):
        return True
    if boot:
        entries = [head[446 + 16 * i : 462 + 16 * i] for i in range(4)]
        used = [e for e in entries if e[4] != 0]
        return bool(used) and all(e[0] in (0, 0x80) and int.from_bytes(e[12:16], "little")
                                  for e in used)
    return False


def ewf_segment_number(head: bytes) -> int:
    """The segment number an EWF v1 segment file declares (1 for the first)."""
    return int.from_bytes(head[9:11], "little") if head[:3] in (b"EVF", b"LVF") else 1


class _Image(pytsk3.Img_Info):  # type: ignore[misc]
    """An image TSK reads through a Python callback (EWF, concatenated segments, a stream)."""

    def __init__(self, read_at: ReadAt, size: int) -> None:
        self._read_at = read_at
        self._size = size
        super().__init__(url="", type=pytsk3.TSK_IMG_TYPE_EXTERNAL)

    def close(self) -> None:
        """Segments are closed by the ExitStack that opened them."""

    def read(self, offset: int, length: int) -> bytes:
        return self._read_at(offset, length)

    def get_size(self) -> int:
        return self._size


def _stream_reader(stream: BinaryIO) -> ReadAt:
    def read_at(offset: int, length: int) -> bytes:
        stream.seek(offset)
        return stream.read(length)

    return read_at


def _concat_reader(parts: list[BinaryIO]) -> tuple[ReadAt, int]:
    """Split raw segments read as one image."""
    starts, total = [], 0
    for part in parts:
        starts.append(total)
        total += part.seek(0, io.SEEK_END)

    def read_at(offset: int, length: int) -> bytes:
        out = bytearray()
        for start, part in zip(starts, parts, strict=True):
            end = start + part.seek(0, io.SEEK_END)
            if offset + len(out) >= end or offset + length <= start:
                continue
            pos = offset + len(out) - start
            part.seek(pos)
            out += part.read(min(length - len(out), end - start - pos))
        return bytes(out)

    return read_at, total


def _split_siblings(path: bytes) -> list[bytes]:
    """``disk.001`` -> [disk.001, disk.002, ...] as far as they exist; else just the path."""
    stem, dot, number = path.rpartition(b".")
    if not dot or not number.isdigit() or int(number) != 1:
        return [path]
    found, n = [path], 2
    while os.path.exists(candidate := stem + b"." + str(n).zfill(len(number)).encode()):
        found.append(candidate)
        n += 1
    return found


def image_format(head: bytes, path: bytes | None) -> str:
    """The ``ImageStep`` format of an image from its first bytes (and, for split raw, the
    segments beside its file)."""
    declared = container_format(head)
    if declared is not None and declared.image_format is not None:
        return declared.image_format
    if path is not None and len(_split_siblings(path)) > 1:
        return "split"
    return "raw"


def _libyal_reader(stack: ExitStack, handle: Any, stream: BinaryIO,
                   what: str) -> tuple[ReadAt, int]:
    try:
        handle.open_file_object(stream)
        if what == "VMDK":  # a monolithic sparse VMDK is its own single extent file
            if handle.number_of_extents != 1:
                raise ContainerError("VMDK with several extent files: give the monolithic "
                                     "image (qemu-img convert -O vmdk)")
            handle.open_extent_data_files_as_file_objects([stream])
    except OSError as exc:
        raise ContainerError(f"unreadable {what} image: {one_line(exc)}") from exc
    stack.callback(handle.close)
    size = int(handle.get_media_size())

    def read_at(offset: int, length: int) -> bytes:
        return bytes(handle.read_buffer_at_offset(min(length, max(0, size - offset)), offset))

    return read_at, size


def _open_reader(stack: ExitStack, stream: BinaryIO, path: bytes | None, fmt: str,
                 open_path: OpenPath, report: Report) -> tuple[ReadAt, int]:
    if fmt == "ewf":
        handle = pyewf.handle()
        files = [stream]
        if path is not None:
            try:
                names = [os.fsencode(n) for n in pyewf.glob(os.fsdecode(path))]
            except OSError:
                names = [path]
            files = [stack.enter_context(open_path(n)) for n in names]
        report.meta["segments"] = len(files)
        try:
            handle.open_file_objects(files)
        except OSError as exc:
            raise ContainerError(f"unreadable EWF image: {one_line(exc)}") from exc
        stack.callback(handle.close)
        size = int(handle.get_media_size())

        def read_at(offset: int, length: int) -> bytes:
            return bytes(handle.read_buffer_at_offset(min(length, max(0, size - offset)), offset))

        return read_at, size
    if fmt in _LIBYAL:
        module, factory, what = _LIBYAL[fmt]
        return _libyal_reader(stack, getattr(importlib.import_module(module), factory)(),
                              stream, what)
    if fmt == "split" and path is not None:
        names = _split_siblings(path)
        report.meta["segments"] = len(names)
        return _concat_reader([stack.enter_context(open_path(n)) for n in names])
    return _stream_reader(stream), stream.seek(0, io.SEEK_END)


# Image formats read through the libyal Python bindings: module, handle class, display name.
_LIBYAL = {"vmdk": ("pyvmdk", "handle", "VMDK"), "vhdi": ("pyvhdi", "file", "VHD/VHDX"),
           "qcow": ("pyqcow", "file", "QCOW")}


def open_image(stack: ExitStack, stream: BinaryIO, path: bytes | None, fmt: str,
               open_path: OpenPath, report: Report | None = None) -> Any:
    """The image as TSK sees it; everything opened stays open until ``stack`` closes."""
    read_at, size = _open_reader(stack, stream, path, fmt, open_path, report or Report())
    return _Image(read_at, size)


def open_fs(image: Any, offset: int) -> Any:
    try:
        return pytsk3.FS_Info(image, offset=offset)
    except (OSError, RuntimeError) as exc:  # the image's reader fails through TSK as either
        raise ContainerError(f"no file system TSK can read at offset {offset}") from exc


def open_entry(fs: Any, inode: int) -> BinaryIO:
    """A seekable read-only view of the file at metadata address ``inode``."""
    try:
        handle = fs.open_meta(inode=inode)
    except (OSError, RuntimeError) as exc:
        raise ContainerError(f"inode {inode}: {one_line(exc, with_type=False)}") from exc
    meta = handle.info.meta
    if meta is None or meta.type != pytsk3.TSK_FS_META_TYPE_REG:
        raise ContainerError(f"inode {inode} is no longer a regular file")
    return io.BufferedReader(ReadAtFile(handle.read_random, int(meta.size)), BLOCK)


_FS_TYPES = {int(getattr(pytsk3, f"TSK_FS_TYPE_{n}")): label for n, label in _FS_NAMES.items()
             if hasattr(pytsk3, f"TSK_FS_TYPE_{n}")}

_META_TYPES = {int(getattr(pytsk3, f"TSK_FS_META_TYPE_{n}")): label for n, label in (
    ("FIFO", "fifo"), ("CHR", "character device"), ("BLK", "block device"),
    ("SOCK", "socket"), ("SHAD", "shadow inode"), ("WHT", "whiteout"))
    if hasattr(pytsk3, f"TSK_FS_META_TYPE_{n}")}

_VS_TYPES = {1: "MBR", 2: "BSD", 4: "Sun", 8: "Mac", 16: "GPT", 32: "APFS"}


def _fs_name(fs: Any) -> str:
    return _FS_TYPES.get(int(fs.info.ftype), f"type {int(fs.info.ftype):#x}")


def _time(meta: Any, attr: str) -> float | None:
    seconds = int(getattr(meta, attr, 0) or 0)
    nanos = int(getattr(meta, f"{attr}_nano", 0) or 0)
    return seconds + nanos / 1e9 if seconds else None


def _file_blocks(handle: Any, size: int) -> Iterator[bytes]:
    offset = 0
    while offset < size:
        data = handle.read_random(offset, min(BLOCK, size - offset))
        if not data:
            raise OSError(f"read failed at offset {offset} of {size}")
        offset += len(data)
        yield data


def _file_member(volume: tuple[Step, ...], fs_name: str, path: str, handle: Any,
                 deleted: bool) -> Member:
    meta = handle.info.meta
    if meta is None:
        # Nothing failed: the file system no longer knows where the content was.
        return Member((*volume, EntryStep(fs_name, 0, path)), None, deleted=deleted,
                      status="skipped",
                      reason="deleted; file metadata gone, content not recoverable")
    steps = (*volume, EntryStep(fs_name, int(meta.addr), path))
    size = int(meta.size)
    times = FileTimes(_time(meta, "crtime"), _time(meta, "mtime"), _time(meta, "atime"),
                      _time(meta, "ctime"))
    if deleted and int(meta.flags) & pytsk3.TSK_FS_META_FLAG_ALLOC:
        return Member(steps, size, times, True, "skipped",
                      "deleted; its metadata now belongs to another file")
    if meta.type == pytsk3.TSK_FS_META_TYPE_LNK:
        return Member(steps, size, times, deleted, "skipped", "symlink")
    if meta.type == pytsk3.TSK_FS_META_TYPE_UNDEF:
        # A name whose inode the file system no longer describes: expected of a deleted
        # file, damage for an allocated one.
        lost = (f"inode {int(meta.addr)}: the file system no longer describes it "
                "(TSK: file type undefined)")
        if deleted:
            return Member(steps, size, times, True, "skipped", f"deleted; {lost}")
        return Member(steps, size, times, False, "error", f"unreadable {lost}")
    if meta.type != pytsk3.TSK_FS_META_TYPE_REG:
        kind = _META_TYPES.get(int(meta.type), f"type {int(meta.type)}")
        return Member(steps, size, times, deleted, "skipped",
                      f"not a regular file: {kind} (inode {int(meta.addr)})")
    return Member(steps, size, times, deleted,
                  blocks=lambda: _file_blocks(handle, size),
                  reopen=lambda: io.BufferedReader(ReadAtFile(handle.read_random, size), BLOCK))


def _walk(fs: Any, volume: tuple[Step, ...], report: Report) -> Iterator[Member]:
    fs_name = _fs_name(fs)
    label = f"{volume[-1].label} ({fs_name})"  # type: ignore[union-attr]
    seen: set[int] = set()
    stack: list[tuple[Any, str, bool, int]] = [(fs.open_dir(path="/"), "", False, 0)]
    while stack:
        directory, prefix, dir_deleted, depth = stack.pop()
        subdirs = []
        try:
            handles = list(directory)
        except OSError as exc:
            report.errors.append(f"{label}{prefix or '/'}: unreadable directory: "
                                 f"{one_line(exc)}")
            continue
        for handle in handles:
            name_info = handle.info.name
            raw = name_info.name if name_info is not None else None
            if raw is None or raw in (b".", b".."):
                continue
            path = f"{prefix}/{display_name(raw)}"
            meta = handle.info.meta
            deleted = dir_deleted or bool(int(name_info.flags) & pytsk3.TSK_FS_NAME_FLAG_UNALLOC)
            kind = meta.type if meta is not None else None
            if kind == pytsk3.TSK_FS_META_TYPE_VIRT:
                continue  # TSK's synthetic files ($MBR, $FAT1): not on the evidence as files
            if kind in (pytsk3.TSK_FS_META_TYPE_DIR, pytsk3.TSK_FS_META_TYPE_VIRT_DIR):
                if meta.addr not in seen and depth < _MAX_DIR_DEPTH:
                    seen.add(meta.addr)
                    subdirs.append((handle, path, deleted, depth + 1))
                continue
            yield _file_member(volume, fs_name, path, handle, deleted)
        for handle, path, deleted, depth in reversed(subdirs):
            try:
                stack.append((handle.as_directory(), path, deleted, depth))
            except OSError as exc:
                if not deleted:
                    report.errors.append(f"{label}{path}: unreadable directory: "
                                         f"{one_line(exc)}")


def _partitions(image: _Image, report: Report) -> list[tuple[str, int]]:
    """(label, byte offset) of every file system to open; a bare file system is ``fs``."""
    try:
        volumes = pytsk3.Volume_Info(image)
    except (OSError, RuntimeError):
        return [("fs", 0)]
    report.meta["volume_system"] = _VS_TYPES.get(int(volumes.info.vstype), "other")
    found: list[tuple[str, int]] = []
    for part in volumes:
        if int(part.flags) & pytsk3.TSK_VS_PART_FLAG_ALLOC:
            found.append((f"p{len(found) + 1}", int(part.start) * volumes.info.block_size))
    return found


def open_crypt(stack: ExitStack, image: Any, offset: int, scheme: str,
               keys: Sequence[str]) -> Any:
    """The decrypted volume at ``offset`` as an image TSK reads (ContainerError without a
    key that opens it)."""
    opened = unlock(stack, scheme, image.read, offset, image.get_size(), keys)
    if opened is None:
        name, needs = SCHEMES[scheme]
        raise ContainerError(f"{name} volume: needs {needs}")
    return _Image(*opened)


def _encrypted_volume(stack: ExitStack, image: Any, label: str, offset: int,
                      volume: tuple[Step, ...], keys: Sequence[str],
                      report: Report) -> Iterator[Member]:
    """An encrypted volume: its files when a key opens it, else one ``encrypted`` item."""
    scheme = scheme_of(image.read(offset, 4096))
    assert scheme is not None
    locked = (*volume, CryptStep(scheme))
    try:
        inner = open_crypt(stack, image, offset, scheme, keys)
    except ContainerError as exc:
        yield Member(locked, None, status="encrypted", reason=str(exc))
        return
    try:
        fs = pytsk3.FS_Info(inner, offset=0)
    except (OSError, RuntimeError):
        report.notes.append(f"{label}: unlocked {SCHEMES[scheme][0]} volume holds no file "
                            "system TSK can read")
        return
    report.notes.append(f"{label}: {SCHEMES[scheme][0]} volume opened with a given key")
    yield from _walk(fs, (*locked, VolumeStep(label, 0)), report)


def read_disk_image(stream: BinaryIO, head: bytes, path: bytes | None, open_path: OpenPath,
                    report: Report, keys: Sequence[str] = ()) -> Iterator[Member]:
    """Every file in every readable file system of the image, allocated and deleted.

    ``path`` (the image's own file, when it is one) lets multi-segment images find their
    other segments beside it; ``open_path`` opens those read-only. Encrypted volumes are
    opened with ``keys`` where one fits (``sources/encrypted.py``).
    """
    fmt = image_format(head, path)
    if fmt == "ewf" and (segment := ewf_segment_number(head)) != 1:
        report.notes.append(f"EWF segment {segment}: read together with segment 1")
        return
    with ExitStack() as stack:
        read_at, size = _open_reader(stack, stream, path, fmt, open_path, report)
        report.meta["media_size"] = size
        report.meta["image_format"] = fmt
        image = _Image(read_at, size)
        systems: list[str] = []
        failed: list[str] = []
        tried = set()
        for label, offset in _partitions(image, report):
            tried.add(offset)
            try:
                fs = pytsk3.FS_Info(image, offset=offset)
            except (OSError, RuntimeError):
                head = image.read(offset, 4096)
                if scheme_of(head) is not None:
                    systems.append(f"{label} (encrypted)")
                    yield from _encrypted_volume(stack, image, label, offset, (
                        ImageStep(fmt), VolumeStep(label, offset)), keys, report)
                elif head[32:36] == b"NXSB":  # an APFS container: recorded, not read yet
                    systems.append(f"{label} (APFS)")
                    yield Member((ImageStep(fmt), VolumeStep(label, offset),
                                  EntryStep("APFS", 0, "/")), None, status="skipped",
                                 reason="APFS container: its files are not read "
                                        "(not supported yet)")
                else:
                    failed.append(f"{label}: no file system TSK can read")
                continue
            systems.append(f"{label} ({_fs_name(fs)})")
            needed = offset + int(fs.info.block_count) * int(fs.info.block_size)
            if needed > size:
                report.errors.append(f"{label}: image truncated ({size} of {needed} bytes): "
                                     "files past its end cannot be read")
            yield from _walk(fs, (ImageStep(fmt), VolumeStep(label, offset)), report)
        if systems:
            report.notes.extend(failed)
        else:
            table = report.meta.get("volume_system")
            lead = (f"the {table} partition table describes no readable file system" if table
                    else "no partition table and no file system at offset 0")
            scan = _Scan(image, size, tried)
            for offset, fs in scan:
                label = f"offset {offset}"
                systems.append(f"{label} ({_fs_name(fs)})")
                yield from _walk(fs, (ImageStep(fmt), VolumeStep(label, offset)), report)
            if not systems:
                report.meta["file_systems"] = systems
                raise ContainerError(f"no readable file system in the image: {lead}; a scan "
                                     f"of {scan.probes} partition offsets found none")
            report.notes.append(f"{lead}; file systems found by scanning: {', '.join(systems)}")
        report.meta["file_systems"] = systems


class _Scan:
    """File systems found at the usual partition starts (sector 0, sector 63, then every
    MiB), going on past the end of each volume found; at most SCAN_PROBES reads."""

    def __init__(self, image: _Image, size: int, tried: set[int]) -> None:
        self.image, self.size, self.tried, self.probes = image, size, tried, 0

    def __iter__(self) -> Iterator[tuple[int, Any]]:
        offset = 0
        while offset < self.size and self.probes < SCAN_PROBES:
            self.probes += 1
            resume = offset + 1
            if offset not in self.tried and _file_system_record(
                    self.image.read(offset, _SCAN_HEAD)):
                try:
                    fs = pytsk3.FS_Info(self.image, offset=offset)
                except OSError:
                    pass
                else:
                    yield offset, fs
                    resume = offset + int(fs.info.block_count) * int(fs.info.block_size)
            offset = 63 * 512 if resume <= 63 * 512 else -(-resume // SCAN_STEP) * SCAN_STEP
