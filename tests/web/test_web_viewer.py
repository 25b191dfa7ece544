"""The viewer's bytes: full resolution only after an audited per-item reveal that expires,
re-encoded (never the file), read again from the evidence and checked against its SHA-256;
videos as keyframes and as Range-served playback of browser-playable containers only."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import select, update

from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.store import accounts
from cumberland.store.models import AuditEntry, Reveal
from cumberland.store.workspace import Workspace
from cumberland.web import create_app

from .conftest import PASSWORD, Evidence, build_evidence, login, web_config


@pytest.fixture()
def viewer(evidence: tuple[Evidence, Workspace]) -> tuple[Evidence, TestClient, str]:
    ev, ws = evidence
    client = TestClient(create_app(ws, web_config()))
    return ev, client, login(client, "vera")


def _reveal(client: TestClient, csrf: str, case: int, sha: str) -> None:
    response = client.post(f"/cases/{case}/media/{sha}/reveal", headers={"x-csrf-token": csrf})
    assert response.status_code == 200


def test_full_resolution_only_after_a_reveal_and_re_encoded(
        viewer: tuple[Evidence, TestClient, str]) -> None:
    ev, client, csrf = viewer
    sha = ev.by_name["big_camera.jpg"]
    url = f"/cases/{ev.case}/media/{sha}/full"
    assert client.get(url).status_code == 404
    # the session-wide thumbnail toggle is not a reveal of the evidence's own pixels
    client.post("/session/show", data={"csrf": csrf, "confirm": "yes"})
    assert client.get(url).status_code == 404
    _reveal(client, csrf, ev.case, sha)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "no-store" in response.headers["cache-control"]
    original = (ev.files / "photos" / "big_camera.jpg").read_bytes()
    assert response.content != original  # pixels encoded here, not the file
    picture = Image.open(io.BytesIO(response.content))
    assert picture.size == (1600, 1200)  # full resolution, not the 256 px thumbnail
    # other users and other items stay locked
    assert client.get(f"/cases/{ev.case}/media/{ev.by_name['plain_0.jpg']}/full"
                      ).status_code == 404


def test_a_reveal_lasts_a_set_time(viewer: tuple[Evidence, TestClient, str],
                                   evidence: tuple[Evidence, Workspace]) -> None:
    ev, client, csrf = viewer
    _, ws = evidence
    sha = ev.by_name["plain_1.jpg"]
    _reveal(client, csrf, ev.case, sha)
    assert client.get(f"/cases/{ev.case}/media/{sha}/full").status_code == 200
    assert client.get(f"/cases/{ev.case}/media/{sha}/sharp").status_code == 200
    with ws.engine.begin() as conn:  # the set time (5 minutes) has passed
        conn.execute(update(Reveal).values(revealed_at=Reveal.revealed_at - 301))
    assert client.get(f"/cases/{ev.case}/media/{sha}/full").status_code == 404
    assert client.get(f"/cases/{ev.case}/media/{sha}/sharp").status_code == 404
    _reveal(client, csrf, ev.case, sha)  # a new reveal, logged again
    assert client.get(f"/cases/{ev.case}/media/{sha}/full").status_code == 200
    with ws.engine.connect() as conn:
        reveals = conn.scalars(select(AuditEntry.target).where(AuditEntry.action == "reveal"))
        assert list(reveals).count(sha) == 2


def test_container_members_open_and_undecodable_files_are_never_served(
        viewer: tuple[Evidence, TestClient, str]) -> None:
    ev, client, csrf = viewer
    member = ev.by_name["packed.jpg"]  # inside bundle.zip: reopened by its locator
    _reveal(client, csrf, ev.case, member)
    response = client.get(f"/cases/{ev.case}/media/{member}/full")
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(response.content)).size == (300, 200)
    svg = ev.by_name["drawing.svg"]
    _reveal(client, csrf, ev.case, svg)
    response = client.get(f"/cases/{ev.case}/media/{svg}/full")
    assert response.status_code == 409
    assert b"<script" not in response.content and "svg" not in response.headers["content-type"]
    page = client.get(f"/cases/{ev.case}/media/{svg}").text
    assert "alert(1)" not in page


def test_a_file_changed_since_ingest_is_not_shown(tmp_path: Path) -> None:
    files = tmp_path / "seized"
    build_evidence(files)
    for extra in ("clips", "bundle.zip", "drawing.svg"):  # pictures are enough here
        target = files / extra
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[files], case="c", workers=1))
    accounts.add_user(ws, "vera", "reviewer", PASSWORD)
    accounts.grant(ws, "vera", "c")
    client = TestClient(create_app(ws, web_config()))
    csrf = login(client, "vera")
    path = files / "photos" / "plain_0.jpg"
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    _reveal(client, csrf, 1, sha)
    assert client.get(f"/cases/1/media/{sha}/full").status_code == 200
    path.write_bytes((files / "photos" / "plain_1.jpg").read_bytes())  # our own test copy
    response = client.get(f"/cases/1/media/{sha}/full")
    assert response.status_code == 409 and "changed since ingest" in response.text
    ws.close()


def test_video_keyframes_frames_and_ranged_playback(
        viewer: tuple[Evidence, TestClient, str]) -> None:
    ev, client, csrf = viewer
    sha = ev.by_name["scene.webm"]
    base = f"/cases/{ev.case}/media/{sha}"
    for tail in ("/keyframes", "/frame?i=0", "/video"):
        assert client.get(base + tail).status_code == 404  # nothing before the reveal
    thumb = client.get(base + "/thumb")  # the blurred contact sheet
    assert thumb.status_code == 200 and Image.open(io.BytesIO(thumb.content)).mode == "L"
    _reveal(client, csrf, ev.case, sha)
    frames = client.get(base + "/keyframes").json()["keyframes"]
    assert len(frames) >= 1 and frames == sorted(frames) and frames[0] == 0
    frame = client.get(base + "/frame?i=0")
    assert frame.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(frame.content)).size == (320, 240)
    assert client.get(base + f"/frame?i={len(frames)}").status_code == 404
    data = (ev.files / "clips" / "scene.webm").read_bytes()
    whole = client.get(base + "/video")
    assert whole.status_code == 200 and whole.content == data
    assert whole.headers["content-type"] == "video/webm"
    assert whole.headers["accept-ranges"] == "bytes"
    part = client.get(base + "/video", headers={"range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == data[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    tail = client.get(base + "/video", headers={"range": "bytes=-50"})
    assert tail.status_code == 206 and tail.content == data[-50:]
    rest = client.get(base + "/video", headers={"range": f"bytes={len(data) - 10}-"})
    assert rest.content == data[-10:]
    for bad in (f"bytes={len(data)}-", "bytes=5-2", "items=0-1", "bytes=-"):
        assert client.get(base + "/video", headers={"range": bad}).status_code == 416, bad


def test_an_unplayable_video_is_scrubbed_not_played(
        viewer: tuple[Evidence, TestClient, str]) -> None:
    ev, client, csrf = viewer
    sha = ev.by_name["old.mkv"]  # MPEG-4 Part 2: no browser plays it
    _reveal(client, csrf, ev.case, sha)
    assert client.get(f"/cases/{ev.case}/media/{sha}/video").status_code == 415
    assert client.get(f"/cases/{ev.case}/media/{sha}/keyframes").json()["keyframes"]
    page = client.get(f"/cases/{ev.case}/media/{sha}").text
    assert "browsers cannot play this format" in page


def test_viewer_tables_and_grid_order(viewer: tuple[Evidence, TestClient, str]) -> None:
    ev, client, _ = viewer
    sha = ev.by_name["big_camera.jpg"]
    page = client.get(f"/cases/{ev.case}/media/{sha}?sort=size&category=any").text
    assert '<table class="kv" id="exif">' in page  # EXIF as a table, not raw JSON
    assert "<th>make</th><td>DemoCam</td>" in page and "<th>gps.lat</th>" in page
    assert "<pre>" not in page
    # previous/next follow the grid's order (here by size) and keep its arguments
    sizes = sorted((p.stat().st_size, p.name) for p in (ev.files / "photos").iterdir())
    names = [name for _, name in sizes]
    middle = names[1]
    page = client.get(f"/cases/{ev.case}/media/{ev.by_name[middle]}"
                      "?sort=size&category=any&kind=image").text
    prev_sha, next_sha = ev.by_name[names[0]], ev.by_name[names[2]]
    assert f'id="prev" href="/cases/{ev.case}/media/{prev_sha}?' in page
    assert f'id="next" href="/cases/{ev.case}/media/{next_sha}?' in page
    assert "sort=size" in page.split('id="next"')[1].split(">")[0]
    back = page.split('id="back"')[0].rsplit("href=", 1)[1]
    assert f"focus={ev.by_name[middle]}" in back


def test_a_member_of_an_encrypted_volume_opens_with_the_keys_its_case_was_given(
        tmp_path: Path) -> None:
    from cumberland.pipeline.enrich import EnrichRequest, enrich
    from cumberland.settings import Settings
    from cumberland.store.models import Run
    from sources.evidence_kit import ext4_image, jpeg, luks_volume, mbr_disk

    picture = jpeg(3, (320, 240))
    work = tmp_path / "work"
    work.mkdir()
    inner = ext4_image(work / "fs.img", {"DCIM/a.jpg": picture}, work, size_mb=4)
    seized = tmp_path / "seized"
    seized.mkdir()
    mbr_disk(seized / "laptop.dd", luks_volume(work / "luks.img", inner, "horse", work))
    keys = tmp_path / "keys.txt"
    keys.write_text("horse\n")
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[seized], case="c", workers=1,
                             settings=Settings(volume_keys=str(keys))))
    accounts.add_user(ws, "vera", "reviewer", PASSWORD)
    accounts.grant(ws, "vera", "c")
    client = TestClient(create_app(ws, web_config()))
    csrf = login(client, "vera")
    sha = hashlib.sha256(picture).hexdigest()
    _reveal(client, csrf, 1, sha)
    response = client.get(f"/cases/1/media/{sha}/full")  # the keys file the triage named
    assert response.status_code == 200, response.text
    assert Image.open(io.BytesIO(response.content)).size == (320, 240)
    enrich(ws, EnrichRequest("c"))  # enrichment reopens with them too
    with ws.engine.connect() as conn:
        runs = [s.get("volume_keys") for s in conn.scalars(select(Run.settings).order_by(Run.id))]
    assert runs == [str(keys), str(keys)]
    with ws.engine.begin() as conn:  # runs that were given no keys: the volume stays locked
        conn.execute(update(Run).values(settings={}))
    response = client.get(f"/cases/1/media/{sha}/full")
    assert response.status_code == 409 and "LUKS volume: needs" in response.text
    ws.close()
