"""Atheris fuzz harness for the hash-set readers: detect + read, only HashSetError allowed.

Run: ``.venv/bin/python tests/fuzz/fuzz_hashsets.py -atheris_runs=20000 [corpus_dir]``.
Without a corpus directory, one is seeded with a valid sample of every format (zip and SQLite
included) so mutations start from real structure. ``target`` is importable without atheris:
``test_fuzz_hashsets_smoke.py`` runs it on random mutations in CI.

Any exception other than HashSetError escaping a reader is a bug in the reader.
"""

from __future__ import annotations

import io
import json
import sqlite3
import tempfile
import zipfile
from pathlib import Path

from fuzzkit import run_atheris

from cumberland.hashsets import CLI_FORMATS, HashSetError, detect_format, open_reader

FORMATS = CLI_FORMATS  # the first byte of an input picks one (0: auto-detect)
MAX_RECORDS = 5000
_WORKDIR = Path(tempfile.mkdtemp(prefix="cumberland-fuzz-"))
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "5d41402abc4b2a76b9719d911017c592"
SHA1 = "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"
SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"


def target(data: bytes) -> None:
    """Write ``data`` to a file and read it: first byte picks the format (0 = auto-detect)."""
    fmt = FORMATS[data[0] % len(FORMATS)] if data else "auto"
    path = _WORKDIR / "input"
    path.write_bytes(data[1:])
    try:
        if fmt == "auto":
            detect_format(path)
        reader = open_reader(path, fmt)
        for count, record in enumerate(reader):
            assert record.has_hash() or record.photodna or record.extra.get("deleted")
            if count >= MAX_RECORDS:
                break
    except HashSetError as error:
        assert "\n" not in str(error), repr(str(error))


def _sqlite_seed() -> bytes:
    path = _WORKDIR / "seed.db"
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE FILE (sha256, sha1, md5, crc32, file_name, file_size, package_id)")
    db.execute("INSERT INTO FILE VALUES (?,?,?,?,?,?,?)", (SHA256, SHA1, MD5, "0", "a", 1, 2))
    db.execute("CREATE VIEW DISTINCT_HASH AS SELECT DISTINCT sha256, sha1, md5, crc32 FROM FILE")
    db.commit()
    db.close()
    return path.read_bytes()


def seeds() -> list[bytes]:
    """One valid, benign sample per format, each prefixed with its format-selector byte."""
    vics = {
        "@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/"
        "US/$metadata#Media",
        "value": [
            {"MediaID": 1, "Category": "1", "MD5": MD5, "SHA1": SHA1, "MediaSize": "5",
             "IsPrecategorized": "true", "DateUpdated": "2020-01-01T00:00:00.1234567Z",
             "AlternativeHashes": [{"HashName": "PDQ", "HashValue": PDQ}]},
        ],
    }  # fmt: skip
    cases = {
        "odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases",
        "value": [{"CaseNumber": "T1", "Media": [{"MD5": MD5, "AlternativeHashes": [
            {"HashName": "PhotoDNA", "HashValue": "AAAA"}]}]}],
    }  # fmt: skip
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        out.writestr(
            "NSRLFile.txt", f'"SHA-1","MD5","FileName","FileSize"\n"{SHA1}","{MD5}","a",1\n'
        )
    samples = [
        json.dumps(vics).encode(),
        json.dumps(cases).encode(),
        f'"SHA-1","MD5","CRC32","FileName","FileSize"\n"{SHA1}","{MD5}","0","a",3\n'.encode(),
        archive.getvalue(),
        _sqlite_seed(),
        f"%%%% HASHDEEP-1.0\n%%%% size,md5,sha256,filename\n## x\n1,{MD5},{SHA256},a,b\n".encode(),
        f"{MD5}  a\n\\{SHA1} *b\\\\c\nSHA256 (d) = {SHA256}\n".encode(),
        f'"file_id","hashset_id","file_name","hash","file_size"\n1,2,"a",{MD5},4\n'.encode(),
        f"{PDQ},100,a.jpg\n{PDQ},50\n".encode(),
        f"0,100,{PDQ},0.000\n1,90,{PDQ},1.0\n".encode(),
        (
            '<?xml version="1.0"?><queryResult><images><image><member id="1">m</member><id>1</id>'
            f"<classification>A1</classification><fingerprints><md5>{MD5}</md5></fingerprints>"
            "</image><deletedImage><id>2</id></deletedImage></images></queryResult>"
        ).encode(),
    ]
    return [bytes([0]) + sample for sample in samples]


def main() -> None:
    run_atheris(target, seeds(), "hashsets")


if __name__ == "__main__":
    main()
