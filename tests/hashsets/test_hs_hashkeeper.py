"""HashKeeper .hsh lists."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.hashkeeper import HashKeeperReader

Write = Callable[[str, str | bytes], Path]
HEADER = (
    '"file_id","hashset_id","file_name","directory","hash","file_size","date_modified",'
    '"time_modified","time_zone","comments","date_accessed","time_accessed"\r\n'
)


def test_reads_rows(write: Write, hexes: Callable[..., tuple]) -> None:
    md5 = hexes("kettle")[0].upper()
    path = write(
        "set.hsh",
        HEADER
        + f'1,77,"kettle, steel.jpg","C:\\kitchen",{md5},2048,01/02/2003,10:11:12,EST,"",,\r\n'
        + '2,77,"empty.jpg","C:\\",,0,,,,,,\r\n',
    )
    reader = HashKeeperReader(path)
    assert reader.info.format == "hashkeeper"
    (record,) = reader
    assert record.md5 == bytes.fromhex(md5)
    assert record.name == "kettle, steel.jpg" and record.size == 2048
    assert record.extra == {"file_id": "1", "hashset_id": "77", "directory": "C:\\kitchen"}
    assert reader.skipped == 1


def test_header_without_hash_column(write: Write, check_error: Callable[..., None]) -> None:
    path = write("bad.hsh", '"file_id","name"\n1,a\n')
    with pytest.raises(HashSetError) as info:
        HashKeeperReader(path)
    check_error(info.value, path, "line 1")


def test_bad_rows(write: Write, check_error: Callable[..., None]) -> None:
    path = write("bad.hsh", HEADER + '1,77,"a.jpg","d",NOTHEX,1,,,,,,\n')
    with pytest.raises(HashSetError) as info:
        list(HashKeeperReader(path))
    check_error(info.value, path, "line 2")
    path = write("quote.hsh", HEADER + '1,77,"unterminated,d,x,1,,,,,,\n')
    with pytest.raises(HashSetError) as info:
        list(HashKeeperReader(path))
    check_error(info.value, path, "line 2")
    path = write("short.hsh", HEADER + "1,2\n")
    with pytest.raises(HashSetError) as info:
        list(HashKeeperReader(path))
    check_error(info.value, path, "line 2")
