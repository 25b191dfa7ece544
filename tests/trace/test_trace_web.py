"""Trace An Object in the workbench (without a browser): the box on a revealed picture makes a
candidate, a second person approves it, tips show per object and per case, roles hold."""

from __future__ import annotations

import importlib.util
import re

import pytest
from starlette.testclient import TestClient

from cumberland.intel.trace import safety
from cumberland.intel.trace.objects import get_object
from cumberland.intel.trace.tips import pull
from cumberland.web import create_app
from cumberland.web.security import WebConfig

from .conftest import MUG, PASSWORD, Scene

CONFIG = WebConfig(allowed_hosts=("testserver", *WebConfig().allowed_hosts))


def session(scene: Scene, name: str) -> tuple[TestClient, str]:
    client = TestClient(create_app(scene.ws, CONFIG), follow_redirects=False)
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    answer = client.post("/login", data={"name": name, "password": PASSWORD,
                                         "csrf": token.group(1)})
    assert answer.status_code == 303, answer.text
    csrf = re.search(r'<meta name="csrf" content="([^"]+)">', client.get("/").text)
    assert csrf is not None
    return client, csrf.group(1)


def make(scene: Scene, client: TestClient, csrf: str) -> str:
    base = f"/cases/{scene.case_id}"
    assert client.get(f"{base}/media/{scene.sha256}/trace").status_code == 404  # not revealed
    assert client.post(f"{base}/media/{scene.sha256}/reveal",
                       headers={"x-csrf-token": csrf}).status_code == 200
    page = client.get(f"{base}/media/{scene.sha256}/trace")
    assert page.status_code == 200 and 'data-width="1600" data-height="1200"' in page.text
    answer = client.post(f"{base}/objects", data={
        "csrf": csrf, "media": scene.sha256, "region": MUG, "title": "Red mug",
        "category": "packaging", "hints": "Where is it sold?\n\nWho makes it?",
        "languages": "en", "fill": "flat", "polygon": ""})
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


@pytest.mark.usefixtures("no_detector")  # so the override path is taken
def test_box_to_candidate_to_approved(scene: Scene) -> None:
    ivan, csrf = session(scene, "ivan")
    public_id = make(scene, ivan, csrf)
    obj = get_object(scene.ws, public_id)
    assert obj.state == "candidate" and obj.hints == ["Where is it sold?", "Who makes it?"]
    base = f"/cases/{scene.case_id}/objects/{public_id}"
    page = ivan.get(base)
    assert page.status_code == 200 and "Red mug" in page.text and 'id="approve"' not in page.text
    image = ivan.get(f"{base}/image")
    assert image.content == obj.image and image.headers["content-type"] == "image/jpeg"
    assert ivan.post(f"{base}/approve", data={"csrf": csrf}).status_code == 403  # no power
    anna, acsrf = session(scene, "anna")
    page = anna.get(base)
    assert 'id="approve"' in page.text and 'id="override-faces"' in page.text
    refused = anna.post(f"{base}/approve", data={"csrf": acsrf})
    assert refused.status_code == 400 and "no face detector" in refused.text
    done = anna.post(f"{base}/approve", data={"csrf": acsrf, "override_faces": "1",
                                              "note": "looked: a mug"})
    assert done.status_code == 303
    assert get_object(scene.ws, public_id).approved_by == "anna"
    listing = anna.get(f"/cases/{scene.case_id}/objects")
    assert public_id in listing.text and "approved" in listing.text


@pytest.mark.skipif(importlib.util.find_spec(safety.FACES_MODULE) is None,
                    reason="the face detector (signals/faces.py, issue 15) is not installed")
def test_with_the_detector_a_clear_crop_is_approved_without_override(scene: Scene) -> None:
    ivan, csrf = session(scene, "ivan")
    public_id = make(scene, ivan, csrf)
    anna, acsrf = session(scene, "anna")
    base = f"/cases/{scene.case_id}/objects/{public_id}"
    page = anna.get(base).text
    assert 'id="approve"' in page and 'id="override-faces"' not in page
    assert anna.post(f"{base}/approve", data={"csrf": acsrf}).status_code == 303
    assert get_object(scene.ws, public_id).checks["faces"]["status"] == "clear"


def test_tips_per_object_and_per_case(scene: Scene) -> None:
    ivan, csrf = session(scene, "ivan")
    public_id = make(scene, ivan, csrf)
    pull(scene.ws, scene.case, [{"uid": "d" * 32, "object": public_id, "lang": "fr",
                                 "received": "2026-12-01T09:00Z", "text": "Vu à Lyon",
                                 "contact": None}], "ivan")
    for page in (f"/cases/{scene.case_id}/objects/{public_id}", f"/cases/{scene.case_id}/tips"):
        assert "Vu à Lyon" in ivan.get(page).text
    back = f"/cases/{scene.case_id}/tips"
    tip = f"/cases/{scene.case_id}/tips/{'d' * 32}"
    assert ivan.post(f"{tip}/state", data={"csrf": csrf, "state": "useful",
                                           "back": back}).status_code == 303
    assert ivan.post(f"{tip}/note", data={"csrf": csrf, "text": "called the shop",
                                          "back": "https://elsewhere.example/"}
                     ).headers["location"] == back
    page = ivan.get(back).text
    assert 'value="useful" selected' in page and "ivan: called the shop" in page
    assert ivan.post(f"{tip}/state", data={"csrf": csrf, "state": "bogus"}).status_code == 400
    assert ivan.post(f"/cases/{scene.case_id}/tips/{'e' * 32}/state",
                     data={"csrf": csrf, "state": "useful"}).status_code == 404


@pytest.mark.parametrize("path", ["objects", "tips"])
def test_a_reviewer_sees_no_objects(scene: Scene, path: str) -> None:
    rita, _ = session(scene, "rita")
    assert rita.get(f"/cases/{scene.case_id}/{path}").status_code == 403
