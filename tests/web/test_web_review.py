"""Review queue, priority, categorisation with undo, item detail, dashboard, exports, CLI."""

from __future__ import annotations

import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from PIL import Image
from typer.testing import CliRunner

from cumberland.analysis.grid import Filters, offset_page, review_page
from cumberland.analysis.priority import describe, rank
from cumberland.analysis.review import categorise, refresh_queue
from cumberland.cli import app as cli
from cumberland.demo import synthetic_image
from cumberland.hashsets.detect import open_reader
from cumberland.reports.vics_export import write_vics
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store import audit
from cumberland.store.workspace import Workspace

from .conftest import PASSWORD, Built, add_case, login


def _rank(**facts: Any) -> int:
    return rank(describe(**facts))[0]


def test_priority_puts_unknown_camera_non_ai_first() -> None:
    order = sorted([
        ("matched", _rank(matched=True, camera=True)),
        ("known-good", _rank(known_good=True, camera=True)),
        ("unknown-ai", _rank(ai_level="declared-ai")),
        ("unknown-plain", _rank()),
        ("unknown-camera", _rank(camera=True)),
        ("unknown-provenance-camera", _rank(ai_level="camera-metadata")),
        ("unknown-weak", _rank(ai_level="weak")),
    ], key=lambda pair: pair[1])
    assert [name for name, _ in order] == [
        "unknown-camera", "unknown-provenance-camera", "unknown-plain", "unknown-weak",
        "unknown-ai", "matched", "known-good"]
    assert order[0][1] == order[1][1]


def test_queue_priority_matches_the_python_rule(built: Built) -> None:
    page = review_page(built.ws, built.cases["alpha"], Filters(status="all"))
    shas = built.media["alpha"]
    by_sha = {t.sha256.hex(): t for t in page.tiles}
    assert by_sha[shas[1]].priority == _rank(camera=True)
    assert by_sha[shas[5]].priority == _rank()
    assert by_sha[shas[3]].priority == _rank(matched=True)
    assert by_sha[shas[1]].reasons == "unknown,camera"
    assert by_sha[shas[3]].reasons == "matched"
    assert [t.priority for t in page.tiles] == sorted(t.priority for t in page.tiles)
    assert {t.sha256.hex() for t in page.tiles[:2]} == {shas[1], shas[2]}  # camera first
    assert by_sha[shas[0]].n_items == 3  # one tile for the duplicates (a stack)


def test_keyset_pages_cover_every_media_once(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    case, shas = add_case(ws, "many", list(range(400, 425)), camera={0, 5, 9})
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = review_page(ws, case, Filters(), cursor, limit=7)
        seen += [t.sha256.hex() for t in page.tiles]
        pages += 1
        assert [t.cursor for t in page.tiles] == sorted(
            (t.cursor for t in page.tiles), key=lambda c: (int(c.split(".")[0]), c))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 4 and sorted(seen) == sorted(shas) and len(seen) == len(set(seen))
    baseline = [t.sha256.hex() for n in range(4)
                for t in offset_page(ws, case, Filters(), n, limit=7)]
    assert baseline == seen
    ws.close()


def test_filters(built: Built) -> None:
    ws, case, shas = built.ws, built.cases["alpha"], built.media["alpha"]

    def found(**kwargs: object) -> set[str]:
        return {t.sha256.hex() for t in review_page(ws, case, Filters(**kwargs)).tiles}  # type: ignore[arg-type]

    assert found() == set(shas) - {shas[3]}  # unknown only by default
    assert found(status="matched") == {shas[3]}
    assert found(status="all", deleted=True) == {shas[4]}
    assert found(status="all", path_prefix="/evidence/alpha/pics/copy_") == {shas[0]}
    assert found(status="all", path_prefix="/evidence/alpha/pics/img_007") == {shas[7]}
    assert found(status="all", path_prefix="%") == set()  # LIKE wildcards are literal
    assert found(status="all", kind="video") == set()
    categorise(ws, case, [bytes.fromhex(shas[6])], 3, "vics-us", None, actor="tester")
    assert found(status="all", category="3") == {shas[6]}
    assert shas[6] not in found(status="all", category="none")


def test_categorise_undo_and_audit_through_the_api(client: TestClient, built: Built) -> None:
    csrf = login(client, "alice")
    case, shas = built.cases["alpha"], built.media["alpha"]
    headers = {"x-csrf-token": csrf}
    url = f"/cases/{case}/decisions"
    first = client.post(url, json={"media": shas[:3], "category": 1}, headers=headers).json()
    assert first["previous"] == {s: None for s in shas[:3]}
    second = client.post(url, json={"media": shas[:2], "category": 0}, headers=headers).json()
    assert second["previous"] == {shas[0]: 1, shas[1]: 1}
    undo = client.post(url, json={"media": shas[:2], "category": 1, "undo": True},
                       headers=headers)
    assert undo.status_code == 200
    grid = client.get(f"/cases/{case}/review?category=1").text
    assert all(s in grid for s in shas[:3])
    # foreign media and unknown categories are refused or ignored, never stored
    bravo = built.media["bravo"][0]
    assert client.post(url, json={"media": [bravo], "category": 1},
                       headers=headers).status_code == 404
    assert client.post(url, json={"media": shas[:1], "category": 7},
                       headers=headers).status_code == 400
    actions = [e.action for e in audit.recent(built.ws, case)]
    assert actions.count("categorise") == 2 and actions.count("undo") == 1
    assert actions.count("categorise-refused") == 1
    assert audit.verify(built.ws).ok


def test_item_detail_and_dashboard(client: TestClient, built: Built) -> None:
    login(client, "alice")
    case, shas = built.cases["alpha"], built.media["alpha"]
    page = client.get(f"/cases/{case}/media/{shas[0]}").text
    assert page.count("/evidence/alpha/pics/") >= 3  # every path chain of the stack
    assert shas[0] in page and "provenance" in page and "no generator metadata found" in page
    matched = client.get(f"/cases/{case}/media/{shas[3]}").text
    assert "known-alpha" in matched and "md5" in matched
    board = client.get(f"/cases/{case}").text
    for label in ("Items by status", "Media by type", "Media by match", "AI-assessment level",
                  "truncated JPEG"):
        assert label in board
    assert "<svg" in board


def test_similar_items_are_pdq_neighbours(tmp_path: Path) -> None:
    from sqlalchemy import insert

    from cumberland.store.models import Item, Media
    from cumberland.web.similar import SimilarCache

    ws = Workspace(tmp_path / "ws")
    case, shas = add_case(ws, "near", [500, 501])  # two unrelated pictures
    # the first picture again, recompressed: another media, a PDQ neighbour of the first
    buf = io.BytesIO()
    synthetic_image(500, (256, 192)).save(buf, "JPEG", quality=40)
    copy = buf.getvalue()
    sha = hashlib.sha256(copy).digest()
    pdq, quality = pdq_from_rgb(np.asarray(Image.open(io.BytesIO(copy)).convert("RGB")))
    with ws.engine.begin() as conn:
        conn.execute(insert(Media).values(
            sha256=sha, md5=hashlib.md5(copy).digest(), sha1=hashlib.sha1(copy).digest(),
            size=len(copy), kind="image", mime="image/jpeg", width=256, height=192, pdq=pdq,
            pdq_quality=quality, has_thumb=False, meta={}))
        conn.execute(insert(Item).values(
            case_id=case, source_id=1, path="/evidence/near/copy.jpg",
            path_key=hashlib.sha1(b"copy").digest(), chain=["copy.jpg"], size=len(copy),
            status="done", media_sha256=sha, mime="image/jpeg"))
    refresh_queue(ws, case)
    own = bytes.fromhex(shas[0])
    neighbours = SimilarCache().neighbours(ws, case, _pdq(ws, own), own)
    assert [n.sha256 for n in neighbours] == [sha]  # the copy; not itself, not the other
    assert 0 < neighbours[0].distance <= 31
    assert SimilarCache().neighbours(ws, case, _pdq(ws, bytes.fromhex(shas[1])),
                                     bytes.fromhex(shas[1])) == []
    ws.close()


def _pdq(ws: Workspace, sha: bytes) -> bytes | None:
    from sqlalchemy import select

    from cumberland.store.models import Media

    with ws.engine.connect() as conn:
        return conn.scalar(select(Media.pdq).where(Media.sha256 == sha))


def test_vics_export_round_trips_through_the_importer(built: Built, tmp_path: Path) -> None:
    ws, case, shas = built.ws, built.cases["alpha"], built.media["alpha"]
    def decide(media: list[str], category: int, scheme: str = "vics-us") -> None:
        categorise(ws, case, [bytes.fromhex(s) for s in media], category, scheme, None,
                   actor="tester")

    decide(shas[:2], 1)
    decide(shas[5:6], 3)
    decide(shas[6:7], 2, "vics-legacy")  # other scheme
    out = write_vics(ws, case, tmp_path / "export.json")
    assert (out.media, out.files) == (3, 5)
    reader = open_reader(out.path)
    records = list(reader)
    assert reader.info.version == "2.0" and reader.info.category_scheme == "vics-us"
    got = {r.sha256.hex(): r.category for r in records if r.sha256}
    assert got == {shas[0]: 1, shas[1]: 1, shas[5]: 3}
    assert all(r.md5 and r.sha1 for r in records)
    document = json.loads(out.path.read_text())
    files = [f["FilePath"] for m in document["value"][0]["Media"] for f in m["MediaFiles"]]
    assert "/evidence/alpha/pics/copy_000_1.jpg" in files and len(files) == 5


def test_export_through_the_web_is_audited(app: object, built: Built) -> None:
    client = TestClient(app)  # type: ignore[arg-type]
    csrf = login(client, "root")
    case, shas = built.cases["alpha"], built.media["alpha"]
    client.post(f"/cases/{case}/decisions", json={"media": shas[:1], "category": 4},
                headers={"x-csrf-token": csrf})
    response = client.post(f"/cases/{case}/export/vics", data={"csrf": csrf})
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    assert json.loads(response.content)["value"][0]["Media"][0]["Category"] == 4
    entry = audit.recent(built.ws, case, limit=1)[0]
    assert entry.action == "export-vics" and entry.details["media"] == 1


@pytest.mark.skipif(not Path("/usr/bin/chromium").exists(), reason="needs Debian chromium")
def test_pdf_report(built: Built, tmp_path: Path) -> None:
    from cumberland.reports.pdf import case_report_html, case_report_pdf

    html = case_report_html(built.ws, built.cases["alpha"])
    assert "<svg" in html and "<script" not in html
    out = case_report_pdf(built.ws, built.cases["alpha"], tmp_path / "report.pdf")
    assert out.read_bytes().startswith(b"%PDF")


def test_cli_users_audit_and_export(tmp_path: Path) -> None:
    ws_path = tmp_path / "ws"
    ws = Workspace(ws_path)
    case, shas = add_case(ws, "cli-case", [600, 601])
    categorise(ws, case, [bytes.fromhex(shas[0])], 0, "vics-us", None, actor="tester")
    ws.close()
    runner = CliRunner()
    env = {"CUMBERLAND_PASSWORD": PASSWORD}
    w = ["--workspace", str(ws_path)]
    assert runner.invoke(cli, ["user", "add", "carol", "--role", "reviewer", *w],
                         env=env).exit_code == 0
    bad_role = runner.invoke(cli, ["user", "add", "dan", "--role", "boss", *w], env=env)
    assert bad_role.exit_code == 2 and "role" in bad_role.output
    assert runner.invoke(cli, ["user", "grant", "carol", "--case", "cli-case", *w]).exit_code == 0
    missing = runner.invoke(cli, ["user", "grant", "carol", "--case", "nope", *w])
    assert missing.exit_code == 2
    out = tmp_path / "out.json"
    done = runner.invoke(cli, ["export", "vics", "--case", "cli-case", "--out", str(out), *w])
    assert done.exit_code == 0 and out.is_file()
    assert [r.category for r in open_reader(out)] == [0]
    ok = runner.invoke(cli, ["audit", "verify", *w])
    assert ok.exit_code == 0 and "intact" in ok.output and "last hash" in ok.output
    head = ok.output.split("last hash")[1].split()[0]
    assert runner.invoke(cli, ["audit", "verify", "--anchor", head, *w]).exit_code == 0
    elsewhere = runner.invoke(cli, ["audit", "verify", "--anchor", "f" * 64, *w])
    assert elsewhere.exit_code == 1 and "removed from its end" in elsewhere.output
    db = ws_path / "cumberland.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE id = 2")
    broken = runner.invoke(cli, ["audit", "verify", *w])
    assert broken.exit_code == 1 and re.search(r"entry 2\b", broken.output)


def test_serve_refuses_non_loopback_without_flag(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--workspace",
                                      str(tmp_path / "ws")])
    assert result.exit_code == 2 and "--allow-remote" in result.output


def test_refresh_queue_is_idempotent(built: Built) -> None:
    case = built.cases["alpha"]
    assert refresh_queue(built.ws, case) == refresh_queue(built.ws, case) == 8




def test_stack_categorisation_reaches_near_duplicates(client: TestClient, built: Built) -> None:
    from sqlalchemy import insert

    from cumberland.store.models import Stack

    case, shas = built.cases["alpha"], built.media["alpha"]
    with built.ws.engine.begin() as conn:
        conn.execute(insert(Stack), [
            {"case_id": case, "media_sha256": bytes.fromhex(s), "stack": 1, "method": "pdq"}
            for s in (shas[5], shas[6])])
    csrf = login(client, "alice")
    url = f"/cases/{case}/decisions"
    alone = client.post(url, json={"media": [shas[5]], "category": 2},
                        headers={"x-csrf-token": csrf}).json()
    assert set(alone["previous"]) == {shas[5]}
    stacked = client.post(url, json={"media": [shas[5]], "category": 3, "stacks": True},
                          headers={"x-csrf-token": csrf}).json()
    assert stacked["previous"] == {shas[5]: 2, shas[6]: None}
    page = review_page(built.ws, case, Filters(status="all", category="3"))
    assert {t.sha256.hex() for t in page.tiles} == {shas[5], shas[6]}


def test_queue_is_rebuilt_after_a_run(built: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from sqlalchemy import insert

    from cumberland.analysis.review import queue_state
    from cumberland.store.models import Run
    from cumberland.web import queue as queue_module

    ws, case = built.ws, built.cases["alpha"]
    assert queue_state(ws, case) == "fresh"

    def new_run() -> None:
        with ws.engine.begin() as conn:
            conn.execute(insert(Run).values(case_id=case, started_at=time.time(),
                                            status="done", settings={}, arguments={}))

    keeper = queue_module.QueueKeeper(ws)
    new_run()
    assert queue_state(ws, case) == "stale"
    assert keeper.check(case) == "fresh"  # a small case is rebuilt within the request
    monkeypatch.setattr(queue_module, "SYNC_LIMIT", 0)
    new_run()
    assert keeper.check(case) == "updating"  # a large one in the background
    keeper.wait(case)
    assert queue_state(ws, case) == "fresh"


def test_grid_tiles_say_why_and_filter_by_where_found(client: TestClient, built: Built) -> None:
    from sqlalchemy import update

    from cumberland.store.models import Item

    login(client, "alice")
    case, shas = built.cases["alpha"], built.media["alpha"]
    with built.ws.engine.begin() as conn:
        conn.execute(update(Item).where(Item.media_sha256 == bytes.fromhex(shas[5]))
                     .values(artefacts="messaging"))
    refresh_queue(built.ws, case)
    grid = client.get(f"/cases/{case}/review?category=any&found=messaging").text
    assert shas[5] in grid and not any(s in grid for s in shas[:5])
    assert ('title="Priority: unknown to every hash set; '
            'in a camera roll or a messaging app&#39;s media"') in grid
    assert '<option value="messaging" selected>' in grid
    everything = client.get(f"/cases/{case}/review?category=any").text
    assert all(s in everything for s in (shas[1], shas[5]))
    assert 'title="Priority: unknown to every hash set; camera EXIF or maker notes"' in everything
