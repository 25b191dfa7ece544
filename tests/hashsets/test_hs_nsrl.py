"""NSRL RDS v2 text (both column orders, latin-1, zipped) and RDS v3 SQLite."""

from __future__ import annotations

import sqlite3
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.nsrl import NsrlSqliteReader, NsrlTextReader, open_nsrl

Write = Callable[[str, str | bytes], Path]
NEW = '"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode","SpecialCode"\r\n'
OLD = (
    '"SHA-1","FileName","FileSize","ProductCode","OpSystemCode","MD4","MD5","CRC32",'
    '"SpecialCode"\r\n'
)


def _v2_new(hexes: Callable[..., tuple], name: bytes = b"readme.txt") -> bytes:
    md5, sha1, _ = hexes("readme")
    return NEW.encode() + (
        f'"{sha1.upper()}","{md5.upper()}","0D1A5B29","'.encode()
        + name
        + b'",1024,1234,"358",""\r\n'
    )


def test_v2_current_order(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, sha1, _ = hexes("readme")
    path = write("NSRLFile.txt", _v2_new(hexes))
    reader = open_nsrl(path)
    assert isinstance(reader, NsrlTextReader)
    assert reader.info.version == "2" and reader.info.properties["container"] == "text"
    (record,) = reader
    assert record.sha1 == bytes.fromhex(sha1) and record.md5 == bytes.fromhex(md5)
    assert record.name == "readme.txt" and record.size == 1024
    assert record.extra == {"product_code": "1234", "op_system_code": "358"}


def test_v2_old_order(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, sha1, _ = hexes("old")
    md4 = "0" * 32
    path = write(
        "old.txt",
        OLD + f'"{sha1.upper()}","setup.exe",99,42,"WIN","{md4}","{md5.upper()}","ABCD1234",""\n',
    )
    (record,) = NsrlTextReader(path)
    assert record.md5 == bytes.fromhex(md5) and record.sha1 == bytes.fromhex(sha1)
    assert record.name == "setup.exe" and record.size == 99


def test_v2_latin1_names(write: Write, hexes: Callable[..., tuple]) -> None:
    path = write("l1.txt", _v2_new(hexes, b"r\xe9sum\xe9.doc"))
    (record,) = NsrlTextReader(path)
    assert record.name == "résumé.doc"


def test_v2_zipped_is_streamed(tmp_path: Path, hexes: Callable[..., tuple]) -> None:
    archive = tmp_path / "rds_modern.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.writestr("README.txt", "not this one")
        out.writestr("RDS_2.x/NSRLFile.txt", _v2_new(hexes))
    reader = open_nsrl(archive)
    assert reader.info.properties == {"container": "zip", "member": "RDS_2.x/NSRLFile.txt"}
    assert [r.name for r in reader] == ["readme.txt"]
    assert not (tmp_path / "RDS_2.x").exists()


def test_zip_errors_name_member_and_line(
    tmp_path: Path, check_error: Callable[..., None], hexes: Callable[..., tuple]
) -> None:
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("NSRLFile.txt", _v2_new(hexes) + b'"XYZ","","","a",1,1,"1",""\n')
    with pytest.raises(HashSetError) as info:
        list(NsrlTextReader(archive))
    check_error(info.value, archive, "line 3")
    assert "!NSRLFile.txt" in str(info.value)
    empty = tmp_path / "empty.zip"
    with zipfile.ZipFile(empty, "w") as out:
        out.writestr("other.txt", "x")
    with pytest.raises(HashSetError) as info:
        NsrlTextReader(empty)
    check_error(info.value, empty, "byte 0")


def test_v2_malformed(write: Write, check_error: Callable[..., None]) -> None:
    path = write("bad.txt", NEW + '"NOTHEX","","","a",1,1,"1",""\n')
    with pytest.raises(HashSetError) as info:
        list(NsrlTextReader(path))
    check_error(info.value, path, "line 2")
    path = write("nohdr.txt", '"a","b"\n')
    with pytest.raises(HashSetError) as info:
        NsrlTextReader(path)
    check_error(info.value, path, "line 1")


def _v3(path: Path, hexes: Callable[..., tuple], *, view: bool, bad: bool = False) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE FILE (sha256 TEXT, sha1 TEXT, md5 TEXT, crc32 TEXT, file_name TEXT,"
            " file_size INTEGER, package_id INTEGER)"
        )
        for word in ("alpha", "beta", "alpha"):
            md5, sha1, sha256 = (h.upper() for h in hexes(word))
            db.execute(
                "INSERT INTO FILE VALUES (?,?,?,?,?,?,?)",
                (sha256, sha1, md5, "00000000", f"{word}.dll", 10, 7),
            )
        if bad:
            db.execute("INSERT INTO FILE VALUES ('ZZ', NULL, NULL, NULL, 'x', 1, 1)")
        db.execute("INSERT INTO FILE VALUES (NULL, NULL, '', NULL, 'nohash', 1, 1)")
        # A file name whose bytes are not UTF-8 (latin-1 "café") must not abort the import.
        sha1 = hexes("latin")[1]
        db.execute(
            f"INSERT INTO FILE VALUES (NULL, '{sha1}', NULL, NULL, CAST(X'636166E9' AS TEXT), 2, 3)"
        )
        db.execute("CREATE TABLE PKG (package_id INTEGER, name TEXT)")
        if view:
            db.execute(
                "CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE"
            )
    db.close()


def test_v3_distinct_hash_view(tmp_path: Path, hexes: Callable[..., tuple]) -> None:
    path = tmp_path / "RDS_modern.db"
    _v3(path, hexes, view=True)
    path.chmod(0o444)
    before = sorted(p.name for p in tmp_path.iterdir())
    reader = open_nsrl(path)
    assert isinstance(reader, NsrlSqliteReader)
    assert reader.info.version == "3" and reader.info.properties["source"] == "DISTINCT_HASH"
    records = list(reader)
    assert len(records) == 3 and reader.skipped == 1
    expected = {bytes.fromhex(hexes(w)[2]) for w in ("alpha", "beta")}
    assert {r.sha256 for r in records} == expected | {None}
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_v3_file_table_only(tmp_path: Path, hexes: Callable[..., tuple]) -> None:
    path = tmp_path / "minimal.db"
    _v3(path, hexes, view=False)
    reader = NsrlSqliteReader(path)
    assert reader.info.properties["source"] == "FILE"
    records = list(reader)
    assert [r.name for r in records] == ["alpha.dll", "beta.dll", "alpha.dll", "café"]
    assert records[0].size == 10 and records[0].extra == {"package_id": 7}
    assert records[0].md5 == bytes.fromhex(hexes("alpha")[0])


def test_v3_malformed(tmp_path: Path, check_error: Callable[..., None], hexes: Callable) -> None:
    path = tmp_path / "bad.db"
    _v3(path, hexes, view=False, bad=True)
    with pytest.raises(HashSetError) as info:
        list(NsrlSqliteReader(path))
    check_error(info.value, path, "record 4")  # the 'ZZ' row
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE t (x)")
    db.close()
    with pytest.raises(HashSetError) as info:
        NsrlSqliteReader(other)
    check_error(info.value, other, "byte 0")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"SQLite format 3\x00" + b"\xff" * 200)
    with pytest.raises(HashSetError) as info:
        NsrlSqliteReader(garbage)
    check_error(info.value, garbage, "byte 0")
