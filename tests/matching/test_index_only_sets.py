"""Index-only hash sets: large known-good sets go into a per-set digest index, not rows."""

from __future__ import annotations

import fcntl
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select

from cumberland.hashsets.base import HashSetError
from cumberland.index.sets import SetIndexBuilder
from cumberland.matching.case import match_exact
from cumberland.reports.summary import case_summary
from cumberland.store.hashset_import import import_hashset, set_index_root
from cumberland.store.models import HashEntry, HashSet, Match
from cumberland.store.workspace import Workspace

CONTENTS = [f"benign evidence file {i}\n".encode() * (i + 1) for i in range(6)]


def _hexes(data: bytes) -> tuple[str, str, str]:
    return tuple(hashlib.new(k, data).hexdigest().upper()  # type: ignore[return-value]
                 for k in ("sha256", "sha1", "md5"))


def _filler(n: int) -> list[tuple[str, str, str]]:
    return [_hexes(f"software file {i}".encode()) for i in range(n)]


@pytest.fixture
def ws(case_of: Callable[[list[bytes]], Workspace]) -> Workspace:
    return case_of(CONTENTS)


def _matches(ws: Workspace) -> list[tuple[bytes, int, int | None, str]]:
    with ws.engine.connect() as conn:
        return sorted((bytes(r.media_sha256), r.hashset_id, r.entry_id, r.method)
                      for r in conn.execute(select(Match)))


def _folders(ws: Workspace) -> set[str]:
    root = set_index_root(ws)
    return {p.name for p in root.iterdir() if p.is_dir()} if root.exists() else set()


def test_rds_v3_known_good_goes_to_an_index_and_matches(
        ws: Workspace, make_rds: Callable[..., Path]) -> None:
    rows = [*_filler(500), _hexes(CONTENTS[0]), _hexes(CONTENTS[3])]
    told: list[int] = []
    out = import_hashset(ws, make_rds(rows), "nsrl", purpose="ignore", workers=2,
                         progress=told.append)
    assert (out.storage, out.entries, out.unchanged) == ("index", 502, False)
    assert sum(told) == 502 and len(told) > 1  # heard block by block
    with ws.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(HashEntry)) == 0
        props = conn.scalar(select(HashSet.properties).where(HashSet.id == out.hashset_id))
    assert props["storage"] == "index" and props["sha256_of"] == "digests"
    assert props["release"] == "2099.01.1 Test 2099-01-01"  # NIST's VERSION row
    assert _folders(ws) == {props["index"]}
    match_exact(ws, 1)
    match_exact(ws, 1)  # a second run adds nothing (one match per media and set)
    found = _matches(ws)
    expected = sorted(hashlib.sha256(CONTENTS[i]).digest() for i in (0, 3))
    assert [(m[0], m[2], m[3]) for m in found] == [(sha, None, "sha256") for sha in expected]
    assert case_summary(ws, 1)["known_good"] == 2


def test_strongest_digest_names_the_match(ws: Workspace, make_rds: Callable[..., Path]) -> None:
    _, sha1, md5 = _hexes(CONTENTS[1])
    rows = [*_filler(10), ("F" * 64, sha1, md5), ("E" * 64, "0" * 40, md5)]
    import_hashset(ws, make_rds(rows), "nsrl", purpose="ignore", workers=1)
    match_exact(ws, 1)
    assert [m[3] for m in _matches(ws)] == ["sha1"]


def test_malformed_rds_imports_nothing(ws: Workspace, make_rds: Callable[..., Path]) -> None:
    rows = [*_filler(20), ("C" * 63 + "G", "A" * 40, "B" * 32)]
    path = make_rds(rows, strict=False, copies=1)
    with pytest.raises(HashSetError) as caught:
        import_hashset(ws, path, "nsrl", purpose="ignore")
    assert "\n" not in str(caught.value) and "sha256 is not 64 hex digits" in str(caught.value)
    with ws.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(HashSet)) == 0
    assert _folders(ws) == set()


def test_rows_without_a_digest_are_skipped_by_the_record_walk(
        ws: Workspace, make_rds: Callable[..., Path]) -> None:
    rows = [*_filler(20), _hexes(CONTENTS[2]), (None, None, None)]
    told: list[int] = []
    out = import_hashset(ws, make_rds(rows, strict=False, copies=1), "nsrl", purpose="ignore",
                         progress=told.append)
    assert (out.entries, out.skipped_records) == (21, 1)
    assert sum(told) == 21  # what the abandoned bulk read counted is taken back
    with ws.engine.connect() as conn:
        props = conn.scalar(select(HashSet.properties))
    assert props["sha256_of"] == "file"  # the record walk hashed the file itself
    match_exact(ws, 1)
    assert len(_matches(ws)) == 1


def test_unchanged_replaced_and_touched(ws: Workspace, make_rds: Callable[..., Path],
                                        tmp_path: Path) -> None:
    path = make_rds([*_filler(30), _hexes(CONTENTS[0])])
    first = import_hashset(ws, path, "nsrl", purpose="ignore")
    token = _folders(ws)
    again = import_hashset(ws, path, "nsrl", purpose="ignore")
    assert again.unchanged and _folders(ws) == token
    os.utime(path, ns=(1, 1))  # touched: same bytes, other mtime -> still unchanged
    touched = import_hashset(ws, path, "nsrl", purpose="ignore")
    assert touched.unchanged and touched.hashset_id == first.hashset_id and _folders(ws) == token
    with ws.engine.connect() as conn:
        assert conn.scalar(select(HashSet.properties))["stat"][1] == 1
    match_exact(ws, 1)
    assert len(_matches(ws)) == 1
    changed = make_rds([*_filler(30), _hexes(CONTENTS[4])], name="rds2.db")
    os.replace(changed, path)
    replaced = import_hashset(ws, path, "nsrl", purpose="ignore")
    assert not replaced.unchanged and len(_folders(ws)) == 1 and _folders(ws) != token
    match_exact(ws, 1)  # the old set's match went with it; the new one matches f4
    assert [m[0] for m in _matches(ws)] == [hashlib.sha256(CONTENTS[4]).digest()]


def test_debris_is_swept_but_a_build_in_progress_is_not(
        ws: Workspace, make_rds: Callable[..., Path]) -> None:
    root = set_index_root(ws)
    root.mkdir(parents=True)
    (root / "deadbeef00000000" / "sha256").mkdir(parents=True)  # a crashed import's folder
    (root / "deadbeef00000000.lock").touch()
    with SetIndexBuilder(root) as building:  # another process's import, still running
        import_hashset(ws, make_rds(_filler(5)), "nsrl", purpose="ignore")
        live = {p.name for p in root.iterdir() if p.is_dir()}
        assert "deadbeef00000000" not in live and building.token in live
        with building._lock_path.open("a") as lock, pytest.raises(BlockingIOError):
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    assert len(_folders(ws)) == 1  # the unfinished build removed itself


def test_index_storage_is_for_digest_only_formats(ws: Workspace, tmp_path: Path) -> None:
    vics = tmp_path / "v.json"
    vics.write_text('{"odata.metadata": "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml'
                    '#Media", "value": [{"MediaID": 1, "MD5": "' + "0" * 32 + '"}]}')
    with pytest.raises(ValueError, match="index storage keeps digests only"):
        import_hashset(ws, vics, "v", purpose="ignore", storage="index")
    sums = tmp_path / "known.md5"
    sums.write_text(f"{hashlib.md5(CONTENTS[5]).hexdigest()}  f5.bin\n")
    assert import_hashset(ws, sums, "s", purpose="ignore").storage == "index"
    told: list[int] = []
    assert import_hashset(ws, sums, "a", purpose="alert", progress=told.append).storage == \
        "entries"
    assert told == [1]
    match_exact(ws, 1)
    assert sorted(m[3] for m in _matches(ws)) == ["md5", "md5"]


def test_set_digest_does_not_depend_on_workers(tmp_path: Path,
                                               make_rds: Callable[..., Path]) -> None:
    path = make_rds(_filler(3000))
    digests = set()
    for workers in (1, 2):
        ws = Workspace(tmp_path / f"ws{workers}")
        import_hashset(ws, path, "nsrl", purpose="ignore", workers=workers)
        with ws.engine.connect() as conn:
            digests.add(conn.scalar(select(HashSet.file_sha256)))
    assert len(digests) == 1 and digests != {bytes(32)}


def test_remove_takes_set_matches_and_folders(ws: Workspace, make_rds: Callable[..., Path],
                                              tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cumberland.cli import app
    from cumberland.demo import synthetic_image
    from cumberland.matching.library import add_library

    import_hashset(ws, make_rds([*_filler(10), _hexes(CONTENTS[1])]), "nsrl", purpose="ignore")
    match_exact(ws, 1)
    assert len(_matches(ws)) == 1 and len(_folders(ws)) == 1
    library = tmp_path / "library"
    library.mkdir()
    synthetic_image(5).save(library / "ref.png")
    set_id = add_library(ws, library, "refs").hashset_id
    assert ws.library_folder(set_id).is_dir()
    runner, where = CliRunner(), ["--workspace", str(ws.root)]
    for name in ("nsrl", "refs"):
        out = runner.invoke(app, ["hashset", "remove", name, *where])
        assert out.exit_code == 0 and f"{name}: removed" in out.output
    assert _matches(ws) == [] and _folders(ws) == set()
    assert not ws.library_folder(set_id).exists()
    match_exact(ws, 1)  # the shared index forgets the removed sets too
    assert _matches(ws) == []
    missing = runner.invoke(app, ["hashset", "remove", "nsrl", *where])
    assert missing.exit_code != 0 and "no hash set named 'nsrl'" in missing.output
