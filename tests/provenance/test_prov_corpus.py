"""Issue 5 acceptance on the shared benign corpus (skipped cleanly when it is absent)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image
from prov_helpers import CORPUS

from cumberland.signals.provenance import assess

pytestmark = pytest.mark.shared

EXPECTED = {
    "AUTOMATIC1111": "AUTOMATIC1111",
    "ComfyUI": "ComfyUI",
    "Fooocus": "Fooocus",
    "InvokeAI": "InvokeAI",
    "NovelAI": "NovelAI",
}


def _files(sub: str, pattern: str = "*") -> list[Path]:
    folder = CORPUS / sub
    if not folder.is_dir():
        pytest.skip("shared corpus absent")
    return sorted(p for p in folder.glob(pattern) if p.is_file())


def test_generator_metadata_files() -> None:
    files = _files("genai/metadata/parsers", "*/*")
    assert files
    for path in files:
        report = assess(path.read_bytes(), None)
        generators = {
            f.data["generator"] for f in report.findings if f.kind == "generator-metadata"
        }
        assert EXPECTED[path.parent.name] in generators, (path.name, report.reasons, report.errors)
        assert report.level == "strong"
        g = next(f.data for f in report.findings if f.kind == "generator-metadata")
        assert g["prompt_present"] and g.get("seed")


def test_c2pa_files_have_manifest_findings() -> None:
    files = _files("c2pa", "*.jpg")
    assert files
    for path in files:
        report = assess(path.read_bytes(), None)
        assert any(f.signal == "c2pa" for f in report.findings), path.name
    xca = assess((CORPUS / "c2pa" / "XCA.jpg").read_bytes(), None)
    assert next(f for f in xca.findings if f.signal == "c2pa").data["tampered"] is True


# sd-prompt-reader's bad images: what each must give (level, generators, errors)
BAD_IMAGES = {
    "empty_file.png": ("none", set(), []),  # nothing to read is not an error
    "empty_image.jpg": ("none", set(), []),
    "empty_image.png": ("none", set(), []),
    # parameters written after the image data, which Pillow's info never sees
    "text_after_idat.png": ("strong", {"AUTOMATIC1111"}, []),
}


def test_bad_images_never_raise() -> None:
    files = _files("genai/metadata/bad_images")
    assert {p.name for p in files} == set(BAD_IMAGES)
    for path in files:
        report = assess(path.read_bytes(), None)
        generators = {f.data["generator"] for f in report.findings
                      if f.kind == "generator-metadata"}
        assert (report.level, generators, report.errors) == BAD_IMAGES[path.name], path.name


def test_no_photo_gets_declared_ai_or_strong() -> None:
    photos = _files("photos") + [p for p in _files("camera", "**/*")]
    assert len(photos) > 100
    for path in photos:
        data = path.read_bytes()
        try:
            image: Image.Image | None = Image.open(path)
            image.load()
        except Exception:
            image = None
        report = assess(data, image)
        assert report.level not in ("declared-ai", "strong"), (path, report.reasons)
