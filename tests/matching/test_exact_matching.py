"""Exact matching through the persisted digest index equals the digest join it replaced."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select

from cumberland.index.exact import ExactIndex
from cumberland.matching.case import match_exact
from cumberland.matching.exact import EXACT_METHODS, index_root
from cumberland.store.hashset_import import import_hashset
from cumberland.store.models import HashEntry, HashSet, Match, Media
from cumberland.store.workspace import Workspace

CONTENTS = [f"evidence file {i}\n".encode() * (i + 1) for i in range(7)]


def _digests(data: bytes) -> dict[str, bytes]:
    return {m: hashlib.new(m, data).digest() for m in EXACT_METHODS}


@pytest.fixture
def ws(case_of: Callable[[list[bytes]], Workspace]) -> Workspace:
    return case_of(CONTENTS)


def _add_set(ws: Workspace, name: str, entries: list[dict[str, bytes | None]]) -> int:
    with ws.engine.begin() as conn:
        set_id = int(conn.execute(insert(HashSet).values(
            name=name, purpose="alert", format="test", source_path=name, file_sha256=bytes(32),
            file_size=0, imported_at=time.time(), properties={},
        ).returning(HashSet.id)).scalar_one())
        conn.execute(insert(HashEntry), [{"hashset_id": set_id, "md5": None, "sha1": None,
                                          "sha256": None, **e} for e in entries])
    return set_id


def _oracle(ws: Workspace) -> set[tuple[bytes, int, str]]:
    """The digest join: each (media, entry) pair once, by its strongest equal digest."""
    with ws.engine.connect() as conn:
        media = conn.execute(select(Media.sha256, Media.md5, Media.sha1)).all()
        entries = conn.execute(select(HashEntry.id, HashEntry.md5, HashEntry.sha1,
                                      HashEntry.sha256)).all()
    out = set()
    for m in media:
        for e in entries:
            for method in EXACT_METHODS:
                if getattr(e, method) is not None and getattr(e, method) == getattr(m, method):
                    out.add((m.sha256, e.id, method))
                    break
    return out


def _matches(ws: Workspace) -> list[tuple[bytes, int, str]]:
    with ws.engine.connect() as conn:
        return sorted((r.media_sha256, r.entry_id, r.method) for r in conn.execute(
            select(Match.media_sha256, Match.entry_id, Match.method)))


def test_index_matches_equal_the_digest_join(ws: Workspace) -> None:
    d = [_digests(c) for c in CONTENTS]
    _add_set(ws, "mixed", [
        {"md5": d[0]["md5"]}, {"sha1": d[1]["sha1"]}, {"sha256": d[2]["sha256"]},
        {"md5": d[3]["md5"], "sha256": d[3]["sha256"]},  # strongest digest wins
        {"md5": d[4]["md5"]}, {"md5": d[4]["md5"]},  # listed twice: two entries match
        {"md5": d[5]["md5"], "sha256": bytes(32)},  # MD5 equal, SHA-256 not: the MD5 matches
        {"md5": bytes(16), "sha1": bytes(20), "sha256": bytes(32)},  # matches nothing
    ])
    _add_set(ws, "other", [{"sha1": d[3]["sha1"]}, {"sha256": d[6]["sha256"]}])
    match_exact(ws, 1)
    expected = _oracle(ws)
    assert len(expected) == 9
    assert _matches(ws) == sorted(expected)
    match_exact(ws, 1)  # again: nothing new, nothing twice
    assert _matches(ws) == sorted(expected)


def test_index_is_persisted_and_grows_incrementally(ws: Workspace) -> None:
    d = [_digests(c) for c in CONTENTS]
    _add_set(ws, "first", [{"md5": d[0]["md5"]}])
    match_exact(ws, 1)
    first = ExactIndex(index_root(ws) / "md5", "md5")
    segments = [s.folder.name for s in first.segments]
    assert len(first) == 1 and segments
    _add_set(ws, "second", [{"md5": d[1]["md5"]}, {"sha256": d[2]["sha256"]}])
    match_exact(ws, 1)
    again = ExactIndex(index_root(ws) / "md5", "md5")
    with ws.engine.connect() as conn:
        top = conn.scalar(select(func.max(HashEntry.id)))
    assert again.upto == top and len(again) == 2
    assert set(segments) <= {s.folder.name for s in again.segments}  # not rebuilt
    assert _matches(ws) == sorted(_oracle(ws))


def test_replaced_or_deleted_set_entries_never_match(ws: Workspace, tmp_path: Path) -> None:
    d = [_digests(c) for c in CONTENTS]
    listing = tmp_path / "list.md5"
    listing.write_text(f"{d[0]['md5'].hex()}  a\n{d[1]['md5'].hex()}  b\n")
    import_hashset(ws, listing, name="list")
    match_exact(ws, 1)
    assert len(_matches(ws)) == 2
    # replaced: the new file lists f2 instead of f0 and f1 (SQLite may reuse the entry ids)
    listing.write_text(f"{d[2]['md5'].hex()}  c\n{d[3]['md5'].hex()}  d\n")
    import_hashset(ws, listing, name="list")
    with ws.engine.begin() as conn:
        conn.execute(delete(Match))  # so stale index entries would show up as matches
    match_exact(ws, 1)
    assert _matches(ws) == sorted(_oracle(ws))
    assert {m for m, _, _ in _matches(ws)} == {hashlib.sha256(CONTENTS[i]).digest() for i in (2, 3)}
    with ws.engine.begin() as conn:
        conn.execute(delete(HashSet))
        conn.execute(delete(Match))
    match_exact(ws, 1)
    assert _matches(ws) == []
    assert len(ExactIndex(index_root(ws) / "md5", "md5")) == 0  # rebuilt without them


def test_entry_removed_behind_the_index_does_not_match(ws: Workspace) -> None:
    d = [_digests(c) for c in CONTENTS]
    _add_set(ws, "kept", [{"md5": d[0]["md5"]}, {"sha1": d[1]["sha1"]}])
    match_exact(ws, 1)
    with ws.engine.begin() as conn:
        conn.execute(delete(Match))
        conn.execute(delete(HashEntry).where(HashEntry.md5.is_not(None)))
    match_exact(ws, 1)  # the index still lists the MD5; the check against the rows drops it
    assert [method for _, _, method in _matches(ws)] == ["sha1"]
