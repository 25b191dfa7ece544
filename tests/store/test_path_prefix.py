"""The grid's path-prefix filter: exact prefixes, LIKE metacharacters taken literally, long
paths beyond the indexed key, and the index actually present after migrations."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from sqlalchemy import insert

from cumberland.analysis.grid import Filters, review_page
from cumberland.analysis.review import refresh_queue
from cumberland.sources.base import path_key
from cumberland.store.models import Case, Item, Media, Source
from cumberland.store.pathkey import PREFIX_CHARS
from cumberland.store.workspace import Workspace

LONG = "/evidence/" + "d" * (PREFIX_CHARS + 50) + "/"
PATHS = [
    "/evidence/a/one.jpg",
    "/evidence/a/sub/two.jpg",
    "/evidence/ab/three.jpg",
    "/evidence/100%_x/four.jpg",
    "/evidence/100ab_x/five.jpg",
    LONG + "six.jpg",
    LONG[:-1] + "e/seven.jpg",
]


def _fill(ws: Workspace) -> int:
    with ws.engine.begin() as conn:
        case = conn.execute(insert(Case).values(name="c", created_at=time.time())
                            .returning(Case.id)).scalar_one()
        source = conn.execute(insert(Source).values(
            case_id=case, uri="/evidence", raw_path=b"/evidence", kind="folder",
            added_at=time.time(), enumerated=True).returning(Source.id)).scalar_one()
        for path in PATHS:
            sha = hashlib.sha256(path.encode()).digest()
            conn.execute(insert(Media).values(
                sha256=sha, md5=sha[:16], sha1=sha[:20], size=1, kind="image",
                mime="image/jpeg", meta={}, has_thumb=False))
            conn.execute(insert(Item).values(
                case_id=case, source_id=source, path=path, path_key=path_key(path),
                chain=[path], status="done", media_sha256=sha, ext_mismatch=False,
                deleted=False))
    refresh_queue(ws, case)
    return int(case)


def _paths(ws: Workspace, case: int, prefix: str) -> set[str]:
    page = review_page(ws, case, Filters(status="all", path_prefix=prefix))
    return {Path(t.path).name for t in page.tiles}


def check_prefix_filter(ws: Workspace) -> None:
    case = _fill(ws)
    assert _paths(ws, case, "/evidence/a/") == {"one.jpg", "two.jpg"}
    assert _paths(ws, case, "/evidence/a") == {"one.jpg", "two.jpg", "three.jpg"}
    assert _paths(ws, case, "/evidence/100%_") == {"four.jpg"}  # % and _ are literal
    assert _paths(ws, case, LONG) == {"six.jpg"}  # beyond the indexed key length
    assert _paths(ws, case, "/nowhere/") == set()


def test_prefix_filter_uses_the_index(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    check_prefix_filter(ws)
    with ws.engine.connect() as conn:
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT media_sha256 FROM items WHERE case_id = 1 AND "
            "substr(path, 1, 200) >= '/evidence/a/' AND substr(path, 1, 200) < '/evidence/b'"))
    assert "ix_items_case_path_prefix" in plan
    ws.close()
