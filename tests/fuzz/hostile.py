"""Generator of a hostile (but benign) evidence folder, and a peak-memory-measuring runner.

Everything here is synthetic: gradients and shapes from ``cumberland.demo``, zeros, text.
``build(root)`` writes the corpus and returns what the tests need to know about it.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import stat
import struct
import subprocess
import sys
import tarfile
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import av
import numpy as np
import pillow_heif

from cumberland.demo import synthetic_image

SPARSE_SIZE = 3 * 1024**3


@dataclass(slots=True)
class Hostile:
    root: Path
    hashsets: dict[str, Path]  # malformed hash-set files, outside ``root``
    opaque_dirs: list[Path] = field(default_factory=list)  # unreadable: one item, contents unseen
    big_files: list[Path] = field(default_factory=list)  # stat-only in snapshots
    escape_paths: list[Path] = field(default_factory=list)  # must never come to exist
    devices: bool = False
    disks: list[str] = field(default_factory=list)  # disk images made (tools permitting)


def _picture(fmt: str, seed: int, **options: object) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed, (160, 120)).save(buf, fmt, **options)
    return buf.getvalue()


def _heic(seed: int) -> bytes:
    buf = io.BytesIO()
    pillow_heif.from_pillow(synthetic_image(seed, (160, 120))).save(buf, quality=80)
    return buf.getvalue()


def _gif(seed: int) -> bytes:
    frames = [synthetic_image(seed + k, (96, 72)).convert("P") for k in range(3)]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def mp4(seed: int, frames: int = 8) -> bytes:
    """A short MPEG-4 video of synthetic pictures, encoded with PyAV."""
    buf = io.BytesIO()
    with av.open(buf, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=4)
        stream.width, stream.height, stream.pix_fmt = 96, 64, "yuv420p"
        for k in range(frames):
            rgb = np.asarray(synthetic_image(seed + k, (96, 64)))
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buf.getvalue()


def _bitflip(data: bytes, seed: int, flips: int = 24) -> bytes:
    """Flip bits past the first 16 bytes, so the type is still recognised but the body lies."""
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(flips):
        pos = rng.randrange(16, len(out))
        out[pos] ^= 1 << rng.randrange(8)
    return bytes(out)


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (struct.pack(">I", len(payload)) + kind + payload
            + struct.pack(">I", zlib.crc32(kind + payload)))


def huge_png(width: int = 50_000, height: int = 50_000) -> bytes:
    """A tiny file whose IHDR claims ``width`` x ``height`` RGB pixels (7.5 GB decoded)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr)
            + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096)) + _png_chunk(b"IEND", b""))


def zip_bomb(path: Path, mib: int = 256) -> None:
    """One entry of ``mib`` MiB of zeros, deflated about a thousandfold."""
    block = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("zeros.bin", "w", force_zip64=True) as entry:
        for _ in range(mib):
            entry.write(block)


def overlapping_zip(path: Path, entries: int = 40, mib: int = 8) -> None:
    """Many central-directory entries that all point at one local file (its data overlaps)."""
    data = bytes(mib * 1024 * 1024)
    packed = zlib.compressobj(9, zlib.DEFLATED, -15)
    body = packed.compress(data) + packed.flush()
    crc = zlib.crc32(data)
    local_name = b"zeros-0.bin"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(body), len(data),
                        len(local_name), 0) + local_name + body
    central = b""
    for k in range(entries):
        name = f"zeros-{k}.bin".encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               len(body), len(data), len(name), 0, 0, 0, 0, 0, 0) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(central),
                      len(local), 0)
    path.write_bytes(local + central + end)


def traversal_tar(path: Path, token: str, outside: Path) -> list[Path]:
    """A tar whose entries name absolute and ``../`` paths; returns where they would land."""
    names = [f"/tmp/cumberland-abs-{token}.txt", f"../cumberland-escape-{token}.txt",
             f"ok/../../../cumberland-escape2-{token}.txt", "ok/plain.txt"]
    with tarfile.open(path, "w") as tar:
        for name in names:
            payload = f"entry {name}\n".encode()
            info = tarfile.TarInfo(name)
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
        link = tarfile.TarInfo("ok/passwd-link")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
        hard = tarfile.TarInfo("ok/hard-link")
        hard.type, hard.linkname = tarfile.LNKTYPE, "../../outside.txt"
        tar.addfile(hard)
    return [Path(f"/tmp/cumberland-abs-{token}.txt"),
            *(base / f"cumberland-escape{n}-{token}.txt"
              for base in (outside, outside.parent, Path.cwd(), Path.cwd().parent)
              for n in ("", "2"))]


def _with_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    """``jpeg`` with one more marker segment right after SOI."""
    segment = bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload
    return jpeg[:2] + segment + jpeg[2:]


def garbage_exif_jpeg(seed: int) -> bytes:
    """A JFIF JPEG (with a dpi, so Pillow does not pre-read EXIF) whose APP1 after
    ``Exif\0\0`` and APP2 are random bytes: the metadata is garbage, the pixels are fine."""
    rng = random.Random(seed)
    buf = io.BytesIO()
    synthetic_image(seed, (320, 240)).save(buf, "JPEG", quality=85, dpi=(300, 300))
    data = _with_segment(buf.getvalue(), 0xE1, b"Exif\0\0" + rng.randbytes(1024))
    return _with_segment(data, 0xE2, b"MPF\0" + rng.randbytes(4096))


def bomb_first_tar_xz(path: Path, photos: dict[str, bytes], mib: int = 64) -> None:
    """A tar.xz whose first member is ``mib`` MiB of zeros (over the expansion ratio), then
    ``photos``: only the first member may be stopped."""
    with tarfile.open(path, "w:xz", preset=1) as tar:
        for name, data in {"zeros.bin": bytes(mib * 1024 * 1024), **photos}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def truncated_tgz(path: Path, photos: dict[str, bytes]) -> None:
    """A tar.gz cut inside its second member."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in photos.items():
            padded = data + random.Random(len(data)).randbytes(30000)
            info = tarfile.TarInfo(name)
            info.size = len(padded)
            tar.addfile(info, io.BytesIO(padded))
    whole = buf.getvalue()
    path.write_bytes(whole[: len(whole) * 2 // 3])


def disk_images(folder: Path, photos: dict[str, bytes]) -> list[str]:
    """An ext4 volume at 1 MiB behind an MBR of random entries (55AA kept), and an ext4
    image one of whose inodes was cleared; [] when the tools are missing."""
    if shutil.which("mke2fs") is None or shutil.which("debugfs") is None:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    src = folder.parent / ".disk-src"
    for name, data in photos.items():
        _write(src / "pics" / name, data)
    volume = folder.parent / ".volume.img"
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-d", str(src), str(volume), "4M"],
                   check=True, capture_output=True)
    body = volume.read_bytes()
    mbr = bytearray(random.Random(7).randbytes(512))
    mbr[510:512] = b"\x55\xaa"
    disk = bytes(mbr) + bytes(1024 * 1024 - 512) + body + bytes(64 * 512)
    (folder / "random-table.dd").write_bytes(disk)
    damaged = folder / "damaged-inode.img"
    damaged.write_bytes(body)
    first = sorted(photos)[0]
    subprocess.run(["debugfs", "-w", "-R", f"clri /pics/{first}", str(damaged)], check=True,
                   capture_output=True)
    shutil.rmtree(src)
    volume.unlink()
    return ["random-table.dd", "damaged-inode.img"]


def _malformed_hashsets(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    vics = folder / "bad-vics.json"
    vics.write_text('{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/'
                    'DataModels/2.0.xml/US/$metadata#Media", "value": [{"MD5": "zz", '
                    '"MediaID": 1, "Category": 1}]}')
    nsrl = folder / "bad-nsrl.txt"
    nsrl.write_text('"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode",'
                    '"OpSystemCode","SpecialCode"\n'
                    '"NOT-A-SHA1","0123","00000000","a.txt",1,1,"1",""\n')
    hashdeep = folder / "bad-hashdeep.txt"
    hashdeep.write_text("%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n"
                        "12,zz-not-hex,also-not-hex,/evidence/a.txt\n")
    shapeless = folder / "vics-value-object.json"  # issue 13 item 9: was "0 entries", exit 0
    shapeless.write_text('{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/'
                         'DataModels/2.0.xml/US/$metadata#Media", "value": {"MD5": '
                         '"5d41402abc4b2a76b9719d911017c592"}}')
    cases = folder / "vics-media-object.json"
    cases.write_text('{"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/'
                     '1.3.xml#Cases", "value": [{"CaseNumber": "A", "Media": {"MD5": '
                     '"5d41402abc4b2a76b9719d911017c592"}}]}')
    return {"vics": vics, "nsrl": nsrl, "hashdeep": hashdeep, "vics-value-object": shapeless,
            "vics-media-object": cases}


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def build(root: Path, hashset_dir: Path) -> Hostile:
    """Write the hostile corpus under ``root`` (created) and malformed sets in ``hashset_dir``."""
    out = Hostile(root=root, hashsets=_malformed_hashsets(hashset_dir))
    images = root / "images"
    samples = {
        "jpg": _picture("JPEG", 1, quality=85), "png": _picture("PNG", 2),
        "gif": _gif(3), "webp": _picture("WEBP", 4, quality=80), "mp4": mp4(5),
    }
    for ext, data in samples.items():
        _write(images / f"good.{ext}", data)
        _write(images / f"truncated.{ext}", data[: len(data) // 2])
        _write(images / f"bitflip.{ext}", _bitflip(data, len(data)))
        _write(images / f"header-only.{ext}", data[:32])

    _write(images / "garbage-exif.jpg", garbage_exif_jpeg(6))
    _write(images / "cut.heic", _heic(7)[:64])
    photo = samples["jpg"]
    stash = io.BytesIO()
    with zipfile.ZipFile(stash, "w") as zf:
        zf.writestr("hidden/inner.jpg", _picture("JPEG", 8, quality=85))
        zf.writestr("notes.txt", "benign stand-in text\n")
    _write(images / "photo-with-zip.jpg", photo + stash.getvalue())

    photos = {f"photo{k}.jpg": _picture("JPEG", 20 + k, quality=85) for k in range(3)}
    bombs = root / "bombs"
    _write(bombs / "huge-50000x50000.png", huge_png())
    _write(bombs / "huge-13000x13000.png", huge_png(13_000, 13_000))
    bomb_first_tar_xz(bombs / "bomb-first.tar.xz", photos)
    truncated_tgz(bombs / "cut.tar.gz", photos)
    out.disks = disk_images(root / "disks", photos)
    zip_bomb(bombs / "zip-bomb.zip")
    overlapping_zip(bombs / "overlapping-entries.zip")
    token = uuid.uuid4().hex[:12]
    out.escape_paths = traversal_tar(bombs / "traversal.tar", token, root)

    links = root / "links"
    links.mkdir()
    os.symlink("loop-b", links / "loop-a")
    os.symlink("loop-a", links / "loop-b")
    os.symlink("self", links / "self")
    os.symlink("..", links / "parent")
    os.symlink("/etc/passwd", links / "outside")

    special = root / "special"
    special.mkdir()
    os.mkfifo(special / "fifo")
    if os.geteuid() == 0:
        # /dev/zero's numbers: a reader that opened it would never finish.
        os.mknod(special / "chardev-zero", 0o644 | stat.S_IFCHR, os.makedev(1, 5))
        os.mknod(special / "blockdev", 0o600 | stat.S_IFBLK, os.makedev(7, 250))
        out.devices = True

    locked = root / "locked"
    _write(locked / "locked.jpg", samples["jpg"])
    _write(locked / "readable.txt", b"readable\n")
    (locked / "locked.jpg").chmod(0)
    _write(locked / "closed-dir" / "inside.txt", b"never seen\n")
    (locked / "closed-dir").chmod(0)
    out.opaque_dirs.append(locked / "closed-dir")

    sizes = root / "sizes"
    _write(sizes / "zero-bytes.jpg", b"")
    sparse = sizes / "sparse-3g.img"
    with open(sparse, "wb") as fh:
        fh.truncate(SPARSE_SIZE)
    out.big_files.append(sparse)

    names = os.fsencode(root / "names")
    os.mkdir(names)
    for raw in (b"bad-\xff\xfe.jpg", b"line\nbreak.png", b"\xc3\x28-half.txt",
                b"tab\tand\rcr.gif", b"-starts-with-dash.webp", b" .leading space.jpg"):
        with open(names + b"/" + raw, "wb") as fh:
            fh.write(samples["jpg"] if raw.endswith(b".jpg") else b"plain text\n")
    return out


def count_entries(root: Path, opaque: list[Path]) -> int:
    """Non-directory entries under ``root`` (symlinks not followed); an opaque (unreadable)
    directory counts as one entry, since a reader without privileges sees only the folder."""
    total = 0
    skip = {os.fsencode(p) for p in opaque}
    for dirpath, dirnames, filenames in os.walk(os.fsencode(root)):
        for name in list(dirnames):
            full = os.path.join(dirpath, name)
            if full in skip or os.path.islink(full):
                dirnames.remove(name)
                total += 1
        total += len(filenames)
    return total


_WRAPPER = """
import ctypes, os, resource, subprocess, sys
ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
rc = subprocess.call(sys.argv[2:])
while True:  # reap orphaned grandchildren (pool workers) so their peak counts too
    try:
        os.wait()
    except ChildProcessError:
        break
with open(sys.argv[1], "w") as fh:
    fh.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(rc)
"""


def run_measured(cmd: list[str], rss_file: Path, timeout: float
                 ) -> tuple[subprocess.CompletedProcess[str], int]:
    """Run ``cmd`` and return it with the peak RSS (KiB) of it and every descendant.

    A wrapper process makes itself a child subreaper and reaps every orphan, so pool workers
    started through a fork server are counted by ``getrusage(RUSAGE_CHILDREN)`` as well.
    """
    done = subprocess.run([sys.executable, "-c", _WRAPPER, str(rss_file), *cmd],
                          capture_output=True, text=True, timeout=timeout)
    return done, int(rss_file.read_text())
