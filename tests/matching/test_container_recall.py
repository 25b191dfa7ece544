"""Held-out check: robust matching of pictures inside a zip inside an E01 finds exactly what
it finds for the same pictures in a folder, because keypoint verification reads the
members' full-resolution pixels by locator, not their 256 px thumbnails."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from cumberland.demo import synthetic_image
from cumberland.matching.library import add_library
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.store.reopen import ReopenError
from cumberland.store.workspace import Workspace
from sources.evidence_kit import e01, ext4_image, mbr_disk, zip_bytes

SEEDS = range(6)
SIZE = (1600, 1200)


def _queries() -> dict[str, bytes]:
    """Held-out views of the references that PDQ alone does not find: side crops and a
    crop of the middle, saved as JPEG at full resolution."""
    out = {}
    for seed in SEEDS:
        image = synthetic_image(seed, SIZE)
        w, h = image.size
        for name, box in (("side", (int(w * .08), 0, w, h)),
                          ("middle", (int(w * .1), int(h * .1), int(w * .9), int(h * .9)))):
            buf = io.BytesIO()
            image.crop(box).save(buf, "JPEG", quality=92)
            out[f"q{seed}-{name}.jpg"] = buf.getvalue()
    return out


def _recall(ws: Workspace, source: Path) -> set[str]:
    result = triage(ws, TriageRequest(sources=[source], libraries=["refs"], case="held-out"))
    return {Path(m["path"].rsplit(" › ", 1)[-1]).name for m in result.summary["matches"]
            if m["method"] == "local-features" or m["method"].startswith("pdq")}


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    lib = tmp_path_factory.mktemp("lib")
    for seed in SEEDS:
        synthetic_image(seed, SIZE).save(lib / f"ref{seed}.jpg", quality=92)
    return lib


def _workspace(base: Path, library: Path) -> Workspace:
    ws = Workspace(base)
    add_library(ws, library, "refs")
    return ws


@pytest.mark.slow
def test_recall_inside_a_zip_inside_an_e01_equals_recall_in_a_folder(
        library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    queries = _queries()
    folder = tmp_path / "folder"
    folder.mkdir()
    for name, data in queries.items():
        (folder / name).write_bytes(data)
    work = tmp_path / "work"
    work.mkdir()
    fs = ext4_image(work / "fs.img", {"Users/a/held-out.zip": zip_bytes(queries)}, work,
                    size_mb=16)
    laptop = e01(mbr_disk(work / "disk.dd", fs), tmp_path / "laptop")

    in_folder = _recall(_workspace(tmp_path / "ws-folder", library), folder)
    in_e01 = _recall(_workspace(tmp_path / "ws-e01", library), laptop)
    assert len(in_folder) >= len(queries) * 3 // 4
    assert in_e01 == in_folder

    # Without reading members again (thumbnails only), the container's recall drops.
    def thumbnails_only(*_args: object) -> None:
        raise ReopenError("test: members not readable")

    monkeypatch.setattr("cumberland.matching.query.media_pixels", thumbnails_only)
    assert len(_recall(_workspace(tmp_path / "ws-thumbs", library), laptop)) < len(in_e01)


def test_query_pixels_of_a_member_are_full_resolution(library: Path, tmp_path: Path) -> None:
    from cumberland.matching.query import query_pixels
    from cumberland.settings import Settings
    from cumberland.signals.crypto import digest_blocks

    data = _queries()["q0-side.jpg"]
    work = tmp_path / "work"
    work.mkdir()
    fs = ext4_image(work / "fs.img", {"a.zip": zip_bytes({"q.jpg": data})}, work, size_mb=4)
    laptop = e01(mbr_disk(work / "disk.dd", fs), tmp_path / "laptop")
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[laptop], case="px"))
    rgb = query_pixels(ws, digest_blocks([data]).sha256, Settings(pdq_draft_min_side=0))
    assert rgb is not None and rgb.shape[:2] == Image.open(io.BytesIO(data)).size[::-1]
