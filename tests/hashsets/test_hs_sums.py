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


def test_md5deep_output_modes(write: Write, hexes: Callable[..., tuple]) -> None:
    """md5deep/sha256deep lines as ``src/display.cpp`` (hashdeep repository) builds them:
    ``fmt_size`` writes the size right-aligned in ten columns then two spaces (``, `` with
    ``-c``); then the digest; ``-t`` the time ``%Y:%m:%d:%H:%M:%S``; then two spaces, `` *``
    (``-k``) or ``,`` (``-c``) and the name. ``-z`` lines were "not a checksum line"."""
    from cumberland.hashsets import detect_format

    md5, _, sha256 = hexes("deep")
    lines = {
        "-z": f"{1234:>10}  {md5}  photos/a b.jpg",
        "-z big": f"{12345678901:>10}  {md5}  big.bin",
        "-zc": f"{1234:>10}, {md5},photos/a,b.jpg",
        "-c": f"{md5},photos/c.jpg",
        "-zk": f"{7:>10}  {md5} *k.jpg",
        "-t": f"{md5} 2019:03:04:05:06:07  t.jpg",
        "-zt": f"{5:>10}  {sha256} 2019:03:04:05:06:07  zt.jpg",
        "-q": f"{md5}  ",
    }
    path = write("deep.txt", "\n".join(lines.values()) + "\n")
    assert detect_format(path) == "sums"
    records = list(SumsReader(path))
    assert [(r.name, r.size) for r in records] == [
        ("photos/a b.jpg", 1234), ("big.bin", 12345678901), ("photos/a,b.jpg", 1234),
        ("photos/c.jpg", None), ("k.jpg", 7), ("t.jpg", None), ("zt.jpg", 5), (None, None)]
    assert all(r.md5 == bytes.fromhex(md5) for r in records if r.name != "zt.jpg")
    assert records[6].sha256 == bytes.fromhex(sha256)


def test_md5deep_piecewise_is_refused(write: Write, check_error: Callable[..., None],
                                      hexes: Callable[..., tuple]) -> None:
    """``md5deep -p`` hashes pieces of files (``name offset 0-1048575``): never a file list."""
    md5 = hexes("piece")[0]
    path = write("p.txt", f"{md5}  a.bin offset 0-1048575\n")
    with pytest.raises(HashSetError, match="piecewise") as info:
        list(SumsReader(path))
    check_error(info.value, path, "line 1")


@pytest.mark.parametrize(("header", "kind"), [("SHA-1", "sha1"), ("MD5", "md5"),
                                              ("SHA-256", "sha256"), ('"SHA1"', "sha1")])
def test_one_column_list_with_an_algorithm_header(write: Write, hexes: Callable[..., tuple],
                                                  header: str, kind: str) -> None:
    """The X-Ways-style NSRL extract (rds4xways, READMEv3.md: ``sqlite3 RDS.db "SELECT
    'SHA-1'; SELECT DISTINCT sha1 FROM ..."``): a first line naming the hash type, then one
    upper-case digest per line. It was "unrecognised" unless given --format nsrl."""
    from cumberland.hashsets import detect_format

    index = {"md5": 0, "sha1": 1, "sha256": 2}[kind]
    values = [hexes(w)[index].upper() for w in ("a", "b", "c")]
    path = write("xways.txt", header + "\n" + "\n".join(values) + "\n")
    assert detect_format(path) == "sums"
    reader = SumsReader(path)
    assert [getattr(r, kind) for r in reader] == [bytes.fromhex(v) for v in values]
    other = "ab" * (20 if kind == "md5" else 16)  # a digest of another algorithm
    wrong = write("wrong.txt", f"{header}\n{values[0]}\n{other}\n")
    with pytest.raises(HashSetError, match="digests"):
        list(SumsReader(wrong))


def test_sha256_format_takes_only_sha256(write: Write, check_error: Callable[..., None],
                                         hexes: Callable[..., tuple]) -> None:
    md5, _, sha256 = hexes("s")
    good = write("s.txt", f"{sha256}\n{sha256}  named.jpg\n")
    assert len(list(SumsReader(good, only="sha256"))) == 2
    bad = write("b.txt", f"{sha256}\n{md5}\n")
    with pytest.raises(HashSetError) as info:
        list(SumsReader(bad, only="sha256"))
    check_error(info.value, bad, "line 2")


@pytest.mark.parametrize(("codec", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_text_lists(write: Write, hexes: Callable[..., tuple], codec: str,
                          bom: bytes) -> None:
    """Windows tools write "Unicode" (UTF-16 with a BOM) text lists too: every text format
    reads them through the same transcoding stream."""
    from cumberland.hashsets import detect_format

    md5 = hexes("wide")[0]
    path = write("w.txt", bom + f"{md5} *café.jpg\r\n{md5}  b.jpg\r\n".encode(codec))
    assert detect_format(path) == "sums"
    assert [r.name for r in SumsReader(path)] == ["café.jpg", "b.jpg"]
