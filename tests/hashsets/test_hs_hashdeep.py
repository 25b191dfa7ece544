"""hashdeep audit files: column header, comments, commas in names, ignored algorithms."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.hashdeep import HashdeepReader

Write = Callable[[str, str | bytes], Path]


def test_reads_columns_comments_and_commas(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, _, sha256 = hexes("cat")
    path = write(
        "audit.txt",
        "%%%% HASHDEEP-1.0\n"
        "%%%% size,md5,sha256,filename\n"
        "## Invoked from: /evidence\n"
        "## $ hashdeep -c md5,sha256 -r .\n"
        "##\n"
        f"1234,{md5},{sha256},./photos/a, b,c.jpg\n"
        f"0,{md5.upper()},{sha256},/tmp/empty\n",
    )
    reader = HashdeepReader(path)
    assert reader.info.version == "1.0"
    assert reader.info.properties["columns"] == ["size", "md5", "sha256", "filename"]
    first, second = reader
    assert first.name == "./photos/a, b,c.jpg" and first.size == 1234
    assert first.md5 == bytes.fromhex(md5) and first.sha256 == bytes.fromhex(sha256)
    assert second.size == 0 and second.md5 == bytes.fromhex(md5)


def test_sha1_kept_tiger_and_whirlpool_ignored(write: Write, hexes: Callable[..., tuple]) -> None:
    _, sha1, _ = hexes("dog")
    tiger, whirlpool = "1" * 48, "2" * 128
    path = write(
        "all.txt",
        "%%%% HASHDEEP-1.0\n%%%% size,sha1,tiger,whirlpool,filename\n"
        f"5,{sha1},{tiger},{whirlpool},dog.png\n",
    )
    (record,) = HashdeepReader(path)
    assert record.sha1 == bytes.fromhex(sha1) and record.md5 is None and record.name == "dog.png"


def test_missing_header(write: Write, check_error: Callable[..., None]) -> None:
    path = write("nohdr.txt", "1,2,3\n")
    with pytest.raises(HashSetError) as info:
        HashdeepReader(path)
    check_error(info.value, path, "line 1")


def test_bad_row(
    write: Write, check_error: Callable[..., None], hexes: Callable[..., tuple]
) -> None:
    md5 = hexes("x")[0]
    path = write(
        "bad.txt",
        f"%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n## c\n1,{md5},a\nzz,{md5},b\n",
    )
    with pytest.raises(HashSetError) as info:
        list(HashdeepReader(path))
    check_error(info.value, path, "line 5")
    assert "size" in str(info.value)


def test_bad_hex_and_short_row(write: Write, check_error: Callable[..., None]) -> None:
    path = write("bad2.txt", "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n1,nothex,a\n")
    with pytest.raises(HashSetError) as info:
        list(HashdeepReader(path))
    check_error(info.value, path, "line 3")
    path = write("bad3.txt", "%%%% HASHDEEP-1.0\n%%%% size,md5,filename\n1\n")
    with pytest.raises(HashSetError) as info:
        list(HashdeepReader(path))
    check_error(info.value, path, "line 3")
