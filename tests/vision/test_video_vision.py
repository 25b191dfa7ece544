"""OCR and faces on a video's keyframes (the ones its vPDQ pass keeps): a tiny generated
video whose second shot carries a sign (DejaVu) and whose third shows scikit-image's
astronaut; its text is searchable with the time it was read at, its face clusters with the
same face in a picture, and a cap on keyframes is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import av
import cv2
import numpy as np
import pytest
from PIL import Image
from tests.vision.conftest import plain_background, reviewer_client, with_text
from typer.testing import CliRunner

from cumberland.cli import app

runner = CliRunner()
FPS = 4


def _shots() -> list[np.ndarray]:
    """Four one-second shots, far apart in PDQ: a gradient, a sign on the gradient turned
    round, the astronaut on it mirrored, the gradient upside down."""
    from skimage import data

    back = plain_background()
    astronaut = cv2.resize(np.ascontiguousarray(data.astronaut()), (300, 300),
                           interpolation=cv2.INTER_AREA)
    face = np.ascontiguousarray(back[:, ::-1])
    face[90:390, 170:470] = astronaut
    return [back, with_text(np.ascontiguousarray(back[::-1, ::-1]),
                            [("HOTEL BERLIN", 70, 200, 44)]), face,
            np.ascontiguousarray(back[::-1])]


def _video(path: Path) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height = 640, 480
        stream.pix_fmt = "yuv420p"
        for shot in _shots():
            for _ in range(FPS):
                for packet in stream.encode(av.VideoFrame.from_ndarray(shot, format="rgb24")):
                    container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from skimage import data

    base = tmp_path_factory.mktemp("videovision")
    evidence = base / "evidence"
    evidence.mkdir()
    _video(evidence / "clip.mp4")
    Image.fromarray(np.ascontiguousarray(data.astronaut())).save(evidence / "astronaut.png")
    result = runner.invoke(app, ["triage", str(evidence), "--case", "vv", "--workspace",
                                 str(base / "ws"), "--workers", "1"])
    assert result.exit_code == 0, result.output
    return base


def _row(base: Path, name: str, file: str) -> dict[str, object]:
    from sqlalchemy import text

    from cumberland.store.workspace import Workspace

    ws = Workspace(base / "ws")
    try:
        with ws.engine.connect() as conn:
            raw = conn.scalar(text(
                "SELECT s.data FROM signals s JOIN items i ON i.media_sha256 = s.media_sha256 "
                "WHERE s.name = :n AND i.path LIKE :p"), {"n": name, "p": f"%{file}"})
    finally:
        ws.close()
    assert raw is not None, (name, file)
    return raw if isinstance(raw, dict) else json.loads(raw)  # type: ignore[no-any-return]


def test_text_is_read_on_the_keyframe_that_shows_it(triaged: Path) -> None:
    ocr = _row(triaged, "ocr", "clip.mp4")
    assert [f["t"] for f in ocr["frames"]] == [1.0]  # type: ignore[union-attr, index]
    assert "hotel" in str(ocr["search"]) and ocr["keyframes"] == 4
    ws = str(triaged / "ws")
    found = runner.invoke(app, ["search", "--case", "vv", "--text", "berlin", "--json",
                                "--workspace", ws])
    hits = json.loads(found.stdout)["hits"]
    assert [Path(h["paths"][0]).name for h in hits] == ["clip.mp4"]
    assert hits[0]["matches"][0]["t"] == 1.0 and hits[0]["matches"][0]["text"] == "BERLIN"
    said = runner.invoke(app, ["search", "--case", "vv", "--text", "hotel", "--workspace", ws])
    assert "clip.mp4 at 1.0 s: HOTEL BERLIN" in said.stdout
    report = json.loads((triaged / "ws" / "reports" / "vv" / "report.json").read_text())
    assert report["text"]["pictures"][0]["lines"][0]["t"] == 1.0


def test_the_video_face_clusters_with_the_picture_of_the_same_face(triaged: Path) -> None:
    faces = _row(triaged, "faces", "clip.mp4")
    assert [f["t"] for f in faces["faces"]] == [2.0]  # type: ignore[union-attr, index]
    listed = runner.invoke(app, ["faces", "--case", "vv", "--json", "--workspace",
                                 str(triaged / "ws")])
    persons = json.loads(listed.stdout)["persons"]
    assert len(persons) == 1 and len(persons[0]["media"]) == 2
    assert sorted(f.get("t", -1) for f in persons[0]["faces"]) == [-1, 2.0]


def test_the_web_says_when_in_the_video(triaged: Path) -> None:
    from cumberland.store.workspace import Workspace

    ws = Workspace(triaged / "ws")
    try:
        client, case = reviewer_client(ws, "vv", "vic")
        page = client.get(f"/cases/{case}/text", params={"q": "hotel"})
        assert "video, at 1.0 s" in page.text
        assert 'class="word-box"' not in page.text  # not boxed on the contact sheet
        persons = client.get(f"/cases/{case}/persons/1")
        assert "video, 2.0 s" in persons.text
    finally:
        ws.close()


def test_a_cap_on_keyframes_is_recorded(triaged: Path) -> None:
    from cumberland.settings import Settings
    from cumberland.signals import registry

    data = (triaged / "evidence" / "clip.mp4").read_bytes()
    out = registry.describe(data, Settings(video_vision_keyframes=2), ["faces", "ocr"])
    faces = out["faces"]
    assert faces is not None and faces.data["keyframes_total"] == 4
    assert "4 keyframes: 2 spread over the video were looked at" in faces.reasons
    assert out["ocr"] is None  # the sign's keyframe was not among the two looked at


def test_a_video_face_is_cropped_from_its_own_keyframe(triaged: Path) -> None:
    """The video's face gets its own crop, cut from the keyframe at 2.0 s (the astronaut is
    found again in it), at most CROP_SIDE pixels, cached in the workspace and nowhere else;
    the persons pages show it blurred and greyscale until the video is revealed, then sharp."""
    import io
    import re

    from cumberland.analysis.face_crops import CROP_SIDE, video_face_crop
    from cumberland.analysis.persons import media_face
    from cumberland.signals.faces import detect_faces
    from cumberland.store import writer
    from cumberland.store.workspace import Workspace

    listed = runner.invoke(app, ["faces", "--case", "vv", "--json", "--workspace",
                                 str(triaged / "ws")])
    faces = json.loads(listed.stdout)["persons"][0]["faces"]
    video = next(f for f in faces if "t" in f)
    assert sorted(f["crop"] for f in faces) == ["keyframe", "thumbnail"]
    evidence = sorted((p.name, p.stat().st_mtime_ns) for p in (triaged / "evidence").iterdir())
    ws = Workspace(triaged / "ws")
    try:
        case = writer.case_id(ws, "vv", create=False)
        sharp = video_face_crop(ws, case, media_face(ws, case, video["face"]))
        with Image.open(io.BytesIO(sharp)) as crop:
            assert max(crop.size) <= CROP_SIDE and crop.mode == "RGB"
            assert detect_faces(np.asarray(crop), min_size=16).faces  # the face, not the sheet
        cached = [p for p in ws.root.rglob("*") if p.is_file() and p.read_bytes() == sharp]
        assert [p.relative_to(ws.root).parts[0] for p in cached] == ["face-crops"]
        client, case = reviewer_client(ws, "vv", "val")
        sha, number = video["face"].split(":")
        url = f"/cases/{case}/media/{sha}/faces/{number}"
        person = client.get(f"/cases/{case}/persons/1").text
        assert f'href="{url}/crop"' in person and f"{url}/sharp" not in person
        with Image.open(io.BytesIO(client.get(f"{url}/crop").content)) as blurred:
            assert blurred.mode == "L"  # greyscale and blurred (web/thumbs.blur)
        assert client.get(f"{url}/sharp").status_code == 404  # not revealed
        csrf = re.search(r'<meta name="csrf" content="([^"]+)">', person)
        assert csrf is not None
        assert client.post(f"/cases/{case}/media/{sha}/reveal",
                           headers={"x-csrf-token": csrf.group(1)}).status_code == 200
        assert f'href="{url}/sharp"' in client.get(f"/cases/{case}/persons").text
        assert client.get(f"{url}/sharp").content == sharp
        assert client.get(f"/cases/{case}/media/{sha}/faces/7/crop").status_code == 404
    finally:
        ws.close()
    assert sorted((p.name, p.stat().st_mtime_ns)
                  for p in (triaged / "evidence").iterdir()) == evidence


def test_a_crop_that_cannot_be_made_says_why_in_one_line(triaged: Path) -> None:
    """A picture's face has no crop of its own; a video no item holds any more cannot be
    reopened: one line each, nothing written."""
    from cumberland.analysis.face_crops import CropError, video_face_crop
    from cumberland.analysis.persons import StoredFace
    from cumberland.store.workspace import Workspace

    ws = Workspace(triaged / "ws")
    try:
        before = sorted(ws.root.rglob("*.jpg"))
        picture = StoredFace(b"\1" * 32, 0, [0.1, 0.1, 0.5, 0.5], 0.9, 0.5,
                             np.zeros(128, np.float32))
        with pytest.raises(CropError, match="not a video face"):
            video_face_crop(ws, 1, picture)
        picture.t = 2.0  # a video face of a media no item holds
        with pytest.raises(CropError, match="no item holds this media"):
            video_face_crop(ws, 1, picture)
        assert sorted(ws.root.rglob("*.jpg")) == before
    finally:
        ws.close()
