"""Format sniffing (by content, never by extension) and open_reader dispatch."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets import CLI_FORMATS, HashSetError, detect_format, open_reader
from cumberland.hashsets.hashdeep import HashdeepReader
from cumberland.hashsets.hashkeeper import HashKeeperReader
from cumberland.hashsets.ncmec import NcmecReader
from cumberland.hashsets.nsrl import NsrlSqliteReader, NsrlTextReader
from cumberland.hashsets.pdq_csv import PdqReader, VpdqReader
from cumberland.hashsets.sums import SumsReader
from cumberland.hashsets.vics import VicsReader

Write = Callable[[str, str | bytes], Path]
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "5d41402abc4b2a76b9719d911017c592"
SHA1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"


def _samples(tmp_path: Path, write: Write) -> dict[str, tuple[Path, type]]:
    """One small file per format, all named ``.dat`` so the extension cannot help."""
    vics2 = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
        "US/$metadata#Media",
        "value": [{"MD5": MD5}],
    }
    zipped = tmp_path / "zipped.dat"
    with zipfile.ZipFile(zipped, "w") as out:
        out.writestr("NSRLFile.txt", f'"SHA-1","MD5","FileName"\n"{SHA1.upper()}","","a"\n')
    sqlite = tmp_path / "v3.dat"
    with sqlite3.connect(sqlite) as db:
        db.execute("CREATE TABLE FILE (sha256, sha1, md5, crc32, file_name, file_size, package_id)")
    db.close()
    return {
        "vics": (write("vics.dat", b"\xef\xbb\xbf\n " + json.dumps(vics2).encode()), VicsReader),
        "nsrl": (
            write("nsrl.dat", f'"SHA-1","MD5","CRC32","FileName"\n"{SHA1}","{MD5}","0","a"\n'),
            NsrlTextReader,
        ),
        "nsrl-zip": (zipped, NsrlTextReader),
        "nsrl-v3": (sqlite, NsrlSqliteReader),
        "hashdeep": (
            write("hd.dat", f"%%%% HASHDEEP-1.0\n%%%% md5,filename\n{MD5},a\n"),
            HashdeepReader,
        ),
        "sums": (write("sums.dat", f"\n{MD5}  a.jpg\n"), SumsReader),
        "sums-tag": (write("tag.dat", f"SHA1 (a.jpg) = {SHA1}\n"), SumsReader),
        "hashkeeper": (
            write("hk.dat", f'"file_id","hashset_id","file_name","hash"\n1,2,"a",{MD5}\n'),
            HashKeeperReader,
        ),
        "pdq": (write("pdq.dat", f"{PDQ},100,a.jpg\n"), PdqReader),
        "vpdq": (write("vpdq.dat", f"0,100,{PDQ},0.000\n"), VpdqReader),
        "ncmec": (
            write(
                "nc.dat",
                '<?xml version="1.0"?>\n<queryResult xmlns="urn:x"><images/></queryResult>',
            ),
            NcmecReader,
        ),
    }


def test_every_format_is_detected_and_opened(tmp_path: Path, write: Write) -> None:
    for label, (path, reader_type) in _samples(tmp_path, write).items():
        expected = label.split("-")[0]
        assert detect_format(path) == expected, label
        reader = open_reader(path)
        assert isinstance(reader, reader_type), label
        list(reader)
        assert isinstance(open_reader(path, expected), reader_type)


def test_nsrl_name_covers_v3(tmp_path: Path, write: Write) -> None:
    path, _ = _samples(tmp_path, write)["nsrl-v3"]
    assert isinstance(open_reader(path, "nsrl"), NsrlSqliteReader)
    assert set(CLI_FORMATS) >= {"auto", "nsrl", "vpdq", "ncmec"}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"hello world\n",
        b'{"name": "not vics"}',
        b"<html><body/></html>",
        b"PK\x03\x04garbage",
        b"\x00\x01\x02\x03",
    ],
)
def test_unrecognised(write: Write, check_error: Callable[..., None], content: bytes) -> None:
    path = write("x.dat", content)
    with pytest.raises(HashSetError) as info:
        detect_format(path)
    check_error(info.value, path, "byte 0")


def test_zip_without_nsrl_member(tmp_path: Path, check_error: Callable[..., None]) -> None:
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as out:
        out.writestr("notes.txt", "x")
    with pytest.raises(HashSetError) as info:
        detect_format(path)
    check_error(info.value, path, "byte 0")


def test_unknown_format_name(write: Write) -> None:
    with pytest.raises(ValueError, match="unknown hash-set format"):
        open_reader(write("s.txt", f"{MD5}  a\n"), "tiger")
