"""The workbench's store code on PostgreSQL: queue, pages, decisions, audit chain, export."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from cumberland.analysis.grid import Filters, review_page
from cumberland.analysis.review import categorise
from cumberland.analysis.sharing import Scope, assign, disputes, progress, reviewers_progress
from cumberland.hashsets.detect import open_reader
from cumberland.reports.vics_export import write_vics
from cumberland.store import accounts, audit
from cumberland.store.anchors import verify_all
from cumberland.store.workspace import Workspace

from .conftest import PASSWORD, add_case

pytestmark = pytest.mark.postgres
pg = pytest.importorskip("pg.conftest")
pg_server = pg.pg_server
pg_database = pg.pg_database


def test_workbench_store_on_postgres(pg_database: str, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws", pg_database)
    assert ws.engine.dialect.name == "postgresql"
    case, shas = add_case(ws, "pg-case", [700, 701, 702, 703], camera={2}, matched={3})
    page = review_page(ws, case, Filters())
    assert page.tiles[0].sha256.hex() == shas[2]  # camera original first
    assert {t.sha256.hex() for t in page.tiles} == set(shas[:3])
    second = review_page(ws, case, Filters(status="all"), page.tiles[0].cursor)
    assert len(second.tiles) == 3
    previous = categorise(ws, case, [bytes.fromhex(s) for s in shas[:2]], 1, "vics-us", None,
                          actor="tester")
    assert set(previous.values()) == {None}
    accounts.add_user(ws, "pat", "reviewer", PASSWORD)
    accounts.grant(ws, "pat", "pg-case")
    assert accounts.authenticate(ws, "pat", PASSWORD) is not None
    for n in range(3):
        audit.append(ws, "pat", "note", case, None, {"n": n})
    assert audit.verify(ws).ok and audit.verify(ws).rows == 4  # with the categorisation
    out = write_vics(ws, case, tmp_path / "pg.json")
    assert sorted(r.category for r in open_reader(out.path)) == [1, 1]
    # the review flow's queries: search, every order, opinions, progress, disagreements
    assert [t.sha256.hex() for t in review_page(ws, case, Filters(status="all",
                                                                  camera="democam")).tiles] \
        == [shas[2]]
    assert review_page(ws, case, Filters(status="all", gps=True)).tiles == []
    for sort in ("path", "date", "size"):
        for descending in (False, True):
            first = review_page(ws, case, Filters(status="all", sort=sort,
                                                  descending=descending), limit=2)
            rest = review_page(ws, case, Filters(status="all", sort=sort,
                                                 descending=descending), first.next_cursor)
            assert len({t.sha256 for t in first.tiles + rest.tiles}) == 4
    pat = accounts.user_id(ws, "pat")
    accounts.add_user(ws, "quin", "reviewer", PASSWORD)
    quin = accounts.user_id(ws, "quin")
    assign(ws, case, [pat, quin], Scope(), "tester", double=True)
    categorise(ws, case, [bytes.fromhex(shas[0])], 2, "vics-us", pat, actor="pat")
    categorise(ws, case, [bytes.fromhex(shas[0])], 3, "vics-us", quin, actor="quin")
    assert [d.sha256.hex() for d in disputes(ws, case)] == [shas[0]]
    mine = progress(ws, case, pat)
    assert (mine.reviewed, mine.total, mine.today, mine.share, mine.share_done) == (2, 4, 1, 4, 1)
    assert {p.name: p.categorised for p in reviewers_progress(ws, case)}["pat"] == 1
    assert verify_all(ws).ok
    ws.close()


def test_a_series_merge_ranks_the_queue_again_on_postgres(pg_database: str,
                                                          tmp_path: Path) -> None:
    """On PostgreSQL too, a merge regroups the series and ranks its media again in the queue
    in its own transaction (other connections read the series and the case meanwhile)."""
    from sqlalchemy import insert

    from cumberland.analysis import series_review
    from cumberland.analysis.review import refresh_queue
    from cumberland.analysis.series import case_series, regroup
    from cumberland.store.models import Series

    ws = Workspace(tmp_path / "ws", pg_database)
    case, shas = add_case(ws, "pg-series", [800, 801, 802, 803, 804, 805], camera={0, 1, 2})
    groups = [shas[:3], shas[3:5]]  # three camera originals; two pictures without EXIF
    with ws.engine.begin() as conn:  # links as a build stores them, then regrouped from them
        conn.execute(insert(Series), [{"case_id": case, "number": n, "prime": False, "data": {
            "series": n, "members": g, "links": [{"a": a, "b": b, "reasons": ["same scene"]}
                                                 for a, b in pairwise(g)]}}
            for n, g in enumerate(groups, 1)])
    regroup(ws, case)
    refresh_queue(ws, case)
    prime = {frozenset(s["members"]): s for s in case_series(ws, case)}
    assert prime[frozenset(groups[0])]["prime"] and not prime[frozenset(groups[1])]["prime"]

    def reasons() -> dict[str, str]:
        return {t.sha256.hex(): t.reasons for t in review_page(ws, case, Filters()).tiles}

    assert not any("series" in reasons()[s] for s in groups[1])
    series_review.merge(ws, case, prime[frozenset(groups[1])]["series"],
                        prime[frozenset(groups[0])]["series"], "pat")
    after = reasons()
    assert all("series" in after[s] for s in shas[:5]) and "series" not in after[shas[5]]
    assert [t.sha256.hex() for t in review_page(ws, case, Filters()).tiles][-1] == shas[5]
    assert audit.verify(ws).ok
    ws.close()
