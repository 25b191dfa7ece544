"""A case holding one real picture file (a mug on a table, drawn from shapes), its users, and
a copy per test; the picture is registered as rows (no ingest run) but reads back through
``store.reopen`` like any ingested file."""

from __future__ import annotations

import hashlib
import io
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import insert

from cumberland.demo import mug_on_table
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store import accounts
from cumberland.store.models import Case, Item, Media, Source
from cumberland.store.workspace import Workspace
from workspace_copy import copy_workspace

PASSWORD = "benign-test-password"
MUG = "300,420,520,460"  # x,y,w,h of the mug in the 1600x1200 picture


@dataclass
class Scene:
    ws: Workspace
    root: Path
    case: str
    case_id: int
    picture: Path
    sha256: str


def add_picture(ws: Workspace, case_id: int, source_id: int, path: Path, image: Image.Image,
                exif: bytes | None = None, orientation: int | None = None) -> str:
    """Write a JPEG with camera metadata and register it as a done item of the case."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92, exif=exif or b"", comment=b"shot by a benign camera")
    data = out.getvalue()
    path.write_bytes(data)
    sha = hashlib.sha256(data).digest()
    pdq, quality = pdq_from_rgb(np.asarray(image.convert("RGB")))
    meta = {"exif": {"make": "DemoCam", **({"orientation": orientation} if orientation else {})}}
    with ws.engine.begin() as conn:
        conn.execute(insert(Media).values(
            sha256=sha, md5=hashlib.md5(data).digest(), sha1=hashlib.sha1(data).digest(),
            size=len(data), kind="image", mime="image/jpeg", width=image.width,
            height=image.height, pdq=pdq, pdq_quality=quality, has_thumb=False, meta=meta))
        conn.execute(insert(Item).values(
            case_id=case_id, source_id=source_id, path=str(path),
            path_key=hashlib.sha1(str(path).encode()).digest(), chain=[str(path)],
            raw_path=str(path).encode(), size=len(data), status="done", media_sha256=sha,
            mime="image/jpeg", deleted=False))
    return sha.hex()


def camera_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"  # Make
    exif[0x0110] = "DC-1"  # Model
    exif[0x0131] = "DemoFirmware 1.0"  # Software
    return exif.tobytes()


@pytest.fixture(scope="session")
def scene_template(tmp_path_factory: pytest.TempPathFactory) -> Scene:
    root = tmp_path_factory.mktemp("trace")
    evidence = root / "evidence"
    evidence.mkdir()
    ws = Workspace(root / "ws")
    now = time.time()
    with ws.engine.begin() as conn:
        case = conn.execute(insert(Case).values(name="op-mug", created_at=now)
                            .returning(Case.id)).scalar_one()
        source = conn.execute(insert(Source).values(
            case_id=case, uri=str(evidence), raw_path=str(evidence).encode(), kind="folder",
            added_at=now, enumerated=True).returning(Source.id)).scalar_one()
    picture = evidence / "kitchen.jpg"
    sha = add_picture(ws, case, source, picture, mug_on_table(), camera_exif())
    for name, role in (("ivan", "investigator"), ("anna", "approver"), ("rita", "reviewer"),
                       ("olga", "investigator")):
        accounts.add_user(ws, name, role, PASSWORD)
        accounts.grant(ws, name, "op-mug")
    accounts.add_user(ws, "otto", "approver", PASSWORD)  # approver of no case
    ws.close()
    return Scene(ws, root, "op-mug", case, picture, sha)


@pytest.fixture()
def scene(scene_template: Scene, tmp_path: Path) -> Iterator[Scene]:
    """A private copy of the workspace (the evidence folder is shared, read-only)."""
    copy_workspace(scene_template.root / "ws", tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    yield Scene(ws, tmp_path, scene_template.case, scene_template.case_id,
                scene_template.picture, scene_template.sha256)
    ws.close()


@pytest.fixture()
def no_detector(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in an install without the victim-identification signals: no face detector."""
    from cumberland.intel.trace import safety

    monkeypatch.setattr(safety, "_detector", lambda: None)

