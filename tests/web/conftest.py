"""Fixtures for the web workbench: two cases built straight into a workspace, users, clients.

Cases are written as rows (no ingest run), so these tests do not depend on the pipeline and
stay fast. Pictures are benign synthetic shapes from cumberland.demo.
"""

from __future__ import annotations

import hashlib
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert

from cumberland.analysis.review import refresh_queue
from cumberland.demo import synthetic_image
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store import accounts
from cumberland.store.models import (
    Case,
    HashEntry,
    HashSet,
    Item,
    Match,
    Media,
    SignalRecord,
    Source,
)
from cumberland.store.workspace import Workspace
from cumberland.web import create_app
from cumberland.web.security import WebConfig
from workspace_copy import copy_workspace

PASSWORD = "benign-test-password"


@dataclass
class Built:
    ws: Workspace
    cases: dict[str, int] = field(default_factory=dict)
    media: dict[str, list[str]] = field(default_factory=dict)  # case name -> sha256 hex


def _thumb(seed: int) -> tuple[bytes, bytes, int]:
    image = synthetic_image(seed, (256, 192))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    pdq, quality = pdq_from_rgb(np.asarray(image))
    return out.getvalue(), pdq, quality


def add_case(ws: Workspace, name: str, seeds: list[int], *, camera: set[int] = frozenset(),
             matched: set[int] = frozenset(), deleted: set[int] = frozenset(),
             duplicates: int = 0) -> tuple[int, list[str]]:
    """A case whose media are synthetic pictures; their JPEG bytes stand in for the files."""
    now = time.time()
    shas: list[str] = []
    with ws.engine.begin() as conn:
        case = conn.execute(insert(Case).values(name=name, created_at=now).returning(Case.id)
                            ).scalar_one()
        source = conn.execute(insert(Source).values(
            case_id=case, uri=f"/evidence/{name}", raw_path=f"/evidence/{name}".encode(),
            kind="folder", added_at=now, enumerated=True).returning(Source.id)).scalar_one()
        hashset = None
        if matched:
            hashset = conn.execute(insert(HashSet).values(
                name=f"known-{name}", purpose="alert", format="vics", version="2.0",
                category_scheme="vics-us", source_path="known.json", file_sha256=b"\0" * 32,
                file_size=1, entry_count=len(matched), skipped_count=0, imported_at=now,
                properties={}).returning(HashSet.id)).scalar_one()
        for index, seed in enumerate(seeds):
            data, pdq, quality = _thumb(seed)
            sha = hashlib.sha256(data).digest()
            shas.append(sha.hex())
            meta = {"exif": {"make": "DemoCam", "model": "DC-1"}} if index in camera else {}
            conn.execute(insert(Media).values(
                sha256=sha, md5=hashlib.md5(data).digest(), sha1=hashlib.sha1(data).digest(),
                size=len(data), kind="image", mime="image/jpeg", width=256, height=192, pdq=pdq,
                pdq_quality=quality, has_thumb=True, ai_level=None, meta=meta))
            conn.execute(insert(SignalRecord).values(
                media_sha256=sha, name="provenance", version=1,
                data={"level": "none", "reasons": ["no generator metadata found"]}))
            ws.write_thumb(sha, data)
            copies = 1 + (duplicates if index == 0 else 0)
            for copy in range(copies):
                path = f"/evidence/{name}/pics/{'copy' if copy else 'img'}_{index:03d}_{copy}.jpg"
                conn.execute(insert(Item).values(
                    case_id=case, source_id=source, path=path,
                    path_key=hashlib.sha1(path.encode()).digest(), chain=[path],
                    raw_path=path.encode(), size=len(data), status="done", media_sha256=sha,
                    mime="image/jpeg", deleted=index in deleted, modified=now))
            if index in matched and hashset is not None:
                entry = conn.execute(insert(HashEntry).values(
                    hashset_id=hashset, md5=hashlib.md5(data).digest(), category=1,
                    name=f"known_{index}.jpg").returning(HashEntry.id)).scalar_one()
                conn.execute(insert(Match).values(
                    media_sha256=sha, hashset_id=hashset, entry_id=entry, method="md5",
                    distance=None, category=1, evidence={}))
        conn.execute(insert(Item).values(
            case_id=case, source_id=source, path=f"/evidence/{name}/broken.jpg",
            path_key=hashlib.sha1(f"{name}broken".encode()).digest(), chain=["broken.jpg"],
            size=10, status="error", reason="truncated JPEG", deleted=False))
    refresh_queue(ws, case)
    return case, shas


@pytest.fixture(scope="session")
def built_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Built]:
    """Case ``alpha`` (alice reviewer, root admin, audrey auditor), ``bravo`` (bob
    investigator); built once, copied for each test (argon2 and migrations are slow)."""
    root = tmp_path_factory.mktemp("web") / "ws"
    ws = Workspace(root)
    out = Built(ws)
    out.cases["alpha"], out.media["alpha"] = add_case(
        ws, "alpha", list(range(200, 208)), camera={1, 2}, matched={3}, deleted={4},
        duplicates=2)
    out.cases["bravo"], out.media["bravo"] = add_case(ws, "bravo", [300, 301, 302])
    for name, role, case in (("alice", "reviewer", "alpha"), ("root", "admin", "alpha"),
                             ("bob", "investigator", "bravo"), ("audrey", "auditor", "alpha")):
        accounts.add_user(ws, name, role, PASSWORD)
        accounts.grant(ws, name, case)
    ws.close()
    return root, out


@pytest.fixture()
def built(built_template: tuple[Path, Built], tmp_path: Path) -> Iterator[Built]:
    """A private copy of the template workspace."""
    source, template = built_template
    copy_workspace(source, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    yield Built(ws, dict(template.cases), {k: list(v) for k, v in template.media.items()})
    ws.close()


def web_config(**settings: Any) -> WebConfig:
    """The settings tests serve with: TestClient's host name allowed, three login attempts."""
    base: dict[str, Any] = {"login_attempts": 3,
                            "allowed_hosts": ("testserver", *WebConfig().allowed_hosts)}
    return WebConfig(**{**base, **settings})


@pytest.fixture()
def app(built: Built) -> FastAPI:
    return create_app(built.ws, web_config())


def login(client: TestClient, name: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns the session's CSRF token."""
    page = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post("/login", data={"name": name, "password": password,
                                           "csrf": token.group(1)}, follow_redirects=False)
    assert response.status_code == 303, response.text
    home = client.get("/")
    csrf = re.search(r'<meta name="csrf" content="([^"]+)">', home.text)
    assert csrf is not None
    return csrf.group(1)


@pytest.fixture()
def client(app: FastAPI) -> TestClient:
    return TestClient(app)


# --- a case ingested from real files, for the viewer (full resolution, video, containers) ----


@dataclass
class Evidence:
    root: Path  # the workspace directory
    files: Path  # the evidence folder
    case: int
    by_name: dict[str, str]  # file name -> media sha256 hex


def _exif_jpeg(seed: int, size: tuple[int, int], taken: str, camera: tuple[str, str] | None,
               gps: bool = False, quality: int = 90) -> bytes:
    image = synthetic_image(seed, size)
    exif = image.getexif()
    exif[0x0132] = taken  # DateTime (IFD0)
    if camera:
        exif[0x010F], exif[0x0110] = camera
    sub = exif.get_ifd(0x8769)
    sub[0x9003] = taken  # DateTimeOriginal
    if gps:
        exif[0x8825] = {1: "N", 2: (52.0, 30.0, 0.0), 3: "E", 4: (13.0, 24.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, exif=exif)
    return out.getvalue()


def build_evidence(folder: Path) -> None:
    """Benign pictures of shapes (one large, with EXIF and GPS), two videos of moving shapes
    (VP8 in WebM, which browsers play; MPEG-4 Part 2 in Matroska, which they do not), a zip
    with a picture inside, and an SVG that carries a script."""
    import zipfile

    from sources.evidence_kit import reencode, video

    photos = folder / "photos"
    photos.mkdir(parents=True)
    (photos / "big_camera.jpg").write_bytes(_exif_jpeg(
        900, (1600, 1200), "2021:06:01 10:00:00", ("DemoCam", "DC-9"), gps=True))
    for n, (taken, w) in enumerate([("2019:03:04 08:00:00", 320), ("2020:01:02 12:00:00", 480),
                                    ("2022:12:31 23:00:00", 400)]):
        (photos / f"plain_{n}.jpg").write_bytes(_exif_jpeg(910 + n, (w, w * 3 // 4), taken,
                                                           None))
    clips = folder / "clips"
    clips.mkdir()
    video(clips / "scene.webm", [921, 922], codec="libvpx", size=(320, 240), fps=8,
          seconds_per_scene=2, bitrate=400_000)
    reencode(clips / "scene.webm", clips / "old.mkv", "mpeg4", (240, 180), 200_000)
    buffer = io.BytesIO()
    synthetic_image(930, (300, 200)).save(buffer, "JPEG")
    with zipfile.ZipFile(folder / "bundle.zip", "w") as archive:
        archive.writestr("inside/packed.jpg", buffer.getvalue())
    (folder / "drawing.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
        '<script>alert(1)</script><rect width="10" height="10"/></svg>')


@pytest.fixture(scope="session")
def evidence_template(tmp_path_factory: pytest.TempPathFactory) -> Evidence:
    from sqlalchemy import select

    from cumberland.pipeline.triage import TriageRequest, triage

    base = tmp_path_factory.mktemp("viewer")
    files = base / "seized"
    build_evidence(files)
    ws = Workspace(base / "ws")
    triage(ws, TriageRequest(sources=[files], case="views", workers=1))
    with ws.engine.connect() as conn:
        case = int(conn.scalar(select(Case.id).where(Case.name == "views")))
        rows = conn.execute(select(Item.path, Item.media_sha256).where(
            Item.case_id == case, Item.media_sha256.is_not(None))).all()
    by_name = {r.path.rsplit("/", 1)[-1].split(" › ")[-1]: bytes(r.media_sha256).hex()
               for r in rows}
    for name, role in (("vera", "reviewer"), ("walt", "reviewer"), ("ivan", "investigator")):
        accounts.add_user(ws, name, role, PASSWORD)
        accounts.grant(ws, name, "views")
    ws.close()
    return Evidence(base / "ws", files, case, by_name)


@pytest.fixture()
def evidence(evidence_template: Evidence, tmp_path: Path) -> Iterator[tuple[Evidence, Workspace]]:
    """A private copy of the ingested workspace (the evidence folder is shared, read-only)."""
    copy_workspace(evidence_template.root, tmp_path / "ws")
    ws = Workspace(tmp_path / "ws")
    yield Evidence(ws.root, evidence_template.files, evidence_template.case,
                   dict(evidence_template.by_name)), ws
    ws.close()
