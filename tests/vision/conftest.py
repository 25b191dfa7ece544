"""Benign pictures for the vision tests: scikit-image's astronaut (a face shipped in the
package) and its transformed copies, and text rendered with Debian's DejaVu fonts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


@pytest.fixture(scope="session")
def astronaut() -> np.ndarray:
    from skimage import data

    return np.ascontiguousarray(data.astronaut())


def plain_background(width: int = 640, height: int = 480) -> np.ndarray:
    """A smooth colour gradient: no text, no face."""
    x = np.linspace(0, 1, width)[None, :, None]
    y = np.linspace(0, 1, height)[:, None, None]
    return (np.concatenate([60 + 120 * x + 0 * y, 90 + 60 * y + 0 * x, 150 - 80 * x * y],
                           axis=2)).astype(np.uint8)


def with_text(rgb: np.ndarray, lines: list[tuple[str, int, int, int]]) -> np.ndarray:
    """``rgb`` with each (text, x, y, cap height) drawn on a light plate."""
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    for text, x, y, size in lines:
        font = ImageFont.truetype(str(FONT), round(size / 0.73))
        left, top, right, bottom = draw.textbbox((x, y), text, font=font)
        draw.rectangle((left - 8, top - 6, right + 8, bottom + 6), fill=(240, 236, 220))
        draw.text((x, y), text, font=font, fill=(25, 25, 30))
    return np.asarray(image)


def rotate(rgb: np.ndarray, degrees: float, scale: float = 1.0) -> np.ndarray:
    h, w = rgb.shape[:2]
    warp = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, scale)
    return cv2.warpAffine(rgb, warp, (w, h), borderMode=cv2.BORDER_CONSTANT,
                          borderValue=(128, 128, 128))


def jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                           [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return cv2.cvtColor(cv2.imdecode(buf, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def damage_face_model(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The face detector's model replaced by a file that is not it; a folder holding one
    faceless picture."""
    import dataclasses

    from cumberland.signals import models

    damaged = tmp_path / "yunet.onnx"
    damaged.write_bytes(b"not a model")
    fake = dataclasses.replace(models.YUNET, module=None, path=str(damaged))
    monkeypatch.setattr(models, "FACE_MODELS", (fake,))
    folder = tmp_path / "evidence"
    folder.mkdir()
    Image.fromarray(plain_background(64, 48)).save(folder / "a.png")
    return damaged


def reviewer_client(ws: Any, case: str, user: str) -> tuple[Any, int]:
    """A logged-in TestClient of a new reviewer of ``case``, and the case's id."""
    from fastapi.testclient import TestClient
    from tests.web.conftest import PASSWORD, login, web_config

    from cumberland.store import accounts, writer
    from cumberland.web import create_app

    accounts.add_user(ws, user, "reviewer", PASSWORD)
    accounts.grant(ws, user, case)
    client = TestClient(create_app(ws, web_config()))
    login(client, user)
    return client, writer.case_id(ws, case, create=False)


def triage_case(base: Path) -> None:
    """Case ``v`` of ``base/ws``: a sign, two copies of the astronaut, a text-free picture."""
    from skimage import data
    from typer.testing import CliRunner

    from cumberland.cli import app

    evidence = base / "evidence"
    evidence.mkdir()
    Image.fromarray(with_text(plain_background(), [("HOTEL Zürich", 60, 80, 40)])).save(
        evidence / "sign.png")
    astronaut = data.astronaut()
    Image.fromarray(astronaut).save(evidence / "astronaut.png")
    Image.fromarray(astronaut[20:, 10:]).save(evidence / "astronaut-crop.jpg", quality=85)
    Image.fromarray(plain_background()).save(evidence / "plain.png")
    result = CliRunner().invoke(app, ["triage", str(evidence), "--case", "v", "--workspace",
                                      str(base / "ws"), "--workers", "1"])
    assert result.exit_code == 0, result.output
