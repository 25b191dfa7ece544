"""ONNX plug-ins: a tiny benign model (mean brightness -> sigmoid), built here, no training."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image
from prov_helpers import encode

from cumberland.settings import Settings
from cumberland.signals.plugins import OnnxDetector, PluginError, load_plugins, parse_manifest
from cumberland.signals.provenance import assess


def brightness_model(path: Path) -> None:
    """score = sigmoid(10 * (mean(pixels) - 0.5)) over an NCHW float batch."""
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=1),
            helper.make_node("Sub", ["m", "half"], ["c"]),
            helper.make_node("Mul", ["c", "ten"], ["z"]),
            helper.make_node("Reshape", ["z", "shape"], ["y"]),
        ],
        "brightness",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1])],
        initializer=[
            helper.make_tensor("axes", TensorProto.INT64, [3], [1, 2, 3]),
            helper.make_tensor("half", TensorProto.FLOAT, [], [0.5]),
            helper.make_tensor("ten", TensorProto.FLOAT, [], [10.0]),
            helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 1]),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


MANIFEST = {
    "name": "brightness",
    "version": "1",
    "kind": "ai-detector",
    "model": "brightness.onnx",
    "input_size": [8, 8],
    "mean": [0.0, 0.0, 0.0],
    "std": [1.0, 1.0, 1.0],
    "channel_order": "RGB",
    "threshold": 0.5,
    "output": {
        "index": 0,
        "activation": "sigmoid",
        "meaning": "probability of 'bright' at index 0",
    },
}


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    brightness_model(tmp_path / "brightness.onnx")
    (tmp_path / "brightness.json").write_text(json.dumps(MANIFEST))
    toml = (
        'name = "brightness-classifier"\nversion = "2"\nkind = "classifier"\n'
        'model = "brightness.onnx"\ninput_size = [8, 8]\nchannel_order = "BGR"\nthreshold = 0.9\n'
        '[output]\nindex = 0\nactivation = "sigmoid"\nmeaning = "probability of bright"\n'
    )
    (tmp_path / "classifier.toml").write_text(toml)
    (tmp_path / "README.txt").write_text("not a manifest")
    return tmp_path


def test_load_and_score_batch(folder: Path) -> None:
    detectors = load_plugins(folder)
    assert [d.name for d in detectors] == ["brightness", "brightness-classifier"]
    dark, mid, light = (Image.new("RGB", (20, 10), (v, v, v)) for v in (10, 128, 250))
    scores = detectors[0].score_batch([dark, mid, light])
    assert scores[0] < 0.05 < scores[1] < 0.95 < scores[2]
    assert detectors[0].score_batch([]) == []


def test_ai_detector_over_threshold_is_weak(folder: Path) -> None:
    detectors = load_plugins(folder)
    bright = Image.new("RGB", (300, 300), (240, 240, 240))
    report = assess(encode(bright, "PNG"), bright, detectors=detectors)
    assert report.level == "weak"
    assert any(
        "Learned detector brightness v1" in r and "do not prove" in r for r in report.reasons
    )
    learned = [f for f in report.findings if f.signal == "learned-detector"]
    assert {f.data["detector"]: f.level for f in learned} == {
        "brightness": "weak",
        "brightness-classifier": "none",
    }


def test_under_threshold_only_a_finding(folder: Path) -> None:
    dark = Image.new("RGB", (64, 64), (5, 5, 5))
    report = assess(encode(dark, "PNG"), dark, detectors=load_plugins(folder))
    assert report.level == "none" and not report.reasons
    assert len(report.findings) == 2


def test_broken_manifests_rejected(folder: Path) -> None:
    bad = dict(MANIFEST, kind="oracle")
    (folder / "bad.json").write_text(json.dumps(bad))
    with pytest.raises(PluginError, match="kind"):
        load_plugins(folder)
    (folder / "bad.json").write_text(json.dumps(dict(MANIFEST, model="missing.onnx")))
    with pytest.raises(PluginError, match="not found"):
        parse_manifest(folder / "bad.json")
    (folder / "bad.json").write_text("{")
    with pytest.raises(PluginError, match="unreadable"):
        parse_manifest(folder / "bad.json")


def test_preprocess_layout(folder: Path) -> None:
    detector = OnnxDetector(parse_manifest(folder / "classifier.toml"))
    batch = detector.preprocess([Image.new("RGB", (3, 3), (255, 0, 0))])
    assert batch.shape == (1, 3, 8, 8) and batch.dtype.name == "float32"
    assert batch[0, 2].max() == pytest.approx(1.0) and batch[0, 0].max() == 0  # BGR: red last


def test_each_plug_in_is_a_signal_with_its_manifest_version(
        folder: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    from typer.testing import CliRunner

    from cumberland.cli import app
    from cumberland.signals.registry import describe

    listed = CliRunner().invoke(app, ["signals", "list", "--json", "--plugins", str(folder)])
    assert listed.exit_code == 0, listed.output
    versions = {d["name"]: d["version"] for d in map(json.loads, listed.stdout.splitlines())}
    assert versions["onnx:brightness"] == "1" and versions["onnx:brightness-classifier"] == "2"
    bright = Image.new("RGB", (300, 300), (240, 240, 240))
    outputs = describe(encode(bright, "PNG"), Settings(plugins_dir=str(folder)))
    report = outputs["provenance"]
    assert report is not None and report.ai_level == "weak"
    assert report.data is not None
    by = {f["data"]["detector"]: f["by"] for f in report.data["findings"]}
    assert by == {"brightness": "onnx:brightness",
                  "brightness-classifier": "onnx:brightness-classifier"}
    bad = tmp_path_factory.mktemp("bad")
    (bad / "bad.json").write_text(json.dumps(dict(MANIFEST, kind="oracle")))
    refused = CliRunner().invoke(app, ["signals", "list", "--plugins", str(bad)])
    assert refused.exit_code == 2 and "kind must be one of" in refused.output
