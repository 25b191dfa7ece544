"""Pending items go to workers in chunks bounded by count and by bytes."""

from __future__ import annotations

from pathlib import Path

from cumberland.pipeline.ingest import add_source
from cumberland.store.workspace import Workspace
from cumberland.store.writer import case_id, pending_tasks


def test_chunks_bounded_by_count_and_bytes(tmp_path: Path, workspace: Workspace) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    sizes = [100] * 9 + [3_000, 9_000, 100, 100]  # one file alone exceeds the byte budget
    for i, size in enumerate(sizes):
        (folder / f"f{i:02d}.bin").write_bytes(b"x" * size)
    case = case_id(workspace, "c")
    add_source(workspace, case, folder)
    chunks = list(pending_tasks(workspace, case, chunk_size=4, chunk_bytes=5_000))
    seen = [t.item_id for chunk in chunks for t in chunk]
    assert len(seen) == len(set(seen)) == len(sizes)  # every pending item once
    for chunk in chunks:
        total = sum(t.size or 0 for t in chunk)
        assert len(chunk) <= 4 and (len(chunk) == 1 or total <= 5_000), [t.size for t in chunk]
    assert [len(c) for c in chunks] == [4, 4, 2, 1, 2]  # 100 x4, 100 x4, 100+3000, 9000, 100 x2
