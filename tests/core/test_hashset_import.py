"""Hash sets into the store: atomic, skip-if-unchanged, replace-if-changed, withdrawals."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from cumberland.hashsets.base import HashSetError
from cumberland.store.hashset_import import import_hashset, list_hashsets
from cumberland.store.models import HashEntry
from cumberland.store.workspace import Workspace


def _entries(ws: Workspace) -> int:
    with ws.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(HashEntry)) or 0)


def test_unchanged_file_is_skipped_and_changed_file_replaces(workspace: Workspace,
                                                             tmp_path: Path) -> None:
    sums = tmp_path / "known.md5"
    sums.write_text(f"{'a' * 32}  one.jpg\n{'b' * 32}  two.jpg\n")
    first = import_hashset(workspace, sums)
    again = import_hashset(workspace, sums)
    assert (first.entries, first.unchanged, again.unchanged) == (2, False, True)
    sums.write_text(f"{'c' * 32}  three.jpg\n")
    changed = import_hashset(workspace, sums)
    assert (changed.entries, changed.unchanged) == (1, False)
    assert _entries(workspace) == 1
    assert [s.name for s in list_hashsets(workspace)] == ["known.md5"]


def test_malformed_file_leaves_nothing(workspace: Workspace, tmp_path: Path) -> None:
    sums = tmp_path / "bad.md5"
    sums.write_text(f"{'a' * 32}  one.jpg\n" * 30000 + "not a digest line\n")
    with pytest.raises(HashSetError) as info:
        import_hashset(workspace, sums, fmt="sums")
    assert "bad.md5" in str(info.value) and "30001" in str(info.value)
    assert _entries(workspace) == 0
    assert list_hashsets(workspace) == []


def test_ncmec_withdrawals_are_not_entries(workspace: Workspace, tmp_path: Path) -> None:
    xml = tmp_path / "ncmec.xml"
    xml.write_text(
        "<queryResult><images>"
        "<image><member id='1'>ESP</member><id>10</id><timestamp>2024-01-01T00:00:00Z</timestamp>"
        f"<classification>A1</classification><fingerprints><md5>{'d' * 32}</md5></fingerprints>"
        "</image>"
        "<deletedImage><member id='1'>ESP</member><id>9</id>"
        "<timestamp>2024-01-02T00:00:00Z</timestamp></deletedImage>"
        "</images></queryResult>"
    )
    out = import_hashset(workspace, xml)
    assert out.entries == 1
    assert list_hashsets(workspace)[0].properties["withdrawn"] == 1


def test_reports_name_the_rds_release_and_what_the_sha256_is_of(
        case_of: object, make_rds: object, tmp_path: Path) -> None:
    """Issue 21 item 11: the RDS release was in ``hashset list --json`` only, and for index
    sets report.json showed a digest fingerprint under ``sha256``. Now every surface names
    it ``digests_sha256`` (a file's SHA-256 is ``file_sha256``), shows the release, and two
    RDS files whose digests differ get different fingerprints."""
    import hashlib
    import json

    from cumberland.reports.files import write_reports
    from cumberland.reports.summary import case_summary

    ws = case_of([b"benign bytes"])  # type: ignore[operator]

    def rows(seed: str) -> list[tuple[str, str, str]]:
        return [tuple(hashlib.new(k, f"{seed}{i}".encode()).hexdigest().upper()  # type: ignore[misc]
                      for k in ("sha256", "sha1", "md5")) for i in range(200)]

    first = make_rds(rows("a"), name="a.db")  # type: ignore[operator]
    second = make_rds(rows("b"), name="b.db")  # type: ignore[operator]
    same_digests = make_rds(rows("a"), name="a-again.db", copies=3)  # type: ignore[operator]
    sums = tmp_path / "known.md5"
    sums.write_text(f"{'a' * 32}  one.jpg\n")
    for path in (first, second, same_digests):
        import_hashset(ws, path, purpose="ignore", workers=1)
    import_hashset(ws, sums)
    summary = case_summary(ws, 1)
    sets = {s["name"]: s for s in summary["hashsets"]}
    for name in ("a.db", "b.db", "a-again.db"):
        assert sets[name]["sha256_of"] == "digests" and "sha256" not in sets[name]
        assert sets[name]["release"] == "2099.01.1 Test 2099-01-01"
    assert sets["a.db"]["digests_sha256"] != sets["b.db"]["digests_sha256"]
    assert sets["a.db"]["digests_sha256"] == sets["a-again.db"]["digests_sha256"]
    assert sets["known.md5"]["file_sha256"] == hashlib.sha256(sums.read_bytes()).hexdigest()
    json_path, html_path = write_reports(summary, tmp_path / "report")
    assert json.loads(json_path.read_text())["hashsets"] == summary["hashsets"]
    html = html_path.read_text()
    assert "2099.01.1 Test 2099-01-01" in html and "of the digests" in html
    assert "of the file" in html
    ws.close()


@pytest.mark.parametrize("storage", ["entries", "index"])
def test_a_set_none_of_whose_records_has_a_hash_is_refused(
        workspace: Workspace, tmp_path: Path, storage: str) -> None:
    """Every record skipped is how a misread format looked (VICS keys in another case: "0
    entries, 20 records skipped", exit 0): an error now, and nothing is kept."""
    path = tmp_path / "nohash.hsh"
    path.write_text('"file_id","hashset_id","file_name","hash"\n1,2,"a",""\n3,4,"b",""\n')
    with pytest.raises(HashSetError, match="all 2 records: none has a usable"):
        import_hashset(workspace, path, purpose="ignore", storage=storage)
    assert list_hashsets(workspace) == [] and _entries(workspace) == 0
    assert not any((workspace.root / "index" / "sets").glob("*/*"))


def test_a_killed_imports_private_copy_is_swept(workspace: Workspace, tmp_path: Path) -> None:
    """A private copy left by an import killed with SIGKILL (its process gone) holds
    evidence-derived data: the next import removes it; a live process's folder is kept."""
    import os
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True).stdout.strip()
    stale = workspace.root / "tmp" / f"hashset-{gone}-abc"
    live = workspace.root / "tmp" / f"hashset-{os.getpid()}-def"
    for folder in (stale, live):
        folder.mkdir(parents=True)
        (folder / "rds.db").write_bytes(b"SQLite format 3\x00")
    sums = tmp_path / "k.md5"
    sums.write_text(f"{'a' * 32}  one.jpg\n")
    import_hashset(workspace, sums)
    assert not stale.exists() and live.exists()
    assert sorted(p.name for p in (workspace.root / "tmp").iterdir()) == [live.name]
