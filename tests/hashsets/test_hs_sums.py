"""md5sum/sha1sum/sha256sum lists: GNU, binary-mode, escaped and BSD-tag lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.sums import SumsReader

Write = Callable[[str, str | bytes], Path]


def test_gnu_text_binary_and_mixed_algorithms(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, sha1, sha256 = hexes("cat photo")
    path = write(
        "list.txt",
        f"{md5}  cat.jpg\n{sha1.upper()} *dir/dog photo.png\n\n{sha256}  spaces  in name\r\n",
    )
    records = list(SumsReader(path))
    assert [r.name for r in records] == ["cat.jpg", "dir/dog photo.png", "spaces  in name"]
    assert records[0].md5 == bytes.fromhex(md5) and records[0].sha1 is None
    assert records[1].sha1 == bytes.fromhex(sha1)
    assert records[2].sha256 == bytes.fromhex(sha256)
    assert SumsReader(path).info.format == "sums"


def test_gnu_escaped_names(write: Write, hexes: Callable[..., tuple]) -> None:
    md5 = hexes("x")[0]
    path = write("esc.md5", f"\\{md5}  back\\\\slash\\nnew\\rline\n")
    (record,) = SumsReader(path)
    assert record.name == "back\\slash\nnew\rline"


def test_bsd_tag_style_and_openssl(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, sha1, sha256 = hexes("tag")
    path = write(
        "tags.txt",
        f"MD5 (a (1).jpg) = {md5}\nSHA1 (b.jpg) = {sha1}\nSHA256(c.jpg)= {sha256}\n"
        f"\\MD5 (d\\\\e.jpg) = {md5}\n",
    )
    records = list(SumsReader(path))
    assert [r.name for r in records] == ["a (1).jpg", "b.jpg", "c.jpg", "d\\e.jpg"]
    assert records[0].md5 == bytes.fromhex(md5)
    assert records[1].sha1 == bytes.fromhex(sha1)
    assert records[2].sha256 == bytes.fromhex(sha256)


def test_bare_digest_and_bom(write: Write, hexes: Callable[..., tuple]) -> None:
    md5 = hexes("bare")[0]
    path = write("bare.txt", b"\xef\xbb\xbf" + md5.encode() + b"\n")
    (record,) = SumsReader(path)
    assert record.md5 == bytes.fromhex(md5) and record.name is None


def test_latin1_name_is_decoded(write: Write, hexes: Callable[..., tuple]) -> None:
    md5 = hexes("l1")[0]
    path = write("l1.txt", md5.encode() + b"  caf\xe9.jpg\n")
    (record,) = SumsReader(path)
    assert record.name == "café.jpg"


@pytest.mark.parametrize(
    ("line", "why"),
    [
        ("this is not a checksum", "not a checksum line"),
        ("abcdef  short.jpg", "not MD5, SHA-1 or SHA-256"),
        ("SHA512 (x) = " + "a" * 128, "unsupported algorithm"),
        ("MD5 (x) = " + "a" * 40, "wrong length"),
    ],
)
def test_malformed_line_names_file_and_line(
    write: Write, check_error: Callable[..., None], hexes: Callable[..., tuple], line: str, why: str
) -> None:
    path = write("bad.txt", f"{hexes('ok')[0]}  ok.jpg\n\n{line}\n")
    with pytest.raises(HashSetError) as info:
        list(SumsReader(path))
    check_error(info.value, path, "line 3")
    assert why in str(info.value)


def test_overlong_line_is_refused(write: Write, check_error: Callable[..., None]) -> None:
    path = write("long.txt", "a" * (2 << 20))
    with pytest.raises(HashSetError) as info:
        list(SumsReader(path))
    check_error(info.value, path, "line 1")
