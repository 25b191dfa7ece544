"""Enrichment brings an old case up to date with only the stale work: a bumped signal is
recomputed alone (with what reads it), counted in decodes and computations, and matches,
stacks, the review queue and the report follow."""

from __future__ import annotations

import dataclasses
import io
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from cumberland.pipeline.enrich import EnrichError, EnrichRequest, enrich
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.records import Output
from cumberland.settings import Settings
from cumberland.signals import base, registry
from cumberland.signals.base import Inputs
from cumberland.store.models import Match, Media, ReviewEntry, Stack
from cumberland.store.workspace import Workspace
from enrich.inline import Inline
from sources.evidence_kit import jpeg, zip_bytes
from workspace_copy import copy_workspace

CASE = "demo"
KNOWN_PDQ = bytes.fromhex("71cc84d371e8c673398c8e37e1e087398dc238ccce377b3c3071e1cc8e1b673c")


@pytest.fixture(scope="module")
def triaged(demo_tree: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo case triaged once; tests work on copies of its workspace."""
    root = tmp_path_factory.mktemp("triaged")
    ws = Workspace(root / "ws")
    seized = demo_tree / "seized"
    triage(ws, TriageRequest(
        sources=[seized], case=CASE, settings=Settings(workers=2),
        alert_sets=[demo_tree / "hashsets" / "known-vics2.json",
                    demo_tree / "hashsets" / "known-pdq.txt"],
        ignore_sets=[demo_tree / "hashsets" / "nsrl-known-good.txt"]))
    ws.close()
    return root / "ws"


@pytest.fixture()
def ws(triaged: Path, tmp_path: Path) -> Iterator[Workspace]:
    copy_workspace(triaged, tmp_path / "ws")
    opened = Workspace(tmp_path / "ws")
    yield opened
    opened.close()


@pytest.fixture()
def counted(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Every signal computation and every decode, counted where they really happen."""
    calls: Counter[str] = Counter()

    def wrap(name: str, fn: Any) -> Any:
        def counting(*args: Any, **kwargs: Any) -> Any:
            calls[name] += 1
            return fn(*args, **kwargs)
        return counting

    every = registry.for_kind

    def for_kind(signals: Iterable[Any], kind: str) -> list[Any]:  # what compute() runs
        return [dataclasses.replace(s, compute=wrap(s.name, s.compute))
                for s in every(signals, kind)]

    monkeypatch.setattr(registry, "for_kind", for_kind)
    monkeypatch.setattr(base, "decode_image", wrap("decode", base.decode_image))
    monkeypatch.setattr(base, "hash_video", wrap("decode", base.hash_video))
    return calls


def bump(monkeypatch: pytest.MonkeyPatch, name: str, compute: Any = None) -> None:
    """Version 2 of one signal (computing ``compute`` when given, else as before)."""
    monkeypatch.setattr(registry, "BUILTIN", tuple(
        dataclasses.replace(s, version=2, compute=compute or s.compute) if s.name == name
        else s for s in registry.BUILTIN))


def run(ws: Workspace, report: Path | None = None, **kwargs: Any) -> Any:
    settings = Settings()
    return enrich(ws, EnrichRequest(CASE, settings=settings, report_dir=report, **kwargs),
                  executor=Inline(settings))


def decoded_images(ws: Workspace) -> int:
    with ws.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Media).where(
            Media.kind == "image", Media.signal_versions.is_not(None))) or 0)


def versions(ws: Workspace) -> list[dict[str, Any]]:
    with ws.engine.connect() as conn:
        return [v for v in conn.scalars(select(Media.signal_versions).where(
            Media.kind == "image", Media.signal_versions.is_not(None)))]


def test_an_up_to_date_case_has_nothing_to_do(ws: Workspace, counted: Counter[str]) -> None:
    done = run(ws)
    assert done.outcome.media >= decoded_images(ws) > 10
    assert done.outcome.planned == 0 and not counted


def test_bumped_leaf_signal_alone_is_recomputed(ws: Workspace, counted: Counter[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    def tiny(inputs: Inputs) -> Output:
        picture = inputs.decoded().picture.copy()
        picture.thumbnail((32, 32))
        buf = io.BytesIO()
        picture.save(buf, "JPEG")
        return Output(thumbnail=buf.getvalue())

    bump(monkeypatch, "thumbnail", tiny)
    images = decoded_images(ws)
    done = run(ws)
    assert done.outcome.planned == images
    assert counted == {"thumbnail": images, "decode": images}
    assert done.outcome.computed == {"thumbnail": images} and done.outcome.decodes == images
    assert all(v["thumbnail"] == 2 and v["pdq"] == 1 for v in versions(ws))
    with ws.engine.connect() as conn:
        sha = conn.scalar(select(Media.sha256).where(Media.kind == "image",
                                                     Media.has_thumb.is_(True)).limit(1))
    assert max(Image.open(ws.thumb_path(sha)).size) <= 32
    counted.clear()
    assert run(ws).outcome.planned == 0 and not counted  # done once, not again


@pytest.mark.parametrize(("name", "decodes"), [("c2pa", 0), ("invisible-watermark", 1)])
def test_a_provenance_part_is_versioned_alone(ws: Workspace, counted: Counter[str],
                                              monkeypatch: pytest.MonkeyPatch, name: str,
                                              decodes: int) -> None:
    before = run(ws).summary["ai_levels"]
    bump(monkeypatch, name)
    images = decoded_images(ws)
    done = run(ws)
    # the part and the assessment that reads it; bytes-only parts need no decode
    assert counted == {name: images, "provenance": images, **(
        {"decode": images} if decodes else {})}
    assert done.outcome.decodes == decodes * images
    # the other parts' findings came from the store: the assessment is unchanged
    assert done.summary["ai_levels"] == before
    assert before["declared-ai"] == 1 and before["strong"] == 1


def test_bumped_pdq_refreshes_matches_stacks_queue_and_report(
        ws: Workspace, counted: Counter[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    def known(inputs: Inputs) -> Output:
        inputs.decoded()
        return Output(pdq=(KNOWN_PDQ, 100))  # every picture now hashes like a listed one

    images = decoded_images(ws)
    before = run(ws).summary
    assert before["matched_media"] < images
    bump(monkeypatch, "pdq", known)
    done = run(ws, tmp_path / "report")
    assert counted == {"pdq": images, "pdq-variants": images, "decode": images}
    with ws.engine.connect() as conn:
        pdq_matched = conn.scalar(select(func.count(func.distinct(Match.media_sha256)))
                                  .where(Match.method == "pdq", Match.distance == 0))
        stacks = conn.execute(select(Stack.stack, func.count()).group_by(Stack.stack)).all()
        queued = conn.execute(select(ReviewEntry.matched).where(
            ReviewEntry.kind == "image")).scalars().all()
    assert pdq_matched == images  # matching saw the new hashes
    assert [n for _, n in stacks] == [images]  # one stack: they all hash alike now
    assert sum(queued) == images  # the review queue was rebuilt with those matches
    report = json.loads((tmp_path / "report" / "report.json").read_text())
    assert report["matched_media"] >= images > before["matched_media"]
    assert report["stacks"] == done.summary["stacks"]


def test_triage_again_enriches_what_changed(demo_tree: Path, ws: Workspace,
                                            counted: Counter[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    bump(monkeypatch, "exif")
    images = decoded_images(ws)
    settings = Settings()
    monkeypatch.setattr("cumberland.pipeline.runs.make_executor",
                        lambda *args: Inline(settings))
    again = triage(ws, TriageRequest(sources=[demo_tree / "seized"], case=CASE,
                                     settings=settings))
    # exif and what reads its orientation (the thumbnail, text and face boxes); nothing was
    # fingerprinted again, and the picture was decoded once for all of them
    assert again.enriched.computed == {"exif": images, "thumbnail": images, "ocr": images,
                                       "faces": images}
    assert counted == {"exif": images, "thumbnail": images, "ocr": images, "faces": images,
                       "decode": images}


@pytest.mark.parametrize("cluster", [None, "local:1"])
def test_enrich_runs_on_the_ingest_executors(ws: Workspace, cluster: str | None) -> None:
    """Workers of the process pool and of Dask compute what the ledger says is stale."""
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE media SET signal_versions = "
                          "json_set(signal_versions, '$.thumbnail', 0) WHERE kind = 'image'"))
    images = decoded_images(ws)
    done = enrich(ws, EnrichRequest(CASE, workers=1, cluster=cluster))
    assert done.outcome.computed == {"thumbnail": images} and done.outcome.decodes == images
    assert all(v["thumbnail"] == 1 for v in versions(ws))


def test_unknown_signal_or_case_is_one_clear_error(ws: Workspace) -> None:
    with pytest.raises(EnrichError, match="no signal named handwriting"):
        run(ws, signals=["handwriting"])
    with pytest.raises(LookupError, match="no case named"):
        enrich(ws, EnrichRequest("nope"), executor=Inline(Settings()))


def test_only_the_named_signal(ws: Workspace, counted: Counter[str],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    bump(monkeypatch, "thumbnail")
    bump(monkeypatch, "c2pa")
    images = decoded_images(ws)
    assert run(ws, signals=["c2pa"]).outcome.computed == {"c2pa": images,
                                                           "provenance": images}
    assert all(v["thumbnail"] == 1 and v["c2pa"] == 2 for v in versions(ws))


def _album(tmp_path: Path) -> tuple[Path, Workspace]:
    """A loose picture and a zip of two, triaged into case ``demo``."""
    seized = tmp_path / "seized"
    seized.mkdir()
    (seized / "loose.jpg").write_bytes(jpeg(1))
    (seized / "album.zip").write_bytes(zip_bytes({"a.jpg": jpeg(2), "b.jpg": jpeg(3)}))
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[seized], case=CASE))
    return seized, ws


def _versions_by_name(ws: Workspace) -> dict[str, dict[str, Any]]:
    out = {}
    with ws.engine.connect() as conn:
        for path, found in conn.execute(text(
                "SELECT i.path, m.signal_versions FROM items i JOIN media m "
                "ON m.sha256 = i.media_sha256 WHERE m.kind = 'image'")):
            out[path.rsplit("/", 1)[-1].rsplit(" › ", 1)[-1]] = json.loads(found)
    return out


def test_media_inside_containers_reopen_by_locator(tmp_path: Path, counted: Counter[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _, ws = _album(tmp_path)
    bump(monkeypatch, "c2pa")
    done = run(ws)
    assert counted == {"c2pa": 3, "provenance": 3}  # bytes, no decode: members as files
    assert done.outcome.sources == {"file": 3} and not done.outcome.left
    assert all(v["c2pa"] == 2 for v in _versions_by_name(ws).values())
    ws.close()


def test_evidence_changed_since_ingest_falls_back_to_the_thumbnail_and_says_so(
        tmp_path: Path, counted: Counter[str], monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from cumberland.cli import app

    seized, ws = _album(tmp_path)
    # the zip's members are other pictures now: what a locator leads to no longer hashes
    (seized / "album.zip").write_bytes(zip_bytes({"a.jpg": jpeg(4), "b.jpg": jpeg(5)}))
    bump(monkeypatch, "pdq")
    bump(monkeypatch, "c2pa")
    monkeypatch.setattr("cumberland.pipeline.runs.make_executor",
                        lambda *args: Inline(Settings()))
    result = CliRunner().invoke(app, ["enrich", "--case", CASE, "--workspace",
                                      str(tmp_path / "ws")])
    assert result.exit_code == 0, result.output
    assert "2 media: evidence changed since ingest: SHA-256 differs" in result.output
    assert "2 media computed from their stored thumbnail" in result.output
    assert "left stale, needs the original: c2pa (2 media)" in result.output
    found = _versions_by_name(ws)
    assert found["loose.jpg"]["pdq"] == 2 and found["loose.jpg"]["c2pa"] == 2
    for inside in ("a.jpg", "b.jpg"):  # the pixels of the thumbnail, not the bytes
        assert found[inside]["pdq"] == 2 and found[inside]["c2pa"] == 1
    assert counted == {"decode": 3, "pdq": 3, "pdq-variants": 3, "c2pa": 1, "provenance": 1}
    ws.close()
