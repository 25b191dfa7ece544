"""Generator metadata parsers on files the tests write themselves."""

from __future__ import annotations

import gzip
import json

import pytest
from prov_helpers import (
    A1111_TEXT,
    encode,
    gradient,
    jpeg_with_segments,
    png_with,
    stealth_image,
    text_chunk,
    tiff_block,
    user_comment,
    webp_with_chunks,
)

from cumberland.signals.provenance import assess
from cumberland.signals.provenance.generators import decode_user_comment, parse_a1111


def generator_findings(data: bytes, image=None):  # type: ignore[no-untyped-def]
    report = assess(data, image)
    return report, {
        f.data["generator"]: f.data for f in report.findings if f.kind == "generator-metadata"
    }


def test_parse_a1111_fields() -> None:
    fields = parse_a1111(A1111_TEXT)
    assert fields is not None
    assert fields["prompt"] == "a watercolour of a lighthouse on a cliff"
    assert fields["negative_prompt"] == "blurry, text"
    assert (fields["seed"], fields["steps"], fields["sampler"]) == ("1234", "20", "DPM++ 2M")
    assert (fields["model"], fields["model_hash"]) == ("dreamlike_v1", "abcdef1234")
    assert parse_a1111("just a caption, no settings") is None


@pytest.mark.parametrize("kind", ["tEXt", "zTXt", "iTXt", "iTXt-z"])
def test_a1111_png_parameters_any_text_chunk(kind: str) -> None:
    report, gens = generator_findings(png_with([text_chunk("parameters", A1111_TEXT, kind)]))
    g = gens["AUTOMATIC1111"]
    assert g["seed"] == "1234" and g["steps"] == 20 and g["model_hash"] == "abcdef1234"
    assert g["prompt_present"] and "lighthouse" in g["prompt"]
    assert report.level == "strong"
    assert any("AUTOMATIC1111" in r for r in report.reasons)


def test_text_after_idat_is_read() -> None:
    _, gens = generator_findings(png_with([text_chunk("parameters", A1111_TEXT)], after_idat=True))
    assert "AUTOMATIC1111" in gens


@pytest.mark.parametrize(
    ("charset", "big_endian"), [("UNICODE", True), ("UNICODE", False), ("ASCII", True)]
)
def test_a1111_jpeg_exif_user_comment(charset: str, big_endian: bool) -> None:
    block = tiff_block(
        [], exif=[(0x9286, "undefined", user_comment(A1111_TEXT, charset, big_endian))]
    )
    data = jpeg_with_segments([(0xE1, b"Exif\x00\x00" + block)])
    report, gens = generator_findings(data)
    assert gens["AUTOMATIC1111"]["source"] == "exif:UserComment"
    assert gens["AUTOMATIC1111"]["sampler"] == "DPM++ 2M"
    assert report.level == "strong"


def test_a1111_webp_exif_user_comment() -> None:
    block = tiff_block([], exif=[(0x9286, "undefined", user_comment(A1111_TEXT))])
    _, gens = generator_findings(webp_with_chunks([(b"EXIF", block)]))
    assert gens["AUTOMATIC1111"]["seed"] == "1234"


def test_user_comment_decoding() -> None:
    assert decode_user_comment(b"UNICODE\x00" + "héllo".encode("utf-16-le")) == "héllo"
    assert decode_user_comment(b"UNICODE\x00" + "héllo".encode("utf-16-be")) == "héllo"
    assert decode_user_comment(b"ASCII\x00\x00\x00hi\x00") == "hi"
    assert decode_user_comment(b"\x00" * 8 + b"plain") == "plain"


@pytest.mark.parametrize("magic", [b"stealth_pnginfo", b"stealth_pngcomp"])
def test_stealth_alpha(magic: bytes) -> None:
    payload = A1111_TEXT.encode()
    if magic.endswith(b"comp"):
        payload = gzip.compress(payload)
    image = stealth_image(payload, magic)
    data = encode(image, "PNG")
    _, gens = generator_findings(data, image)
    assert gens["AUTOMATIC1111"]["source"] == f"alpha:{magic.decode()}"
    assert gens["AUTOMATIC1111"]["seed"] == "1234"
    # and when the caller gives no decoded image, assess decodes it itself
    assert "AUTOMATIC1111" in generator_findings(data)[1]


def test_no_stealth_on_plain_alpha() -> None:
    image = gradient(mode="RGBA")
    _, gens = generator_findings(encode(image, "PNG"), image)
    assert gens == {}


COMFY_PROMPT = {
    "3": {
        "class_type": "KSampler",
        "inputs": {"seed": 42, "steps": 25, "sampler_name": "euler", "model": ["4", 0]},
    },
    "4": {
        "class_type": "CheckpointLoaderSimple",
        "inputs": {"ckpt_name": "sd_xl_base.safetensors"},
    },
    "6": {
        "class_type": "CLIPTextEncode",
        "inputs": {"text": "a red cube on a table", "clip": ["4", 1]},
    },
}
COMFY_WORKFLOW = {
    "nodes": [
        {"type": "KSampler", "widgets_values": [7, "fixed", 30, 8.0, "dpmpp_2m", "karras", 1.0]},
        {"type": "CheckpointLoaderSimple", "widgets_values": ["model.ckpt"]},
        {"type": "CLIPTextEncode", "widgets_values": ["a blue sphere"]},
    ]
}


def test_comfyui_prompt_and_workflow() -> None:
    data = png_with(
        [
            text_chunk("prompt", json.dumps(COMFY_PROMPT)),
            text_chunk("workflow", json.dumps(COMFY_WORKFLOW), "iTXt-z"),
        ]
    )
    _, gens = generator_findings(data)
    g = gens["ComfyUI"]
    assert (g["seed"], g["steps"], g["sampler"]) == ("42", 25, "euler")
    assert g["model"] == "sd_xl_base.safetensors" and g["prompt"] == "a red cube on a table"


def test_comfyui_workflow_only() -> None:
    _, gens = generator_findings(png_with([text_chunk("workflow", json.dumps(COMFY_WORKFLOW))]))
    g = gens["ComfyUI"]
    assert (g["seed"], g["steps"], g["sampler"], g["model"]) == ("7", 30, "dpmpp_2m", "model.ckpt")


def test_novelai() -> None:
    comment = {"steps": 28, "sampler": "k_euler", "seed": 99, "uc": "lowres"}
    data = png_with(
        [
            text_chunk("Software", "NovelAI"),
            text_chunk("Source", "Stable Diffusion XL C1E1DE52"),
            text_chunk("Description", "a small boat"),
            text_chunk("Comment", json.dumps(comment)),
        ]
    )
    g = generator_findings(data)[1]["NovelAI"]
    assert (g["seed"], g["steps"], g["sampler"]) == ("99", 28, "k_euler")
    assert g["model"] == "Stable Diffusion XL C1E1DE52" and g["prompt"] == "a small boat"


@pytest.mark.parametrize(
    ("key", "value", "expect"),
    [
        (
            "invokeai_metadata",
            json.dumps(
                {
                    "positive_prompt": "a kite",
                    "seed": 5,
                    "steps": 30,
                    "scheduler": "euler",
                    "model": {"model_name": "juggernautXL", "hash": "h1"},
                }
            ),
            {"seed": "5", "steps": 30, "sampler": "euler", "model": "juggernautXL"},
        ),
        (
            "sd-metadata",
            json.dumps(
                {
                    "model_weights": "deliberate",
                    "model_hash": "h2",
                    "app_version": "2.3.0",
                    "image": {
                        "prompt": [{"prompt": "a kite", "weight": 1}],
                        "seed": 6,
                        "steps": 40,
                        "sampler": "k_lms",
                    },
                }
            ),
            {"seed": "6", "steps": 40, "sampler": "k_lms", "model": "deliberate"},
        ),
        (
            "Dream",
            '"a kite over the sea" -s 50 -S 7 -W 512 -H 512 -C 7.5 -A k_lms',
            {"seed": "7", "steps": 50, "sampler": "k_lms"},
        ),
    ],
)
def test_invokeai_versions(key: str, value: str, expect: dict[str, object]) -> None:
    g = generator_findings(png_with([text_chunk(key, value)]))[1]["InvokeAI"]
    assert g["source"] == f"png:{key}"
    assert {k: g.get(k) for k in expect} == expect
    assert "a kite" in g["prompt"]


def test_fooocus_json_and_scheme() -> None:
    params = {
        "prompt": "a cabin",
        "full_prompt": ["a cabin, cozy"],
        "base_model": "juggernautXL",
        "base_model_hash": "aeb7",
        "seed": "11",
        "sampler": "dpmpp_2m_sde_gpu",
        "steps": 30,
        "version": "Fooocus v2.1.0",
    }
    data = png_with(
        [text_chunk("parameters", json.dumps(params)), text_chunk("fooocus_scheme", "fooocus")]
    )
    g = generator_findings(data)[1]["Fooocus"]
    assert (g["model"], g["model_hash"], g["seed"], g["steps"]) == (
        "juggernautXL",
        "aeb7",
        "11",
        30,
    )


def test_fooocus_jpeg_comment() -> None:
    params = {
        "full_prompt": ["a cabin"],
        "base_model": "juggernautXL",
        "seed": "3",
        "version": "Fooocus v2.3.1",
    }
    data = jpeg_with_segments([(0xFE, json.dumps(params).encode())])
    g = generator_findings(data)[1]["Fooocus"]
    assert g["source"] == "jpeg:comment" and g["seed"] == "3"


def test_swarmui() -> None:
    params = {
        "sui_image_params": {
            "prompt": "a lamp",
            "model": "OfficialStableDiffusion/sd_xl",
            "seed": 12,
            "steps": 20,
            "sampler": "euler",
            "swarm_version": "0.9",
        }
    }
    g = generator_findings(png_with([text_chunk("parameters", json.dumps(params))]))[1]["SwarmUI"]
    assert (g["seed"], g["steps"], g["model"]) == ("12", 20, "OfficialStableDiffusion/sd_xl")
    g2 = generator_findings(
        png_with([text_chunk("sui_image_params", json.dumps(params["sui_image_params"]))])
    )[1]
    assert "SwarmUI" in g2


def test_midjourney_description() -> None:
    desc = "a lighthouse at dawn --ar 3:2 Job ID: 0f2d6c1e-1234-4abc-9def-0123456789ab"
    g = generator_findings(png_with([text_chunk("Description", desc)]))[1]["Midjourney"]
    assert g["job_id"] == "0f2d6c1e-1234-4abc-9def-0123456789ab"
    assert g["prompt"].startswith("a lighthouse")


def test_camera_exif_beside_generator_chunk_is_a_conflict() -> None:
    block = tiff_block([(0x010F, "ascii", "Canon"), (0x0110, "ascii", "Canon EOS 40D")])
    image_png = png_with([png_exif(block), text_chunk("parameters", A1111_TEXT)])
    report = assess(image_png, None)
    assert report.level == "strong"
    assert report.conflicts and "Canon EOS 40D" in report.conflicts[0]


def png_exif(block: bytes) -> bytes:
    from prov_helpers import png_chunk

    return png_chunk(b"eXIf", block)
