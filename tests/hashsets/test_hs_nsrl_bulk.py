"""The RDS v3 bulk path (index-only imports) reads exactly what the record path reads, or
gives up with Irregular so the record path can name the fault."""

from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from cumberland.hashsets.columns import (
    BulkDigests,
    Irregular,
    blocks_from_records,
    decode_hex_column,
)
from cumberland.hashsets.nsrl import NsrlSqliteReader, key_ranges


def _row(i: int, upper: bool = True) -> tuple[str, str, str]:
    data = f"benign file {i}".encode()
    digests = tuple(hashlib.new(k, data).hexdigest() for k in ("sha256", "sha1", "md5"))
    return tuple(d.upper() if upper else d for d in digests)  # type: ignore[return-value]


def _triples(blocks: object) -> list[tuple[bytes, bytes, bytes]]:
    """Each record's (SHA-256, SHA-1, MD5), put together by record number (a block's kinds
    may list their rows in different orders)."""
    by_record: dict[int, dict[str, bytes]] = {}
    for block in blocks:  # type: ignore[attr-defined]
        assert all(len(block.records[k]) == block.count for k in block.records)
        for kind, digests in block.digests.items():
            for number, digest in zip(block.records[kind].tolist(), digests, strict=True):
                by_record.setdefault(number, {})[kind] = bytes(digest)
    return [(d["sha256"], d["sha1"], d["md5"]) for _, d in sorted(by_record.items())]


@pytest.mark.parametrize("workers", [1, 2])
def test_bulk_equals_record_walk(make_rds: Callable[..., Path], workers: int) -> None:
    rows = [_row(i, upper=i % 5 != 0) for i in range(3000)]  # some lower-case, as NIST's own
    reader = NsrlSqliteReader(make_rds(rows))
    assert isinstance(reader, BulkDigests)
    bulk = _triples(reader.column_blocks(workers))
    walked = _triples(blocks_from_records(reader))
    assert len(bulk) == 3000  # DISTINCT_HASH: each triple once though FILE holds it twice
    assert sorted(bulk) == sorted(walked)
    expected = sorted((bytes.fromhex(a), bytes.fromhex(b), bytes.fromhex(c)) for a, b, c in rows)
    assert sorted(bulk) == expected
    numbers = np.concatenate([b.records["sha256"] for b in reader.column_blocks(workers)])
    assert numbers.tolist() == list(range(1, 3001))  # record numbers run on across blocks


def test_key_ranges_cover_every_value_once() -> None:
    ranges = key_ranges(10_000_000)
    lows = [lo for lo, _ in ranges]
    assert lows[0] is None and ranges[-1][1] is None
    assert all(hi == nxt for (_, hi), nxt in zip(ranges, lows[1:], strict=False))
    bounds = [lo for lo in lows[1:] if lo is not None]
    assert bounds == sorted(bounds)
    rng = random.Random(7)
    alphabet = "0123456789ABCDEFabcdef xyZ,\x00é"
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        index = bisect_right(bounds, value)  # the one range [bounds[i-1], bounds[i]) holding it
        lo, hi = ranges[index]
        assert (lo is None or lo <= value) and (hi is None or value < hi)
    assert len(key_ranges(1000)) == 22 ** 2 and len(key_ranges(100_000_000)) == 22 ** 3


@pytest.mark.parametrize("text", [
    b"0a1B,", b"0a1B,ffff,",
])
def test_decode_hex_column_accepts_either_case(text: bytes) -> None:
    column = decode_hex_column(text, 2)
    assert column[0].tobytes() == b"\x0a\x1b"


@pytest.mark.parametrize("text", [
    b"0a1,",  # short
    b"0a1B2,",  # long
    b"0a1,B2c3,",  # lengths that add up but are wrong one by one
    b"0a 1,",  # whitespace, which bytes.fromhex would skip
    b"0a1g,",  # not hex
    b"0a1B",  # no terminator
])
def test_decode_hex_column_rejects_malformed(text: bytes) -> None:
    with pytest.raises(Irregular):
        decode_hex_column(text, 2)


@pytest.mark.parametrize("bad", [
    (None, "A" * 40, "B" * 32),  # no SHA-256
    ("C" * 64, None, "B" * 32),  # no SHA-1
    ("C" * 64, "A" * 40, "B" * 31),  # short MD5
    ("C" * 63, "A" * 41, "B" * 32),  # lengths off in opposite directions
    ("C" * 63 + "G", "A" * 40, "B" * 32),  # not hex
])
def test_irregular_rows_stop_the_bulk_path(make_rds: Callable[..., Path],
                                           bad: tuple[str | None, ...]) -> None:
    rows = [*(_row(i) for i in range(50)), bad]
    reader = NsrlSqliteReader(make_rds(rows, strict=False, copies=1))
    with pytest.raises(Irregular):
        list(reader.column_blocks(1))


def test_skewed_file_gives_up_instead_of_building_a_huge_string(
        make_rds: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    import cumberland.hashsets.nsrl as nsrl

    monkeypatch.setattr(nsrl, "RANGE_BYTES", 4096)  # stands in for 64 MiB
    rows = [("00" + _row(i)[0][2:], *_row(i)[1:]) for i in range(200)]  # one range holds all
    with pytest.raises(Irregular):
        list(NsrlSqliteReader(make_rds(rows)).column_blocks(1))
