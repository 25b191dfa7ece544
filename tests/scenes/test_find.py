"""Region search end to end: the local-features signal at triage, the visual-word index, the
geometric verification, ``cumberland find`` over the cases a user may see, and its one-line
refusals. All pictures are generated benign "rooms" (scene_kit.py)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from sqlalchemy import delete, select, update
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.signals import local_features as lf
from cumberland.signals import registry
from cumberland.store.accounts import add_user, grant
from cumberland.store.models import Media, SignalRecord
from cumberland.store.workspace import Workspace
from scenes.scene_kit import flat, jpeg, scene, video, warp
from workspace_copy import copy_workspace

REGION = (160, 120, 320, 240)  # a quarter of the 640 x 480 scene


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """Case c1: a scene, two second shots of it, a video of it, distractors and a flat
    fill; case c2: a third shot. Returned: the workspace path and the files' SHA-256."""
    root = tmp_path_factory.mktemp("scenes")
    room = scene(1)
    c1, c2 = root / "c1", root / "c2"
    c1.mkdir()
    c2.mkdir()
    files: dict[str, bytes] = {"room.jpg": jpeg(room), "flat.png": flat()}
    homographies = {}
    for i in range(3):
        shot, m = warp(room, 10 + i)
        files[f"shot{i}.jpg"] = jpeg(shot, 80)
        homographies[f"shot{i}.jpg"] = m
    for s in range(2, 6):
        files[f"other{s}.jpg"] = jpeg(scene(s))
    for name, data in files.items():
        (c2 if name == "shot2.jpg" else c1).joinpath(name).write_bytes(data)
    video(c1 / "room.mp4", room)
    files["room.mp4"] = (c1 / "room.mp4").read_bytes()
    ws = Workspace(root / "ws")
    for case, folder in (("c1", c1), ("c2", c2)):
        triage(ws, TriageRequest(sources=[folder], case=case, settings=Settings(workers=1)))
    add_user(ws, "ann", "investigator", "password-1")
    grant(ws, "ann", "c1")
    ws.close()
    yield {"ws": root / "ws", "sha": {n: sha(d) for n, d in files.items()},
           "homography": homographies, "room": room, "root": root}


@pytest.fixture()
def ws_copy(triaged: dict[str, object], tmp_path: Path) -> Path:
    copy_workspace(triaged["ws"], tmp_path / "ws")  # type: ignore[arg-type]
    return tmp_path / "ws"


def find(ws: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["find", "--workspace", str(ws), *args])
    return result.exit_code, result.output


def test_signal_is_registered_and_records_too_few() -> None:
    assert lf.NAME in {s.name for s in registry.active(Settings())}
    rich = registry.describe(jpeg(scene(3)), names={lf.NAME})[lf.NAME]
    assert rich is not None and rich.data["n"] == lf.MAX_KEYPOINTS
    kp = lf.unpack(rich.data)
    assert kp.descriptors.shape == (lf.MAX_KEYPOINTS, 32)
    assert kp.shape is not None and kp.shape.shape == (lf.MAX_KEYPOINTS, 2)  # angle, size
    assert len(np.unique(kp.shape[:, 0])) > 50  # orientations vary over the picture
    assert kp.points[:, 0].max() < 640 and kp.points[:, 1].max() < 480
    bare = registry.describe(flat(), names={lf.NAME})[lf.NAME]
    assert bare is not None and bare.data["too_few"] is True
    assert "not searchable by region" in bare.reasons[0]
    assert lf.entries(bare.data) == []


def test_find_by_region_ranks_verified_shots_with_outlines(triaged: dict[str, object]) -> None:
    names = {v: k for k, v in triaged["sha"].items()}  # type: ignore[attr-defined]
    code, out = find(triaged["ws"], "--case", "c1",  # type: ignore[arg-type]
                     "--media", triaged["sha"]["room.jpg"],  # type: ignore[index]
                     "--region", ",".join(map(str, REGION)), "--json")
    assert code == 0, out
    got = json.loads(out)
    found = [names[r["sha256"]] for r in got["results"]]
    # every shot (c2's too: the operator sees every case) and the video; no distractor, not
    # the room itself
    assert set(found) == {"shot0.jpg", "shot1.jpg", "shot2.jpg", "room.mp4"}
    inliers = [r["inliers"] for r in got["results"]]
    assert inliers == sorted(inliers, reverse=True) and min(inliers) >= 12
    by_name = {names[r["sha256"]]: r for r in got["results"]}
    assert by_name["shot2.jpg"]["cases"] == ["c2"] and by_name["shot0.jpg"]["cases"] == ["c1"]
    assert got["also_in"] == [{"case": "c2", "results": 1}]  # the other cases, not c1
    assert by_name["room.mp4"]["kind"] == "video" and by_name["room.mp4"]["at"] is not None
    x, y, w, h = REGION
    corners = np.array([[[x, y], [x + w, y], [x + w, y + h], [x, y + h]]], np.float64)
    for name in ("shot0.jpg", "shot1.jpg"):
        truth = cv2.perspectiveTransform(corners, triaged["homography"][name])[0]  # type: ignore[index]
        outline = np.array(by_name[name]["outline"])
        assert np.abs(outline - truth).max() < 12, (name, outline, truth)


def test_find_only_in_the_users_cases_and_with_a_brought_image(
        triaged: dict[str, object]) -> None:
    names = {v: k for k, v in triaged["sha"].items()}  # type: ignore[attr-defined]
    code, out = find(triaged["ws"], "--case", "c1", "--user", "ann",  # type: ignore[arg-type]
                     "--media", triaged["sha"]["room.jpg"],  # type: ignore[index]
                     "--region", ",".join(map(str, REGION)), "--json")
    assert code == 0, out
    got = json.loads(out)
    assert got["cases"] == ["c1"]
    assert {names[r["sha256"]] for r in got["results"]} == {"shot0.jpg", "shot1.jpg",
                                                           "room.mp4"}
    assert got["also_in"] == []  # c2 is not hers to see
    code, out = find(triaged["ws"], "--case", "c2", "--user", "ann",  # type: ignore[arg-type]
                     "--image", str(Path(triaged["root"]) / "c1" / "room.jpg"))  # type: ignore[arg-type]
    assert code == 2 and "no case named 'c2'" in out
    brought = Path(triaged["root"]) / "brought.jpg"  # type: ignore[arg-type]
    crop = np.ascontiguousarray(triaged["room"][120:360, 160:480])  # type: ignore[index]
    brought.write_bytes(jpeg(crop, 90))
    code, out = find(triaged["ws"], "--case", "c1", "--image", str(brought))  # type: ignore[arg-type]
    assert code == 0, out
    assert "shot0.jpg" not in out and triaged["sha"]["room.jpg"] in out  # type: ignore[index]
    assert triaged["sha"]["shot2.jpg"] in out  # type: ignore[index]
    assert "also in: c2 (1 result)\n" in out


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "600,400,100,100"], "is outside the 640x480 image"),
    (["--region", "10,10,0,50"], "has zero size"),
    (["--region", "10,10,50"], "is not x,y,w,h"),
    ([], "--media needs --region"),
])
def test_bad_regions_are_one_line(triaged: dict[str, object], args: list[str],
                                  message: str) -> None:
    code, out = find(triaged["ws"], "--case", "c1",  # type: ignore[arg-type]
                     "--media", triaged["sha"]["room.jpg"], *args)  # type: ignore[index]
    assert code == 2 and message in out and len(out.strip().splitlines()) == 1, out


def test_unreadable_query_image_is_one_line(triaged: dict[str, object]) -> None:
    bad = Path(triaged["root"]) / "garbage.jpg"  # type: ignore[arg-type]
    bad.write_bytes(b"\xff\xd8\xff not really a jpeg" * 10)
    code, out = find(triaged["ws"], "--case", "c1", "--image", str(bad))  # type: ignore[arg-type]
    assert code == 2 and "cannot read query image" in out
    assert len(out.strip().splitlines()) == 1, out


def test_workspace_without_features_says_to_enrich(ws_copy: Path,
                                                   triaged: dict[str, object]) -> None:
    ws = Workspace(ws_copy)
    with ws.engine.begin() as conn:
        conn.execute(delete(SignalRecord).where(SignalRecord.name == lf.NAME))
    ws.close()
    shutil.rmtree(ws_copy / "scenes", ignore_errors=True)
    args = ["--case", "c1", "--media", triaged["sha"]["room.jpg"],  # type: ignore[index]
            "--region", ",".join(map(str, REGION))]
    code, out = find(ws_copy, *args)
    assert code == 2 and f"run `cumberland enrich --case CASE --signal {lf.NAME}`" in \
        " ".join(out.split())


def test_an_older_case_is_searchable_after_enrich(ws_copy: Path,
                                                  triaged: dict[str, object]) -> None:
    """A case triaged before the signal existed: no rows, no versions. ``enrich --signal``
    computes exactly it, and the search finds the shots."""
    ws = Workspace(ws_copy)
    with ws.engine.begin() as conn:
        conn.execute(delete(SignalRecord).where(SignalRecord.name == lf.NAME))
        for digest, versions in conn.execute(select(Media.sha256, Media.signal_versions)).all():
            if versions:
                conn.execute(update(Media).where(Media.sha256 == digest).values(
                    signal_versions={k: v for k, v in versions.items() if k != lf.NAME}))
    ws.close()
    shutil.rmtree(ws_copy / "scenes", ignore_errors=True)
    result = CliRunner().invoke(app, ["enrich", "--workspace", str(ws_copy), "--case", "c1",
                                      "--signal", lf.NAME, "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert f"computed {lf.NAME}" in result.output
    code, out = find(ws_copy, "--case", "c1", "--media",
                     triaged["sha"]["room.jpg"],  # type: ignore[index]
                     "--region", ",".join(map(str, REGION)), "--json")
    assert code == 0, out
    found = {r["sha256"] for r in json.loads(out)["results"]}
    assert triaged["sha"]["shot0.jpg"] in found  # type: ignore[index]
    assert triaged["sha"]["shot2.jpg"] not in found  # c2 was not enriched  # type: ignore[index]


def test_find_by_a_video_queries_its_keyframes(triaged: dict[str, object]) -> None:
    """--media of a video: each keyframe's stored keypoints are a query; one result per
    media (its best keyframe match), with the query keyframes that found it."""
    names = {v: k for k, v in triaged["sha"].items()}  # type: ignore[attr-defined]
    code, out = find(triaged["ws"], "--case", "c1",  # type: ignore[arg-type]
                     "--media", triaged["sha"]["room.mp4"], "--json")  # type: ignore[index]
    assert code == 0, out
    got = json.loads(out)
    assert got["query"]["keyframes"] and got["query"]["sha256"] == triaged["sha"]["room.mp4"]  # type: ignore[index]
    found = [names[r["sha256"]] for r in got["results"]]
    assert len(found) == len(set(found))  # grouped per media
    assert {"room.jpg", "shot0.jpg"} <= set(found) and "room.mp4" not in found
    assert not {n for n in found if n.startswith("other")}
    for r in got["results"]:
        assert set(r["query_at"]) <= set(got["query"]["keyframes"]) and r["query_at"]
    code, out = find(triaged["ws"], "--case", "c1",  # type: ignore[arg-type]
                     "--media", triaged["sha"]["room.mp4"], "--region", "0,0,5000,10")  # type: ignore[index]
    assert code == 2 and "is outside the 320x240 image" in out
