"""python-threatexchange ``tx`` listings, in the forms its own code prints them.

Sources: ``threatexchange/cli/dataset_cmd.py`` (``_print_stdout``, ``_print_csv``: type,
signal, repr'd collaboration, aggregate category and tags), its test
``cli/tests/dataset_cmd_test.py`` (the exact ``-P``, ``-P -s url``, ``-P -S`` and ``--csv``
lines, header ``signal_type,signal_str,collab,category,tags``), and
``cli/tests/hash_cmd_test.py`` (``tx hash --photo-preprocess=rotations photo LA.png``: the
PDQ hashes below are that test's golden output).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets import HashSetError, detect_format, open_reader
from cumberland.hashsets.threatexchange import TxReader

Write = Callable[[str, str | bytes], Path]
LA = {  # tx hash --photo-preprocess=rotations photo LA.png (hash_cmd_test.py)
    "ORIGINAL": "accb6d39648035f8125c8ce6ba65007de7b54c67a2d93ef7b8f33b0611306715",
    "ROTATE90": "1f70cbbc77edc5f9524faa1b18f3b76cd0a04a833e20f645d229d0acc8499c56",
    "ROTATE180": "31ddf2513558de0ae56e4a8c8930cadde2ee084df3aed0a75fa512ea0e41e197",
    "FLIPX": "aaca8605440c4a6735dbbf59b947df92e7bf161807e9cd88baf04579523098ab",
}
URL = "https://developers.facebook.com/docs/threat-exchange/reference/apis/"
VIDEO_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def _pdq(records: object) -> list[bytes | None]:
    return [r.pdq for r in records]  # type: ignore[attr-defined]


def test_dataset_print_all_types(write: Write) -> None:
    """``tx dataset -P``: every type, every collaboration, so both are printed."""
    path = write("all.txt", (
        f"pdq {LA['ORIGINAL']} 'Sample Signals' INVESTIGATION_SEED\n"
        f"url {URL} 'Sample Signals' INVESTIGATION_SEED\n"
        f"raw_text this is 'quoted' text 'Sample Signals' POSITIVE_CLASS\n"
        f"video_md5 {VIDEO_MD5} \"Bob's collab\" POSITIVE_CLASS csam,tag2\n"
        f"pdq {LA['FLIPX']} 'Sample Signals' NEGATIVE_CLASS\n"))
    assert detect_format(path) == "tx"
    reader = open_reader(path)
    first, video, negative = reader
    assert first.pdq == bytes.fromhex(LA["ORIGINAL"]) and first.category == 1
    assert first.extra["collab"] == "Sample Signals"
    assert video.md5 == bytes.fromhex(VIDEO_MD5) and video.category == 2
    assert video.extra == {"collab": "Bob's collab", "tags": "csam,tag2"}
    assert negative.category == 0
    assert reader.skipped == 2 and "raw_text 1, url 1" in reader.info.notes["signal types"]
    assert reader.info.category_scheme == "threatexchange"


def test_one_type_one_collab_is_pdq_not_sha256_sums(write: Write) -> None:
    """``tx dataset -P -s pdq -c 'Sample Signals'``: ``<hex> INVESTIGATION_SEED``. It was
    taken for ``sha256sum -r`` output (a SHA-256 named INVESTIGATION_SEED): 0 matches."""
    path = write("pdq.txt", "".join(f"{h} INVESTIGATION_SEED\n" for h in LA.values()))
    assert detect_format(path) == "tx"
    records = list(open_reader(path))
    assert _pdq(records) == [bytes.fromhex(h) for h in LA.values()]
    assert all(r.sha256 is None for r in records)


def test_one_type_many_collabs_and_old_collab_first(write: Write) -> None:
    """``-P -s pdq`` (collaboration before the category) and the pre-2023 order
    (``'collab' pdq <hex> CATEGORY``)."""
    path = write("p.txt", f"{LA['ORIGINAL']} 'Sample Signals' POSITIVE_CLASS a,b\n"
                          f"'Old Collab' pdq {LA['FLIPX']} INVESTIGATION_SEED\n")
    assert detect_format(path) == "tx"
    new, old = open_reader(path)
    assert new.extra == {"collab": "Sample Signals", "tags": "a,b"} and new.category == 2
    assert old.pdq == bytes.fromhex(LA["FLIPX"]) and old.extra == {"collab": "Old Collab"}


def test_signals_only(write: Write) -> None:
    """``tx dataset -P -S``: ``<type> <signal>``, no metadata."""
    path = write("s.txt", f"pdq {LA['ORIGINAL']}\nurl {URL}\nvideo_sha256 {'ab' * 32}\n")
    assert detect_format(path) == "tx"
    pdq, video = open_reader(path)
    assert pdq.pdq == bytes.fromhex(LA["ORIGINAL"]) and video.sha256 == bytes.fromhex("ab" * 32)


def test_bare_64_hex_is_never_guessed(write: Write) -> None:
    """``tx dataset -P -S -s pdq`` prints bare hashes: indistinguishable from SHA-256 digests.
    Auto-detection refuses and names both formats; either then reads it as said."""
    path = write("bare.txt", "".join(f"{h}\n" for h in LA.values()))
    with pytest.raises(HashSetError) as info:
        detect_format(path)
    assert "--format pdq" in str(info.value) and "--format sha256" in str(info.value)
    assert "\n" not in str(info.value)
    assert _pdq(open_reader(path, "pdq")) == [bytes.fromhex(h) for h in LA.values()]
    assert [r.sha256 for r in open_reader(path, "sha256")] == [bytes.fromhex(h)
                                                                for h in LA.values()]
    assert _pdq(open_reader(path, "tx")) == [bytes.fromhex(h) for h in LA.values()]


def test_csv_both_column_orders(write: Write) -> None:
    """``tx dataset -P --csv``: DictWriter, CRLF, a header; a raw_text value may span lines."""
    new = write("new.csv", (
        "signal_type,signal_str,collab,category,tags\r\n"
        f"pdq,{LA['ORIGINAL']},Sample Signals,INVESTIGATION_SEED,\r\n"
        f"url,{URL},Sample Signals,INVESTIGATION_SEED,\r\n"
        'raw_text,"two\r\nlines, and a comma",Sample Signals,POSITIVE_CLASS,x y\r\n'
        f"video_md5,{VIDEO_MD5},\"Collab, Inc\",POSITIVE_CLASS,tag1 tag2\r\n"))
    old = write("old.csv", "collab,signal_type,signal_str,category,tags\r\n"
                           f"Sample Data,pdq,{LA['FLIPX']},DISPUTED,\r\n")
    for path in (new, old):
        assert detect_format(path) == "tx"
    reader = open_reader(new)
    pdq, video = reader
    assert pdq.pdq == bytes.fromhex(LA["ORIGINAL"]) and pdq.category == 1
    assert video.md5 == bytes.fromhex(VIDEO_MD5)
    assert video.extra == {"collab": "Collab, Inc", "tags": "tag1 tag2"}
    assert reader.skipped == 2
    (disputed,) = open_reader(old)
    assert disputed.pdq == bytes.fromhex(LA["FLIPX"]) and disputed.category == 3


def test_hash_photo_with_rotations(write: Write) -> None:
    """``tx hash photo`` prints ``pdq <hex>``; with rotations each line names its rotation:
    the original is kept, the rotated hashes counted (queries get their variants computed)."""
    path = write("h.txt", "".join(f"{name} pdq {value}\n" for name, value in LA.items()))
    assert detect_format(path) == "tx"
    reader = open_reader(path)
    assert _pdq(reader) == [bytes.fromhex(LA["ORIGINAL"])]
    assert "3 rotated-image lines" in reader.info.notes["rotations"]
    plain = write("plain.txt", f"pdq {LA['ORIGINAL']}\n pdq {LA['FLIPX']}\n")
    assert len(list(open_reader(plain))) == 2


@pytest.mark.parametrize(("line", "where"), [
    (f"pdq {LA['ORIGINAL'][:-2]} 'c' INVESTIGATION_SEED", "line 2"),
    (f"pdq {LA['ORIGINAL']} 'c' SOMETHING ELSE", "line 2"),
    (f"pdq {LA['ORIGINAL']} 'c'", "line 2"),
    (f"md5 {VIDEO_MD5} 'c' INVESTIGATION_SEED", "line 2"),
])
def test_malformed_lines(write: Write, check_error: Callable[..., None], line: str,
                         where: str) -> None:
    path = write("bad.txt", f"pdq {LA['FLIPX']} 'c' INVESTIGATION_SEED\n{line}\n")
    with pytest.raises(HashSetError) as info:
        list(TxReader(path))
    check_error(info.value, path, where)
