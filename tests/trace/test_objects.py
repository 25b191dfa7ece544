"""Candidate objects: cut from full-resolution pixels, painted over outside the polygon,
re-encoded with no metadata, random ids, and the safety rules before approval."""

from __future__ import annotations

import importlib.util
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import select

from cumberland.intel.trace import safety
from cumberland.intel.trace.objects import (
    Draft,
    ObjectError,
    add_object,
    approve,
    decode,
    get_object,
    withdraw,
)
from cumberland.settings import Settings
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store import accounts
from cumberland.store.hashset_import import import_hashset
from cumberland.store.models import AuditEntry

from .conftest import MUG, PASSWORD, Scene, add_picture

SETTINGS = Settings()
EXIFTOOL = shutil.which("exiftool")
ALLOWED_GROUPS = {"ExifTool", "System", "File", "Composite", "SourceFile"}


def draft(scene: Scene, **changes: object) -> Draft:
    base: dict[str, object] = {"case": scene.case, "media": scene.sha256, "region": MUG,
                               "title": "Red mug with a yellow star", "category": "packaging",
                               "hints": ("Where is this mug sold?",), "languages": ("en",)}
    return Draft(**{**base, **changes})  # type: ignore[arg-type]


def full_pixels(scene: Scene) -> np.ndarray:
    with Image.open(scene.picture) as image:
        return np.asarray(image.convert("RGB"))


def actions(scene: Scene) -> list[str]:
    with scene.ws.engine.connect() as conn:
        return list(conn.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def metadata_groups(data: bytes, tmp: Path) -> set[str]:
    path = tmp / "crop.jpg"
    path.write_bytes(data)
    out = subprocess.run([EXIFTOOL or "exiftool", "-j", "-a", "-G1", "-u", str(path)],
                         capture_output=True, text=True, check=True).stdout
    return {key.split(":")[0] for key in json.loads(out)[0]}


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) not installed")
def test_the_source_picture_carries_metadata(scene: Scene, tmp_path: Path) -> None:
    """(So the next test would fail if anything of it were carried over.)"""
    groups = metadata_groups(scene.picture.read_bytes(), tmp_path)
    assert {"IFD0", "JFIF", "File"} <= groups
    assert "Comment" in json.dumps(subprocess.run(
        ["exiftool", "-j", str(scene.picture)], capture_output=True, text=True).stdout)


@pytest.mark.skipif(EXIFTOOL is None, reason="exiftool (libimage-exiftool-perl) not installed")
def test_crop_has_no_metadata_by_pillow_or_exiftool(scene: Scene, tmp_path: Path) -> None:
    obj = add_object(scene.ws, draft(scene, polygon="320,430 800,440 790,860 330,850",
                                     fill="blur"), "ivan", SETTINGS)
    with Image.open(io.BytesIO(obj.image)) as image:
        assert image.format == "JPEG"
        assert not image.getexif()
        assert not getattr(image, "applist", [])  # no APPn segment at all (JFIF, EXIF, XMP...)
        for key in ("exif", "icc_profile", "comment", "xmp", "photoshop", "jfif", "dpi",
                    "adobe", "mpinfo"):
            assert key not in image.info, key
    assert b"Exif" not in obj.image and b"DemoCam" not in obj.image
    assert b"shot by a benign camera" not in obj.image
    groups = metadata_groups(obj.image, tmp_path)
    assert groups <= ALLOWED_GROUPS, groups - ALLOWED_GROUPS


def test_crop_comes_from_full_resolution_pixels(scene: Scene) -> None:
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    assert (obj.width, obj.height) == (520, 460)  # a 1600 px JPEG decodes at 1/2 for hashing
    x, y, w, h = (int(v) for v in MUG.split(","))
    original = full_pixels(scene)[y:y + h, x:x + w].astype(int)
    assert np.abs(decode(obj.image).astype(int) - original).mean() < 3


def test_large_regions_are_fitted_to_1024(scene: Scene) -> None:
    obj = add_object(scene.ws, draft(scene, region="0,0,1600,1200", category="view"), "ivan",
                     SETTINGS)
    assert (obj.width, obj.height) == (1024, 768)


def test_outside_the_polygon_is_flat_or_heavily_blurred(scene: Scene) -> None:
    polygon = "300,420 820,420 820,650"  # the upper right half of the region, a triangle
    flat = decode(add_object(scene.ws, draft(scene, polygon=polygon), "ivan", SETTINGS).image)
    blurred = decode(add_object(scene.ws, draft(scene, polygon=polygon, fill="blur"), "ivan",
                                SETTINGS).image).astype(float)
    corner = (slice(300, 450), slice(0, 120))  # lower left: outside the triangle
    assert np.abs(flat[corner].astype(int) - 128).max() <= 3
    x, y, w, h = (int(v) for v in MUG.split(","))
    original = full_pixels(scene)[y:y + h, x:x + w].astype(float)
    edges = np.abs(np.diff(original[corner], axis=1)).max()
    left = np.abs(np.diff(blurred[corner], axis=1)).max()
    assert edges > 60 and left < 6  # the mug's edge and the table's grain are gone
    inside = (slice(10, 60), slice(400, 500))
    assert np.abs(flat[inside].astype(int) - original[inside]).mean() < 3


def test_upright_coordinates_follow_the_exif_orientation(scene: Scene) -> None:
    upright = Image.new("RGB", (600, 900), (20, 120, 200))
    upright.paste((240, 240, 20), (0, 0, 600, 300))  # the top third is yellow when upright
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a sideways camera stores it
    sha = add_picture(scene.ws, scene.case_id, 1, scene.root / "sideways.jpg", stored,
                      orientation=6)
    obj = add_object(scene.ws, draft(scene, media=sha, region="0,0,600,300"), "ivan", SETTINGS)
    assert (obj.width, obj.height) == (600, 300)
    assert np.abs(decode(obj.image).astype(int) - (240, 240, 20)).mean() < 6


def test_public_ids_are_random(scene: Scene) -> None:
    ids = {add_object(scene.ws, draft(scene), "ivan", SETTINGS).public_id for _ in range(3)}
    assert len(ids) == 3
    for public_id in ids:
        assert re.fullmatch(r"[a-z2-7]{16}", public_id)
        assert public_id[:8] not in scene.sha256 and public_id not in str(scene.picture)


@pytest.mark.parametrize(("changes", "words"), [
    ({"region": "1500,1100,300,300"}, "outside the 1600x1200 picture"),
    ({"region": "10,10,4,4"}, "at least 16 px"),
    ({"region": "a,b,c,d"}, "whole numbers"),
    ({"polygon": "1,1 2,2"}, "3 to 200"),
    ({"category": "weapon"}, "category must be one of"),
    ({"title": "   "}, "title is empty"),
    ({"languages": ("english",)}, "ISO 639"),
    ({"media": "0" * 64}, "no item of this case"),
])
def test_bad_requests_are_one_line_refusals(scene: Scene, changes: dict[str, object],
                                            words: str) -> None:
    with pytest.raises(ObjectError, match=words):
        add_object(scene.ws, draft(scene, **changes), "ivan", SETTINGS)


def test_roles(scene: Scene) -> None:
    with pytest.raises(ObjectError, match="may not trace"):
        add_object(scene.ws, draft(scene), "rita", SETTINGS)  # a reviewer
    with pytest.raises(ObjectError, match="may not trace"):
        add_object(scene.ws, draft(scene), "anna", SETTINGS)  # an approver
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    with pytest.raises(ObjectError, match="may not approve"):
        approve(scene.ws, obj.public_id, "olga", SETTINGS, True, "looked")  # an investigator
    with pytest.raises(ObjectError, match="not a member"):
        approve(scene.ws, obj.public_id, "otto", SETTINGS, True, "looked")


def test_the_maker_never_approves_their_own_object(scene: Scene) -> None:
    accounts.add_user(scene.ws, "root", "admin", PASSWORD)  # may trace and approve
    accounts.grant(scene.ws, "root", scene.case)
    obj = add_object(scene.ws, draft(scene), "root", SETTINGS)
    with pytest.raises(ObjectError, match="second person"):
        approve(scene.ws, obj.public_id, "root", SETTINGS, True, "it is fine")
    assert get_object(scene.ws, obj.public_id).state == "candidate"
    assert approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "no face").state == \
        "approved"


@pytest.mark.usefixtures("no_detector")
def test_without_a_face_detector_approval_needs_a_logged_override(scene: Scene) -> None:
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    assert obj.checks["faces"]["status"] == "unavailable"
    with pytest.raises(ObjectError, match="no face detector"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS)
    with pytest.raises(ObjectError, match="needs a note"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS, override_faces=True)
    done = approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "looked: a mug, no face")
    assert done.state == "approved" and done.approved_by == "anna"
    assert done.checks["face_override"]["note"] == "looked: a mug, no face"
    assert actions(scene)[-4:] == ["object-add", "object-approve-refused", "object-face-override",
                                   "object-approve"]
    with pytest.raises(ObjectError, match="not a candidate"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "again")


def test_a_face_found_refuses_and_none_found_approves(scene: Scene,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The check is wired through one function: a detector that finds a face refuses."""
    monkeypatch.setattr(safety, "_detector", lambda: ("test", lambda px: [(1, 1, 5, 5)]))
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    assert obj.checks["faces"] == {"status": "faces", "count": 1, "detector": "test",
                                   "note": "1 face(s) found in the crop"}
    with pytest.raises(ObjectError, match="face"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS)
    monkeypatch.setattr(safety, "_detector", lambda: ("test", lambda px: []))
    done = approve(scene.ws, obj.public_id, "anna", SETTINGS)
    assert done.state == "approved" and "face_override" not in done.checks


def test_a_detector_that_cannot_run_fails_closed(scene: Scene,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(pixels: np.ndarray) -> list[object]:
        raise FileNotFoundError("yunet.onnx: not the file docs/models.md records")

    monkeypatch.setattr(safety, "_detector", lambda: ("test", broken))
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    assert obj.checks["faces"]["status"] == "unavailable"
    assert "could not run: yunet.onnx" in obj.checks["faces"]["note"]
    with pytest.raises(ObjectError, match="could not run"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS)


@pytest.mark.skipif(importlib.util.find_spec(safety.FACES_MODULE) is None,
                    reason="the face detector (signals/faces.py, issue 15) is not on this branch")
def test_the_real_detector_clears_the_mug(scene: Scene) -> None:
    """With the victim-identification detector installed, a crop of a mug is checked (and
    found clear) rather than left to an override."""
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    assert obj.checks["faces"]["status"] == "clear", obj.checks["faces"]
    assert obj.checks["faces"]["detector"] == safety.FACES_MODULE
    assert approve(scene.ws, obj.public_id, "anna", SETTINGS).state == "approved"


def _alert_list(scene: Scene, pixels: np.ndarray, name: str) -> None:
    pdq, _ = pdq_from_rgb(pixels)
    path = scene.root / f"{name}.txt"
    path.write_text(f"{pdq.hex()},100,{name}\n")
    import_hashset(scene.ws, path, name, "alert", "pdq")


@pytest.mark.parametrize("what", ["crop", "picture"])
def test_an_alert_match_of_crop_or_picture_refuses_without_override(scene: Scene,
                                                                    what: str) -> None:
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    pixels = decode(obj.image) if what == "crop" else full_pixels(scene)
    _alert_list(scene, np.ascontiguousarray(pixels), f"known-{what}")
    with pytest.raises(ObjectError, match="alert hash set"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "override faces only")
    with scene.ws.engine.connect() as conn:
        entry = conn.scalars(select(AuditEntry.details).where(
            AuditEntry.action == "object-approve-refused")).all()[-1]
    assert entry["alerts"]["hits"][0]["of"] == what
    assert entry["alerts"]["hits"][0]["set"] == f"known-{what}"


def test_an_ignore_set_is_not_an_alert(scene: Scene) -> None:
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    pdq, _ = pdq_from_rgb(np.ascontiguousarray(decode(obj.image)))
    path = scene.root / "known-good.txt"
    path.write_text(f"{pdq.hex()},100,mug\n")
    import_hashset(scene.ws, path, "known-good", "ignore", "pdq")
    assert approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "no face").state == \
        "approved"


def test_withdrawal_is_audited(scene: Scene) -> None:
    obj = add_object(scene.ws, draft(scene), "ivan", SETTINGS)
    assert withdraw(scene.ws, obj.public_id, "anna", "not needed").state == "withdrawn"
    with pytest.raises(ObjectError, match="already withdrawn"):
        withdraw(scene.ws, obj.public_id, "ivan")
    with pytest.raises(ObjectError, match="not a candidate"):
        approve(scene.ws, obj.public_id, "anna", SETTINGS, True, "x")
    assert actions(scene)[-1] == "object-withdraw"
