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
