"""Container readers declared once: each format's signature, MIME type and extensions
(sources/signatures.py) and each kind's reader (sources/containers.py) are what sniffing,
content keeping, fingerprinting, the disk-image reader and the README go by."""

from __future__ import annotations

from pathlib import Path

import pytest

from cumberland.pipeline.content import DECODED_KINDS, needs_content
from cumberland.pipeline.fingerprint import HANDLERS
from cumberland.signals.sniff import extension_matches, sniff
from cumberland.sources.containers import KINDS
from cumberland.sources.disk_image import image_format
from cumberland.sources.signatures import EWF_MAGIC, FORMATS

README = Path(__file__).resolve().parents[2] / "README.md"
HEADS = {  # the first bytes of a file of each format
    "zip": b"PK\x03\x04", "7z": b"7z\xbc\xaf\x27\x1c", "rar": b"Rar!\x1a\x07\x00",
    "gzip": b"\x1f\x8b\x08", "bzip2": b"BZh9", "xz": b"\xfd7zXZ\x00", "zstd": b"\x28\xb5\x2f\xfd",
    "tar": bytes(257) + b"ustar\x0000", "ewf": EWF_MAGIC[0], "vmdk": b"KDMV\x01",
    "vhdx": b"vhdxfile", "vhd": b"conectix", "qcow": b"QFI\xfb\x00\x00\x00\x03",
    "thumbcache": b"CMMM\x20\x00\x00\x00", "ole": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
}


@pytest.mark.parametrize("fmt", FORMATS, ids=lambda f: f.name)
def test_each_declared_format_is_sniffed_kept_and_opened_as_declared(fmt) -> None:  # type: ignore[no-untyped-def]
    head = HEADS[fmt.name] + bytes(600)
    found = sniff(head)
    assert (found.kind, found.mime, found.extensions) == (fmt.kind, fmt.mime, fmt.extensions)
    assert needs_content(head)  # its bytes are kept for its reader
    assert fmt.kind in HANDLERS  # and fingerprinting opens it as a container
    assert extension_matches(f"x.{fmt.extensions[0]}", found) is True
    assert extension_matches("x.jpg", found) is False
    if fmt.image_format is not None:
        assert image_format(head, None) == fmt.image_format


def test_every_kind_has_its_reader_and_the_readme_names_every_format() -> None:
    kinds = {f.kind for f in FORMATS}
    assert kinds == {k.kind for k in KINDS} <= DECODED_KINDS
    assert set(HEADS) == {f.name for f in FORMATS}
    table = README.read_text().split("## Formats", 1)[1].split("###", 1)[0]
    rows = {line.split("|")[1].strip(): line for line in table.splitlines()
            if line.startswith("| ")}
    for fmt in FORMATS:
        row = rows["archives" if fmt.kind == "archive" else "disk images"]
        assert fmt.title in row, f"README's {fmt.kind} row does not name {fmt.title}"
