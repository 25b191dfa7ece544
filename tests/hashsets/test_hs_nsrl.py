"""NSRL RDS v2 text (both column orders, latin-1, zipped) and RDS v3 SQLite."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
import zipfile
from collections.abc import Callable
from contextlib import closing
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


def _rows(count: int) -> list[tuple[str, str, str]]:
    return [tuple(hashlib.new(k, f"benign {i}".encode()).hexdigest().upper()  # type: ignore[misc]
                  for k in ("sha256", "sha1", "md5")) for i in range(count)]


def _wal_mode(path: Path) -> Path:
    """Switch an RDS file to WAL as NSRLConvert-PY does (``set_pragma``: ``pragma
    journal_mode = WAL``); the mode is kept in the file header after it closes."""
    with closing(sqlite3.connect(path)) as db:
        assert db.execute("pragma journal_mode = WAL").fetchone() == ("wal",)
    assert path.read_bytes()[18:20] == b"\x02\x02" and not Path(f"{path}-wal").exists()
    return path


def test_v3_in_wal_mode_writes_nothing_beside_it(make_rds: Callable[..., Path]) -> None:
    """Opened ``mode=ro``, a WAL-mode database made SQLite create ``-shm``/``-wal`` beside
    the user's file (and fail on read-only media); opened immutable it writes nothing."""
    path = _wal_mode(make_rds(_rows(50)))
    folder = path.parent
    before = sorted(p.name for p in folder.iterdir())
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        reader = NsrlSqliteReader(path)
        assert len(list(reader)) == 50
        assert sum(block.count for block in reader.column_blocks(1)) == 50
        assert reader.info.properties["release"].startswith("2099.01.1")
    finally:
        folder.chmod(0o755)
    assert sorted(p.name for p in folder.iterdir()) == before


def test_v3_in_wal_mode_from_read_only_media(make_rds: Callable[..., Path],
                                             tmp_path: Path) -> None:
    """The examiner's view: no write permission on the folder, enforced (root's override
    dropped with setpriv, as on read-only media). Before: "attempt to write a readonly
    database" / "unable to open database file"."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to drop CAP_DAC_OVERRIDE")
    path = _wal_mode(make_rds(_rows(20), name="NSRL-wal.db"))
    path.chmod(0o444)
    path.parent.chmod(0o555)
    workspace = tmp_path.parent / f"{tmp_path.name}-ws"
    try:
        done = subprocess.run(
            ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
             "cumberland", "hashset", "import", str(path), "--purpose", "ignore",
             "--workspace", str(workspace)], capture_output=True, text=True, timeout=300)
    finally:
        path.parent.chmod(0o755)
        shutil.rmtree(workspace, ignore_errors=True)
    assert done.returncode == 0, done.stderr
    assert "20 entries" in done.stdout


def test_v3_with_pending_wal_changes_is_refused(tmp_path: Path,
                                                check_error: Callable[..., None]) -> None:
    """A copy taken while a writer had changes in the ``-wal`` file: reading the main file
    alone would silently miss them, and replaying them means writing. Refused, saying how."""
    live = tmp_path / "live"
    live.mkdir()
    db = sqlite3.connect(live / "rds.db")
    db.execute("pragma journal_mode = WAL")
    db.execute("pragma wal_autocheckpoint = 0")
    db.execute("CREATE TABLE FILE (sha256, sha1, md5, crc32, file_name, file_size, package_id)")
    db.execute("INSERT INTO FILE VALUES (?, ?, ?, '0', 'a', 1, 1)", _rows(1)[0])
    db.commit()
    copy = tmp_path / "copy"
    copy.mkdir()
    for member in live.iterdir():
        shutil.copy(member, copy / member.name)
    db.close()
    with pytest.raises(HashSetError, match="wal_checkpoint") as info:
        NsrlSqliteReader(copy / "rds.db")
    check_error(info.value, copy / "rds.db", "byte 0")


NIST = "RDS_2024.03.1_modern_minimal"


def _nist_zip(make_rds: Callable[..., Path], tmp_path: Path, count: int) -> Path:
    """NIST's download layout for RDS v3: a zip holding one folder with the database, its
    schema and a readme (e.g. RDS_2024.03.1_modern_minimal.zip)."""
    database = make_rds(_rows(count), name=f"{NIST}.db")
    archive = tmp_path / f"{NIST}.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as out:
        out.write(database, f"{NIST}/{NIST}.db")
        out.writestr(f"{NIST}/{NIST}.schema.sql", "CREATE TABLE FILE (sha256 VARCHAR);\n")
        out.writestr(f"{NIST}/README.txt", "stand-in readme\n")
    database.unlink()
    return archive


def test_v3_in_nist_zip_is_read_from_a_copy_inside_the_workspace(
        make_rds: Callable[..., Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """It was refused ("zip archive without NSRLFile.txt"). SQLite needs a file: the .db is
    streamed into the workspace's own tmp/ folder, never the system temporary directory
    (evidence-derived data), and removed once read."""
    import tempfile

    from cumberland.hashsets import detect_format
    from cumberland.store.hashset_import import import_hashset, list_hashsets
    from cumberland.store.workspace import Workspace

    archive = _nist_zip(make_rds, tmp_path, 300)
    assert detect_format(archive) == "nsrl"
    system_tmp = tmp_path / "system-tmp"
    system_tmp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_tmp))
    read_from: list[Path] = []
    bulk = NsrlSqliteReader.column_blocks

    def spy(self: NsrlSqliteReader, workers: int = 1) -> object:
        read_from.append(self.path)
        return bulk(self, workers)

    monkeypatch.setattr(NsrlSqliteReader, "column_blocks", spy)
    ws = Workspace(tmp_path / "ws")
    try:
        out = import_hashset(ws, archive, purpose="ignore", workers=1)
        (stored,) = list_hashsets(ws)
    finally:
        ws.close()
    assert (out.entries, out.storage) == (300, "index")
    assert read_from and all((tmp_path / "ws" / "tmp") in p.parents for p in read_from)
    assert not read_from[0].exists() and list((tmp_path / "ws" / "tmp").iterdir()) == []
    assert list(system_tmp.iterdir()) == []
    assert stored.properties["member"] == f"{NIST}/{NIST}.db"
    assert stored.properties["release"].startswith("2099.01.1")
    assert stored.source_path == str(archive)


def test_v3_in_a_zip_without_a_workspace_says_what_to_do(
        make_rds: Callable[..., Path], tmp_path: Path, check_error: Callable[..., None]) -> None:
    archive = _nist_zip(make_rds, tmp_path, 3)
    with pytest.raises(HashSetError, match=f"{NIST}/{NIST}.db inside a zip") as info:
        open_nsrl(archive)
    check_error(info.value, archive, "byte 0")
