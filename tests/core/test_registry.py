"""The one signal registry: every signal declared once, ordered by what it needs, planned
per media from the versions it has, and listed by `cumberland signals list`."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.demo import synthetic_image
from cumberland.pipeline.fingerprint import fingerprint
from cumberland.records import Output, Task
from cumberland.settings import Settings
from cumberland.signals import base, registry
from cumberland.signals.base import Consumes, Signal
from cumberland.signals.registry import RegistryError, plan

SIGNALS = registry.active(Settings())
IMAGE = {s.name: s.version for s in SIGNALS if "image" in s.kinds}


def _noop(inputs: object) -> Output:
    return Output()


def _signal(name: str, needs: tuple[str, ...] = ()) -> Signal:
    return Signal.define(name, 1, ["image"], [Consumes.SIGNALS], _noop, name, needs=needs)


def test_every_signal_is_registered_once_with_its_own_version() -> None:
    names = [s.name for s in SIGNALS]
    assert len(names) == len(set(names))
    # the variants no longer bypass the registry; each provenance part has its own version
    assert {"exif", "pdq", "pdq-variants", "thumbnail", "vpdq", "contact-sheet", "c2pa",
            "xmp-iptc", "generator-metadata", "invisible-watermark", "camera-metadata",
            "provenance", "local-features", "ocr", "faces"} <= set(names)
    for s in SIGNALS:
        assert s.summary and s.kinds and s.consumes
        assert all(n in names for n in registry.needs_of(s, names))
        assert all(names.index(n) < names.index(s.name) for n in registry.needs_of(s, names))


@pytest.mark.parametrize(("stale", "redo"), [
    ("thumbnail", ["thumbnail"]),
    # the thumbnail, text boxes and face boxes are turned by the EXIF orientation
    ("exif", ["exif", "thumbnail", "ocr", "faces"]),
    ("pdq", ["pdq", "pdq-variants"]),
    ("c2pa", ["c2pa", "provenance"]),
    ("provenance", ["provenance"]),
])
def test_plan_redoes_a_stale_signal_and_what_reads_it(stale: str, redo: list[str]) -> None:
    versions = {**IMAGE, stale: 0}
    assert plan(SIGNALS, "image", versions) == redo
    assert plan(SIGNALS, "image", IMAGE) == []
    assert plan(SIGNALS, "image", {}) == list(IMAGE)  # never computed: everything
    assert plan(SIGNALS, "video", {}) == ["vpdq", "contact-sheet", "local-features", "ocr", "faces"]
    assert plan(SIGNALS, "image", {}, only=["c2pa"]) == ["c2pa", "provenance"]


def test_ordering_refuses_repeats_unknown_needs_and_cycles() -> None:
    with pytest.raises(RegistryError, match="repeat"):
        registry._ordered((_signal("a"), _signal("a")))
    with pytest.raises(RegistryError, match="needs unknown"):
        registry._ordered((_signal("a", ("b",)),))
    with pytest.raises(RegistryError, match="need each other"):
        registry._ordered((_signal("a", ("b",)), _signal("b", ("a",))))
    ordered = registry._ordered((_signal("late", ("early",)), _signal("early")))
    assert [s.name for s in ordered] == ["early", "late"]


def test_register_adds_a_signal_once() -> None:
    extra = _signal("extra-signal")
    registry.register(extra)
    try:
        assert extra in registry.active(Settings())
        with pytest.raises(RegistryError, match="already registered"):
            registry.register(extra)
        with pytest.raises(RegistryError, match="already registered"):
            registry.register(dataclasses.replace(extra, name="pdq"))
    finally:
        registry.unregister("extra-signal")
    assert extra not in registry.active(Settings())


def test_ingest_records_every_signal_version_and_decodes_once(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    decodes: list[object] = []
    real = base.decode_image

    def counting(*args: Any) -> Any:
        decodes.append(args[0])
        return real(*args)

    monkeypatch.setattr(base, "decode_image", counting)
    path = tmp_path / "a.jpg"
    synthetic_image(4, (320, 240)).save(path, "JPEG")
    result = fingerprint(Task(1, os.fsencode(path), path.name, None), Settings())
    assert result.media is not None and result.media.versions == IMAGE
    assert {s.name for s in result.signals} == {"pdq-variants", "provenance", "local-features",
                                                "ocr"}  # the caption is read
    assert result.media.pdq is not None and result.thumbnail is not None
    assert "exif" in result.media.meta and result.media.ai_level == "none"
    assert len(decodes) == 1  # one decode for every pixel signal


def test_signals_list_json_names_versions_kinds_and_inputs() -> None:
    out = CliRunner().invoke(app, ["signals", "list", "--json"])
    assert out.exit_code == 0, out.output
    listed = {d["name"]: d for d in map(json.loads, out.stdout.splitlines())}
    assert {n: d["version"] for n, d in listed.items()} == {s.name: s.version for s in SIGNALS}
    assert listed["pdq-variants"]["consumes"] == ["pixels", "signals"]
    assert listed["pdq-variants"]["needs"] == ["pdq"]
    assert listed["c2pa"]["consumes"] == ["bytes"]
    assert listed["vpdq"]["kinds"] == ["video"]
    table = CliRunner().invoke(app, ["signals", "list"], terminal_width=200)
    assert "invisible-watermark" in table.output and "camera-metadata" in table.output
