"""Plug-in embeddings end to end: a tiny benign ONNX model pair built here (embed_kit.py),
the ``embedding:<plug-in>`` signal at triage, ``cumberland find --like`` and
``--text-query`` over the cases a user may see, and the one-line refusals."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import delete, select, update
from tests.web.conftest import PASSWORD, login, web_config
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.index import vectors
from cumberland.index.vectors import VectorIndex
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.signals import embeddings, registry
from cumberland.signals.plugins import (
    PluginError,
    TextEmbedder,
    load_image_embedders,
    parse_manifest,
    plugin_manifests,
)
from cumberland.store.accounts import add_user, grant
from cumberland.store.models import Media, Run, SignalRecord
from cumberland.store.workspace import Workspace
from scenes.embed_kit import IMAGE_MANIFEST, PICTURES, plugin_folder, text_model
from scenes.scene_kit import video
from workspace_copy import copy_workspace

SIGNAL = "embedding:chroma"


def sha(name: str) -> str:
    return hashlib.sha256(PICTURES[name]).hexdigest()


@pytest.fixture(scope="module")
def triaged(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Case c1: four pictures (one a near copy of another) and a video of the red one; case
    c2: a third copy; both triaged with the plug-ins; ann is a member of c1 only, rita of
    both."""
    root = tmp_path_factory.mktemp("pictures")
    plugins = plugin_folder(root / "plugins")
    for name, data in PICTURES.items():
        folder = root / ("c2" if name == "elsewhere.png" else "c1")
        folder.mkdir(exist_ok=True)
        (folder / name).write_bytes(data)
    video(root / "c1" / "red.mp4", np.asarray(Image.open(io.BytesIO(PICTURES["red.png"]))))
    ws = Workspace(root / "ws")
    for case in ("c1", "c2"):
        triage(ws, TriageRequest(sources=[root / case], case=case, settings=Settings(
            workers=1, plugins_dir=str(plugins))))
    add_user(ws, "ann", "investigator", PASSWORD)
    grant(ws, "ann", "c1")
    add_user(ws, "rita", "reviewer", PASSWORD)
    grant(ws, "rita", "c1")
    grant(ws, "rita", "c2")
    ws.close()
    yield {"ws": root / "ws", "plugins": plugins, "root": root,
           "video": hashlib.sha256((root / "c1" / "red.mp4").read_bytes()).hexdigest()}


def find(ws: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["find", "--workspace", str(ws), *args])
    return result.exit_code, result.output


def ranked(ws: Path, *args: str) -> list[str]:
    code, out = find(ws, *args, "--json")
    assert code == 0, out
    return [r["sha256"] for r in json.loads(out)["results"]]


def test_signal_stores_a_float16_vector(triaged: dict[str, Path]) -> None:
    settings = Settings(plugins_dir=str(triaged["plugins"]))
    signal = next(s for s in registry.active(settings) if s.name == SIGNAL)
    assert signal.version == "1" and "onnx:chroma" not in {s.name for s in
                                                            registry.active(settings)}
    out = registry.describe(PICTURES["red.png"], settings, {SIGNAL})[SIGNAL]
    assert out is not None and out.data is not None
    vector = embeddings.decode(out.data)
    assert out.data["dtype"] == "float16" and len(out.data["vector"]) == 32  # 24 bytes
    assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-3)
    assert vector[:4].min() > 0.4 and vector[4:].max() < 0  # red up, green and blue down


def test_like_ranks_the_near_copies_first_across_permitted_cases(
        triaged: dict[str, Path]) -> None:
    ws = triaged["ws"]
    every = ranked(ws, "--case", "c1", "--like", sha("mixed.png"))
    assert set(every[:2]) == {sha("mixed-copy.png"), sha("elsewhere.png")}
    assert sha("mixed.png") not in every and len(every) == 5  # the video once
    mine = ranked(ws, "--case", "c1", "--like", sha("mixed.png"), "--user", "ann")
    assert mine[0] == sha("mixed-copy.png") and sha("elsewhere.png") not in mine
    code, out = find(ws, "--case", "c1", "--like", sha("mixed.png"))
    assert code == 0 and "5 pictures like" in out and "flat index" in out
    assert "also in: c2 (1 result)" in out  # elsewhere.png
    assert ranked(ws, "--case", "c1", "--like", triaged["video"])[0] == sha("red.png")


def test_text_query_finds_the_red_picture(triaged: dict[str, Path]) -> None:
    code, out = find(triaged["ws"], "--case", "c1", "--text-query", "Red floral bedspread",
                     "--json")
    assert code == 0, out
    found = json.loads(out)
    assert found["words"] == ["red", "floral", "bedspread"] and found["model"] == "chroma"
    top = {r["sha256"]: r for r in found["results"][:2]}
    assert set(top) == {sha("red.png"), triaged["video"]}  # the red picture, the red video
    assert top[sha("red.png")]["score"] > 0.99 and top[sha("red.png")]["at"] is None
    assert top[triaged["video"]]["at"] is not None and top[triaged["video"]]["score"] > 0.9


def test_one_line_refusals(triaged: dict[str, Path], tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    copy_workspace(triaged["ws"], ws)
    cases = [("--like", "00" * 32, "no media 0000"),
             ("--like", "xyz", "is not a SHA-256"),
             ("--text-query", "purple", "none of the words")]
    for option, value, message in cases:
        code, out = find(ws, "--case", "c1", option, value)
        assert code != 0 and message in out and "Traceback" not in out, out
    code, out = find(ws, "--case", "c1", "--like", sha("red.png"), "--region", "0,0,1,1")
    assert code != 0 and "--region goes with" in out
    image_only = plugin_folder(tmp_path / "image-only", text=False)
    code, out = find(ws, "--case", "c1", "--text-query", "red", "--plugins", str(image_only))
    assert code != 0 and "no text-embedding plug-in paired with chroma" in out
    code, out = find(ws, "--case", "c1", "--like", sha("red.png"), "--plugins",
                     str(tmp_path))
    assert code != 0 and "no embedding plug-in configured" in out
    opened = Workspace(ws)
    with opened.engine.begin() as conn:
        conn.execute(delete(SignalRecord).where(SignalRecord.name == SIGNAL))
    opened.close()
    code, out = find(ws, "--case", "c1", "--text-query", "red")
    assert code != 0 and "run `cumberland enrich --case c1 --signal embedding:chroma" in out


def test_enrich_computes_embeddings_for_a_case_triaged_without(
        triaged: dict[str, Path], tmp_path: Path) -> None:
    """The module's workspace as if triaged before plug-ins: no vectors, no plug-in folder
    in its runs, the signal not in any media's versions."""
    ws = tmp_path / "ws"
    copy_workspace(triaged["ws"], ws)
    opened = Workspace(ws)
    with opened.engine.begin() as conn:
        conn.execute(delete(SignalRecord).where(SignalRecord.name == SIGNAL))
        conn.execute(update(Run).values(settings={}))
        for digest, versions in conn.execute(select(Media.sha256, Media.signal_versions)).all():
            kept = {k: v for k, v in (versions or {}).items() if k != SIGNAL}
            conn.execute(update(Media).where(Media.sha256 == digest).values(
                signal_versions=kept))
    opened.close()
    shutil.rmtree(ws / "embeddings")
    plugins = triaged["plugins"]
    code, out = find(ws, "--case", "c1", "--text-query", "red")
    assert code != 0 and "no embedding plug-in configured" in out
    code, out = find(ws, "--case", "c1", "--text-query", "red", "--plugins", str(plugins))
    assert code != 0 and "no embeddings by plug-in chroma in this workspace yet" in out
    done = CliRunner().invoke(app, [
        "enrich", "--case", "c1", "--signal", SIGNAL, "--plugins", str(plugins),
        "--workspace", str(ws), "--workers", "1"])
    assert done.exit_code == 0 and f"computed {SIGNAL}: 5 media" in done.output, done.output
    assert ranked(ws, "--case", "c1", "--text-query", "red")[0] == sha("red.png")  # its run


def test_bad_manifests_stop_the_run_with_one_line(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path / "plugins")
    (folder / "chroma.json").write_text(json.dumps(dict(IMAGE_MANIFEST, dimension=16)))
    with pytest.raises(PluginError, match="dimension 12 differs from chroma's 16"):
        plugin_manifests(folder)
    (folder / "colour-words.toml").rename(folder / "colour-words.off")
    with pytest.raises(PluginError, match=r"gives 12 numbers per vector.*dimension 16"):
        load_image_embedders(folder)
    (folder / "colour-words.off").rename(folder / "colour-words.toml")
    (folder / "chroma.json").write_text(json.dumps(dict(IMAGE_MANIFEST, dimension=0)))
    with pytest.raises(PluginError, match="dimension must be"):
        parse_manifest(folder / "chroma.json")
    (folder / "chroma.json").write_text(json.dumps(IMAGE_MANIFEST))
    (folder / "colour-words.toml").write_text(
        (folder / "colour-words.toml").read_text().replace('"chroma"', '"nothing"'))
    (tmp_path / "ev").mkdir()
    (tmp_path / "ev" / "red.png").write_bytes(PICTURES["red.png"])
    done = CliRunner().invoke(app, ["triage", str(tmp_path / "ev"), "--workspace",
                                    str(tmp_path / "ws"), "--plugins", str(folder)])
    assert done.exit_code != 0 and "Traceback" not in done.output
    assert "image_model 'nothing' is not an image-embedding plug-in" in done.output


def test_tokens_are_framed_cut_and_unknown_words_dropped(tmp_path: Path) -> None:
    folder = plugin_folder(tmp_path)
    model = TextEmbedder(parse_manifest(folder / "colour-words.toml"))
    ids, known = model.token_ids("RED, red; purple green blue yellow floral")
    assert ids == [1, 3, 3, 4, 5, 2] and known[:2] == ["red", "red"]  # start, 4 words, end
    vectors, _ = model.embed_texts(["red", "blue"])
    image = load_image_embedders(folder)[0].embed_batch([Image.new("RGB", (9, 9), (200, 0, 0))])
    assert float(vectors[0] @ image[0]) > 0.99 > float(vectors[1] @ image[0])
    text_model(folder / "colour-words.onnx", masked=True)  # int32 ids + an attention mask
    masked, _ = TextEmbedder(parse_manifest(folder / "colour-words.toml")).embed_texts(["red"])
    assert float(masked[0] @ image[0]) > 0.99  # the padding (blue) is masked out


def test_inverted_file_saved_and_reused_in_the_workspace(
        triaged: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ws = tmp_path / "ws"
    copy_workspace(triaged["ws"], ws)
    flat = ranked(ws, "--case", "c1", "--like", sha("mixed.png"))
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 2)
    code, out = find(ws, "--case", "c1", "--like", sha("mixed.png"), "--json")
    assert code == 0 and json.loads(out)["index"] == "ivf", out
    assert [r["sha256"] for r in json.loads(out)["results"]] == flat
    saved = list((ws / "embeddings").glob("*.ivf"))  # named by the rows it covers
    assert len(saved) == 1 and int(saved[0].name.split(".")[1]) >= 6  # 6 media, 1+ keyframes
    stamp = saved[0].stat().st_mtime_ns
    assert ranked(ws, "--case", "c1", "--like", sha("mixed.png")) == flat
    assert saved[0].stat().st_mtime_ns == stamp  # read again, not rebuilt


def test_inverted_file_beyond_the_flat_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    points = rng.standard_normal((2000, 16)).astype(np.float32)
    points /= np.linalg.norm(points, axis=1, keepdims=True)
    monkeypatch.setattr(vectors, "FLAT_LIMIT", 1000)
    index = VectorIndex(points)
    allowed = np.arange(2000) % 2 == 1
    assert index.kind == "ivf"
    assert index.search(points[7], 1)[0][0] == 7
    assert all(r % 2 == 1 for r, _ in index.search(points[7], 20, allowed))
    assert index.search(points[7], 5, np.zeros(2000, bool)) == []


def test_web_pictures_like_this_and_text_box_blurred_audited_permitted(
        triaged: dict[str, Path]) -> None:
    from fastapi.testclient import TestClient

    from cumberland.store.models import AuditEntry
    from cumberland.store.writer import case_id
    from cumberland.web import create_app

    ws = Workspace(triaged["ws"])
    c1, c2 = case_id(ws, "c1", create=False), case_id(ws, "c2", create=False)
    seen: dict[str, list[str]] = {}
    for name in ("rita", "ann"):
        client = TestClient(create_app(ws, web_config()))
        login(client, name)
        viewer = client.get(f"/cases/{c1}/media/{sha('mixed.png')}")
        assert f'/cases/{c1}/pictures?like={sha("mixed.png")}' in viewer.text
        page = client.get(f"/cases/{c1}/pictures", params={"like": sha("mixed.png")})
        assert page.status_code == 200 and "/sharp" not in page.text  # every tile blurred
        seen[name] = re.findall(r'class="tile picture-hit" data-sha="(\w+)" data-case="(\d+)"',
                                page.text)
        text = client.get(f"/cases/{c1}/pictures", params={"q": "red bedspread"})
        first = re.findall(r'picture-hit" data-sha="(\w+)"', text.text)[:2]
        assert set(first) == {sha("red.png"), triaged["video"]} and "video at" in text.text
        assert client.get(f"/cases/{c1}/pictures", params={"q": "purple"}).status_code == 400
    assert {s for s, _ in seen["rita"][:2]} == {sha("mixed-copy.png"), sha("elsewhere.png")}
    assert (sha("elsewhere.png"), str(c2)) in seen["rita"]
    assert sha("elsewhere.png") not in {s for s, _ in seen["ann"]} and len(seen["ann"]) == 4
    assert client.get(f"/cases/{c1}/pictures",
                      params={"like": sha("elsewhere.png")}).status_code == 404
    assert client.get(f"/cases/{c2}/pictures", params={"q": "red"}).status_code in (403, 404)
    with ws.engine.connect() as conn:
        logged = conn.execute(select(AuditEntry.actor, AuditEntry.action, AuditEntry.target)
                              .where(AuditEntry.action.like("pictures-%"))).all()
    ws.close()
    assert ("rita", "pictures-like", sha("mixed.png")) in logged
    assert ("ann", "pictures-text", "red bedspread") in logged
    assert ("ann", "pictures-text", "purple") in logged  # refused searches are logged too
