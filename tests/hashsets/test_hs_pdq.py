"""PDQ hash lists and vPDQ per-frame files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.pdq_csv import PdqReader, VpdqReader

Write = Callable[[str, str | bytes], Path]
PDQ_A = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
PDQ_B = PDQ_A[::-1].upper()


def test_pdq_list(write: Write) -> None:
    path = write(
        "known-pdq.txt",
        f"{PDQ_A},100,/photos/a, with comma.jpg\n\n{PDQ_B},49\n{PDQ_A}\n",
    )
    reader = PdqReader(path)
    assert reader.info.format == "pdq"
    first, second, third = reader
    assert first.pdq == bytes.fromhex(PDQ_A) and first.pdq_quality == 100
    assert first.name == "/photos/a, with comma.jpg"
    assert second.pdq == bytes.fromhex(PDQ_B) and second.pdq_quality == 49 and second.name is None
    assert third.pdq_quality is None


def test_pdq_header_line_is_skipped(write: Write) -> None:
    path = write("h.csv", f"hash,quality,filename\n{PDQ_A},90,x.jpg\n")
    assert [r.name for r in PdqReader(path)] == ["x.jpg"]


@pytest.mark.parametrize("line", [f"{PDQ_A[:-2]},100", f"{PDQ_A},101", f"{PDQ_A},high", "nothex,1"])
def test_pdq_malformed(write: Write, check_error: Callable[..., None], line: str) -> None:
    path = write("bad.txt", f"{PDQ_A},100\n{line}\n")
    with pytest.raises(HashSetError) as info:
        list(PdqReader(path))
    check_error(info.value, path, "line 2")


def test_vpdq_one_video(write: Write) -> None:
    path = write(
        "clip.vpdq",
        f"0,100,{PDQ_A},0.000\n1,87,{PDQ_B},1.001\n2,40,{PDQ_A}\n",
    )
    reader = VpdqReader(path)
    assert reader.info.format == "vpdq"
    assert reader.info.properties == {"video": "clip.vpdq", "one_video": True}
    frames = list(reader)
    assert [f.extra.get("frame") for f in frames] == [0, 1, 2]
    assert frames[1].extra["timestamp"] == pytest.approx(1.001)
    assert "timestamp" not in frames[2].extra
    assert [f.pdq_quality for f in frames] == [100, 87, 40]
    assert frames[1].pdq == bytes.fromhex(PDQ_B)


@pytest.mark.parametrize(
    "line", [f"x,100,{PDQ_A}", f"1,100,{PDQ_A},later", "1,100", f"1,100,{PDQ_A},1,2", "1,1,zz"]
)
def test_vpdq_malformed(write: Write, check_error: Callable[..., None], line: str) -> None:
    path = write("bad.vpdq", f"0,100,{PDQ_A},0.0\n\n{line}\n")
    with pytest.raises(HashSetError) as info:
        list(VpdqReader(path))
    check_error(info.value, path, "line 3")


ROT = [PDQ_A[i:] + PDQ_A[:i] for i in range(0, 64, 8)]  # eight distinct stand-in hashes


def test_pdq_photo_hasher_details(write: Write) -> None:
    """``pdq-photo-hasher -d`` as ``pdq/cpp/bin/pdq-photo-hasher.cpp`` prints it:
    ``hash=%s,norm=%d,delta=%d,quality=%d,filename=%s``. It was "unrecognised"."""
    from cumberland.hashsets import detect_format

    path = write("d.txt", f"hash={PDQ_A},norm=128,delta=0,quality=100,filename=a, b.jpg\n"
                          f"hash={PDQ_B},norm=120,delta=97,quality=49,filename=c.png\n")
    assert detect_format(path) == "pdq"
    first, second = PdqReader(path)
    assert (first.pdq, first.pdq_quality, first.name) == (bytes.fromhex(PDQ_A), 100, "a, b.jpg")
    assert (second.pdq, second.pdq_quality, second.name) == (bytes.fromhex(PDQ_B), 49, "c.png")


def test_pdq_photo_hasher_dihedral_forms(write: Write) -> None:
    """``--pdqdih -d`` prints ``hash=…,quality=…,filename=…`` then one ``hash=…,xform=…``
    line per transform; ``--pdqdih-across`` the eight hashes, quality, name on one line.
    The original orientation is stored once; the variants are counted."""
    from cumberland.hashsets import detect_format

    names = ["orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipp", "flipm"]
    details = write("dd.txt", f"hash={ROT[0]},quality=90,filename=x.jpg\n" + "".join(
        f"hash={h},xform={n},filename=x.jpg\n" for h, n in zip(ROT, names, strict=True)))
    across = write("da.txt", ",".join(ROT) + ",90,x.jpg\n")
    for path in (details, across):
        assert detect_format(path) == "pdq"
        reader = PdqReader(path)
        (record,) = reader
        assert (record.pdq, record.pdq_quality, record.name) == (bytes.fromhex(ROT[0]), 90,
                                                                 "x.jpg")
        if path == details:
            assert "8 dihedral variant lines" in reader.info.notes["variants"]


def test_pdq_details_malformed(write: Write, check_error: Callable[..., None]) -> None:
    path = write("bad.txt", f"hash={PDQ_A},quality=100,filename=a\nhash={PDQ_A},quality\n")
    with pytest.raises(HashSetError) as info:
        list(PdqReader(path))
    check_error(info.value, path, "line 2")


def test_a_header_that_says_pdq_is_detected(write: Write) -> None:
    """Shape around a 64-hex value tells PDQ: a ``pdq`` column, or ``hash`` with ``quality``.
    A ``hash`` column alone over bare 64-hex values stays ambiguous."""
    from cumberland.hashsets import HashSetError, detect_format

    assert detect_format(write("a.csv", f"pdq,filename\n{PDQ_A},a.jpg\n")) == "pdq"
    assert detect_format(write("b.csv", f"hash,quality,filename\n{PDQ_A},90,a.jpg\n")) == "pdq"
    assert detect_format(write("c.csv", f"frame_number,quality,hash,timestamp\n0,100,{PDQ_A},0.0\n"
                               )) == "vpdq"
    with pytest.raises(HashSetError):
        detect_format(write("d.txt", f"hash\n{PDQ_A}\n"))


def test_header_names_the_columns(write: Write) -> None:
    first, second = PdqReader(write("h.csv", f"pdq,filename\n{PDQ_A},a, b.jpg\n{PDQ_B},c.jpg\n"))
    assert (first.name, first.pdq_quality, second.name) == ("a, b.jpg", None, "c.jpg")
    (third,) = PdqReader(write("q.csv", f"hash,filename,quality\n{PDQ_A},d.jpg,77\n"))
    assert (third.name, third.pdq_quality) == ("d.jpg", 77)
    (fourth,) = PdqReader(write("r.csv", f"hash,quality\n{PDQ_A},50,e, f.jpg\n"))
    assert (fourth.name, fourth.pdq_quality) == ("e, f.jpg", 50)
