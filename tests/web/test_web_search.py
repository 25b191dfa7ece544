"""Search and sort in the grid: every filter of issue 16, and keyset pages in every order."""

from __future__ import annotations

import hashlib

from fastapi.testclient import TestClient

from cumberland.analysis.grid import SORTS, Filters, review_page
from cumberland.store.workspace import Workspace
from cumberland.web import create_app

from .conftest import Evidence, login, web_config


def _grid(client: TestClient, case: int, query: str) -> list[str]:
    page = client.get(f"/cases/{case}/review?status=all&category=any&{query}")
    assert page.status_code == 200, page.text
    return [part.split('"')[0] for part in page.text.split('data-sha="')[1:]]


def test_every_search_filter(evidence: tuple[Evidence, Workspace]) -> None:
    ev, ws = evidence
    client = TestClient(create_app(ws, web_config()))
    login(client, "vera")
    case, names = ev.case, ev.by_name
    photos = {names[n] for n in ("big_camera.jpg", "plain_0.jpg", "plain_1.jpg", "plain_2.jpg")}
    assert set(_grid(client, case, "name=PLAIN_")) == {names[f"plain_{n}.jpg"] for n in range(3)}
    assert _grid(client, case, "name=packed") == [names["packed.jpg"]]  # inside the zip
    data = (ev.files / "photos" / "plain_1.jpg").read_bytes()
    for digest in (hashlib.md5(data), hashlib.sha1(data), hashlib.sha256(data)):
        assert _grid(client, case, f"hash={digest.hexdigest().upper()}") == [
            names["plain_1.jpg"]], digest.name
    assert _grid(client, case, "hash=not-a-hash") == []
    # PDQ: the picture's own hash at distance 0 finds it; a wide distance finds neighbours too
    from sqlalchemy import select

    from cumberland.store.models import Media

    with ws.engine.connect() as conn:
        pdq = conn.scalar(select(Media.pdq).where(
            Media.sha256 == bytes.fromhex(names["plain_1.jpg"])))
    assert names["plain_1.jpg"] in _grid(client, case, f"hash={pdq.hex()}")
    assert _grid(client, case, f"hash={pdq.hex()}&pdq=0") == [names["plain_1.jpg"]]
    assert _grid(client, case, "camera=democam") == [names["big_camera.jpg"]]
    assert _grid(client, case, "camera=dc-9") == [names["big_camera.jpg"]]
    assert set(_grid(client, case, "from=2020-01-01&to=2021-12-31")) == {
        names["plain_1.jpg"], names["big_camera.jpg"]}
    assert _grid(client, case, "from=2022-01-01") == [names["plain_2.jpg"]]
    assert _grid(client, case, "gps=1") == [names["big_camera.jpg"]]
    big = (ev.files / "photos" / "big_camera.jpg").stat().st_size
    assert names["big_camera.jpg"] in _grid(client, case, f"smin={big}")
    assert names["big_camera.jpg"] not in _grid(client, case, f"smax={big - 1}")
    assert set(_grid(client, case, "kind=video")) == {names["scene.webm"], names["old.mkv"]}
    assert set(_grid(client, case, "kind=image&path=" + str(ev.files / "photos"))) == photos
    # filters survive paging: the next-page link keeps them
    page = client.get(f"/cases/{case}/review?status=all&category=any&kind=image&name=plain")
    assert "name=plain" in page.text and "kind=image" in page.text


def test_keyset_pages_in_every_order(evidence: tuple[Evidence, Workspace]) -> None:
    ev, ws = evidence
    everything = {t.sha256 for t in review_page(ws, ev.case, Filters(status="all"),
                                                limit=1000).tiles}
    assert len(everything) >= 8
    for sort in SORTS:
        for descending in (False, True):
            filters = Filters(status="all", sort=sort, descending=descending)
            seen, cursor = [], None
            while True:
                page = review_page(ws, ev.case, filters, cursor, limit=3)
                seen += page.tiles
                if page.next_cursor is None:
                    break
                cursor = page.next_cursor
            assert {t.sha256 for t in seen} == everything and len(seen) == len(everything)
            keys = [(t.sort_key, t.sha256) for t in seen]
            assert keys == sorted(keys, reverse=descending), (sort, descending)
    by_size = [t.size for t in review_page(ws, ev.case, Filters(status="all", sort="size"),
                                           limit=100).tiles]
    assert by_size == sorted(by_size)
    dated = [t.taken for t in review_page(ws, ev.case, Filters(status="all", sort="date"),
                                          limit=100).tiles]
    assert dated[:4] == sorted(dated[:4]) and dated[0].startswith("2019")
    assert dated[-1] == "~"  # undated last


def test_bad_search_values_are_refused_or_ignored(evidence: tuple[Evidence, Workspace]) -> None:
    ev, ws = evidence
    client = TestClient(create_app(ws, web_config()))
    login(client, "vera")
    base = f"/cases/{ev.case}/review?"
    assert client.get(base + "smin=abc").status_code == 404
    assert client.get(base + "smin=" + "9" * 30).status_code == 404
    assert client.get(base + "share=u" + "9" * 30).status_code == 404
    assert client.get(base + "from=not-a-date&sort=nonsense&pdq=5000").status_code == 200
    assert client.get(base + "after=" + "s" + "zz" + "." + "0" * 64 + "&sort=path"
                      ).status_code == 200
