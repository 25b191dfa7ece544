"""Builders of benign container evidence for tests: pictures of shapes, videos of moving
shapes, archives, and disk images made with the Debian tools a forensic lab has."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import av
import numpy as np
import pillow_heif
import pytest

from cumberland.demo import synthetic_image
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.records import Child, Result, Task
from cumberland.settings import Settings
from cumberland.sources.listing import read_listing


def need(*tools: str) -> None:
    for tool in tools:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (scripts/install-system-deps.sh)")


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], check=True, capture_output=True, timeout=120)


def jpeg(seed: int, size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    synthetic_image(seed, size).save(out, "JPEG", quality=90)
    return out.getvalue()


def heic(seed: int, size: tuple[int, int] = (200, 150)) -> bytes:
    out = io.BytesIO()
    pillow_heif.from_pillow(synthetic_image(seed, size)).save(out, quality=80)
    return out.getvalue()


def video(path: Path, seeds: list[int], codec: str = "libx264", size: tuple[int, int] = (320, 240),
          fps: int = 12, seconds_per_scene: int = 2, bitrate: int | None = None) -> Path:
    """Scenes of coloured shapes, each panning slowly for ``seconds_per_scene``."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=fps)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if bitrate:
            stream.bit_rate = bitrate
        w, h = size
        for seed in seeds:
            base = np.asarray(synthetic_image(seed, (w + 64, h + 32)))
            for k in range(fps * seconds_per_scene):
                frame = np.ascontiguousarray(base[16 : 16 + h, k % 64 : k % 64 + w])
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def zip_bytes(members: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out.getvalue()


def write_tree(root: Path, files: dict[str, bytes]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


def seven_zip(out: Path, files: dict[str, bytes], work: Path, password: str | None = None,
              encrypt_names: bool = False) -> Path:
    need("7z")
    src = write_tree(work / f"{out.name}.src", files)
    args: list[str | Path] = ["7z", "a", "-bd", "-y"]
    if password:
        args += [f"-p{password}"] + (["-mhe=on"] if encrypt_names else [])
    subprocess.run([str(a) for a in [*args, out.absolute(), "."]], cwd=src, check=True,
                   capture_output=True, timeout=120)
    return out


def ext4_image(out: Path, files: dict[str, bytes], work: Path, delete: tuple[str, ...] = (),
               size_mb: int = 8) -> Path:
    """An ext4 file system holding ``files``; the ``delete`` paths are then removed by debugfs
    (their inodes keep size and blocks, so TSK can still read them)."""
    need("mke2fs", "debugfs")
    src = write_tree(work / f"{out.name}.src", files)
    run("mke2fs", "-q", "-F", "-t", "ext4", "-d", src, out, f"{size_mb}M")
    for rel in delete:
        run("debugfs", "-w", "-R", f"rm /{rel}", out)
    return out


def fat_image(out: Path, files: dict[str, bytes], work: Path, delete: tuple[str, ...] = (),
              size_kb: int = 4096) -> Path:
    need("mkfs.fat", "mcopy", "mdel", "mmd")
    run("mkfs.fat", "-C", out, str(size_kb))
    src = write_tree(work / f"{out.name}.src", files)
    for rel in sorted(files):
        parts = rel.split("/")
        for i in range(1, len(parts)):
            subprocess.run(["mmd", "-i", str(out), "::" + "/".join(parts[:i])],
                           capture_output=True, timeout=60)
        run("mcopy", "-i", out, src / rel, "::" + rel)
    for rel in delete:
        run("mdel", "-i", out, "::" + rel)
    return out


def ntfs_image(out: Path, files: dict[str, bytes], work: Path, size_mb: int = 8) -> Path:
    """An NTFS volume holding ``files`` at its root, written without mounting (ntfscp)."""
    need("mkntfs", "ntfscp")
    with out.open("wb") as fh:
        fh.truncate(size_mb * 1024 * 1024)
    run("mkntfs", "-F", "-Q", "-q", "-L", "EVIDENCE", out)
    src = write_tree(work / f"{out.name}.src", files)
    for rel in sorted(files):
        run("ntfscp", "-f", out, src / rel, rel)
    return out


def gpt_disk(out: Path, partition: Path, type_code: str = "0700", start: int = 2048) -> Path:
    """A GPT disk (sgdisk) with one partition holding ``partition`` at sector ``start``."""
    need("sgdisk")
    data = partition.read_bytes()
    sectors = (len(data) + 511) // 512
    with out.open("wb") as fh:
        fh.truncate((start + sectors + 2048) * 512)
    run("sgdisk", "-o", "-n", f"1:{start}:{start + sectors - 1}", "-t", f"1:{type_code}", out)
    with out.open("r+b") as fh:
        fh.seek(start * 512)
        fh.write(data)
    return out


def mbr_disk(out: Path, partition: Path, type_id: int = 0x83, start: int = 2048) -> Path:
    """A disk with one MBR partition holding ``partition`` (a file-system image)."""
    data = partition.read_bytes()
    sectors = (len(data) + 511) // 512
    entry = bytes([0x00, 0, 0, 0, type_id, 0, 0, 0]) + start.to_bytes(4, "little") + \
        sectors.to_bytes(4, "little")
    mbr = bytearray(512)
    mbr[446:462] = entry
    mbr[510:512] = b"\x55\xaa"
    with out.open("wb") as fh:
        fh.write(mbr)
        fh.seek(start * 512)
        fh.write(data)
        fh.truncate((start + sectors + 64) * 512)
    return out


def e01(raw: Path, target: Path, segment_bytes: int | None = None) -> Path:
    """Wrap a raw image as EWF (``target`` without extension; returns the .E01 path)."""
    need("ewfacquire")
    args: list[str | Path] = ["ewfacquire", "-u", "-q", "-c", "none", "-t", target]
    if segment_bytes:
        args += ["-S", str(segment_bytes)]
    run(*args, raw)
    return target.with_name(target.name + ".E01")


def reencode(src: Path, dst: Path, codec: str, size: tuple[int, int], bitrate: int) -> Path:
    """Decode ``src`` and encode it again with another codec, resolution and bitrate."""
    with av.open(str(src)) as source, av.open(str(dst), "w") as out:
        in_stream = source.streams.video[0]
        stream = out.add_stream(codec, rate=in_stream.average_rate)
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        stream.bit_rate = bitrate
        for frame in source.decode(in_stream):
            pixels = frame.to_ndarray(width=size[0], height=size[1], format="rgb24")
            for packet in stream.encode(av.VideoFrame.from_ndarray(pixels, format="rgb24")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return dst


def fingerprint_tree(path: Path, settings: Settings | None = None) -> Result:
    """``fingerprint`` of one file with every fanned-out member fingerprinted too, the way
    the writer and the workers do it, folded back into one tree of children (chains relative
    to the file, parents as indexes) so tests can look at a container as a whole."""
    settings = settings or Settings()
    result = fingerprint(Task(1, os.fsencode(path), str(path), None), settings)
    _fold(result, result, -1, [], settings)
    return result


def _fold(top: Result, result: Result, parent: int, prefix: list[str],
          settings: Settings) -> None:
    if result is not top:
        base = len(top.children)
        for child in result.children:
            top.children.append(Child([*prefix, *child.chain],
                                      parent if child.parent < 0 else base + child.parent,
                                      child.result, child.deleted, child.times,
                                      child.locator))
    if result.listing is None:
        return
    for member in read_listing(result.listing):
        if member.status == "pending":
            task = Task(0, b"", " › ".join(member.chain), member.size, member.locator)
            found = fingerprint(task, settings)
        else:
            found = Result(0, member.status, member.reason, size=member.size)
        top.children.append(Child([*prefix, *member.chain], parent, found, member.deleted,
                                  member.times, member.locator))
        _fold(top, found, len(top.children) - 1, [*prefix, *member.chain], settings)


def qemu_convert(raw: Path, out: Path, fmt: str) -> Path:
    """``raw`` converted by qemu-img to ``fmt`` (vmdk, vpc = VHD, vhdx, qcow2)."""
    need("qemu-img")
    run("qemu-img", "convert", "-f", "raw", "-O", fmt, raw, out)
    return out


def luks_volume(out: Path, inner: Path, passphrase: str, work: Path) -> Path:
    """A LUKS1 volume (aes-xts-plain64) holding ``inner``'s bytes, made without a device
    mapper: cryptsetup writes the header around a master key chosen here, and the payload
    is encrypted sector by sector with that key (XTS, tweak = sector number)."""
    need("cryptsetup")
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    master = bytes(range(64))
    (work / "mk.bin").write_bytes(master)
    (work / "pass.txt").write_text(passphrase)
    plain = inner.read_bytes()
    header = 4096 * 512
    with out.open("wb") as fh:
        fh.truncate(header + len(plain))
    run("cryptsetup", "luksFormat", "--type", "luks1", "--cipher", "aes-xts-plain64",
        "--key-size", "512", "--hash", "sha256", "--master-key-file", work / "mk.bin",
        "--iter-time", "1", "--align-payload", "4096", "--batch-mode", out, work / "pass.txt")
    sealed = bytearray()
    for start in range(0, len(plain), 512):
        tweak = (start // 512).to_bytes(16, "little")
        encryptor = Cipher(algorithms.AES(master), modes.XTS(tweak)).encryptor()
        sealed += encryptor.update(plain[start : start + 512]) + encryptor.finalize()
    with out.open("r+b") as fh:
        fh.seek(header)
        fh.write(sealed)
    return out
