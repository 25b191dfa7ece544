"""Video facts, vPDQ frame hashes, pruning, contact sheets, truncated files, vPDQ matching."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from cumberland.matching.video import match_videos
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.signals.pdq import hamming
from cumberland.signals.video import VideoError, hash_video
from cumberland.store.models import Match
from cumberland.store.workspace import Workspace
from sources.evidence_kit import reencode, video

SEEDS = [1, 2, 3, 4]


@pytest.fixture(scope="module")
def videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("videos")
    original = video(root / "original.mp4", SEEDS)
    return {
        "original": original,
        "reencoded": reencode(original, root / "copy.mkv", "mpeg4", (240, 180), 150_000),
        "unrelated": video(root / "other.mp4", [11, 12, 13, 14]),
        "still": video(root / "still.mp4", [5], seconds_per_scene=1, fps=4),
    }


def _hash(path: Path, settings: Settings | None = None):  # type: ignore[no-untyped-def]
    with path.open("rb") as fh:
        return hash_video(fh, settings or Settings())


def test_facts_and_one_frame_per_second(videos: dict[str, Path]) -> None:
    facts = _hash(videos["original"])
    assert facts.meta["codec"] == "h264" and facts.meta["fps"] == 12.0
    assert facts.meta["duration"] == pytest.approx(8.0, abs=0.2)
    assert (facts.width, facts.height) == (320, 240)
    assert facts.error is None
    assert [round(f.ts) for f in facts.frames] == list(range(8))
    assert all(f.quality >= 50 for f in facts.frames)
    sheet = Image.open(io.BytesIO(facts.thumbnail or b""))
    assert sheet.format == "JPEG" and sheet.size == (256, 256)


def test_interval_is_configurable_and_near_identical_frames_are_pruned(
        videos: dict[str, Path]) -> None:
    half = _hash(videos["original"], Settings(video_frame_interval_ms=500))
    assert len(half.frames) == 16
    frozen = Settings(video_frame_interval_ms=250, video_prune_distance=256)
    pruned = _hash(videos["original"], frozen)
    assert len(pruned.frames) == 1 and pruned.meta["frames_sampled"] == 32


def test_reencoded_frames_stay_close(videos: dict[str, Path]) -> None:
    a, b = _hash(videos["original"]), _hash(videos["reencoded"])
    assert b.meta["codec"] == "mpeg4" and (b.width, b.height) == (240, 180)
    close = sum(min(hamming(x.pdq, y.pdq) for y in b.frames) <= 31 for x in a.frames)
    assert close >= 0.8 * len(a.frames)


def test_truncated_video_keeps_decoded_frames_and_records_the_error(
        videos: dict[str, Path], tmp_path: Path) -> None:
    data = videos["reencoded"].read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    facts = _hash(cut)
    assert 0 < len(facts.frames) < 8
    assert facts.error is not None and "stopped" in facts.error
    with pytest.raises(VideoError):
        hash_video(io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + bytes(500)), Settings())


def _vpdq_file(path: Path, source: Path) -> Path:
    facts = _hash(source)
    lines = [f"{f.idx},{f.quality},{f.pdq.hex()},{f.ts:.3f}" for f in facts.frames]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_vpdq_match_finds_the_reencoded_copy_not_the_unrelated_video(
        videos: dict[str, Path], tmp_path: Path) -> None:
    seized = tmp_path / "seized"
    seized.mkdir()
    for name in ("reencoded", "unrelated"):
        (seized / videos[name].name).write_bytes(videos[name].read_bytes())
    known = _vpdq_file(tmp_path / "known-video.vpdq", videos["original"])
    ws = Workspace(tmp_path / "ws")
    outcome = triage(ws, TriageRequest(sources=[seized], alert_sets=[known],
                                       settings=Settings(workers=1)))
    matches = [m for m in outcome.summary["matches"] if m["method"] == "vpdq"]
    assert [Path(m["path"]).name for m in matches] == ["copy.mkv"]
    evidence = matches[0]["evidence"]
    assert evidence["matched_fraction"] >= 0.8
    assert evidence["known_frames"] == 8
    # Matching again adds nothing; a stricter rule rejects what the default accepts.
    case = 1
    assert match_videos(ws, case, Settings()) == 1
    with ws.session() as session:
        assert session.query(Match).filter(Match.method == "vpdq").count() == 1
    assert match_videos(ws, case, Settings(video_match_percent=101)) == 0
    ws.close()
