"""Generator metadata: the settings AI image tools write into the files they save.

Covers AUTOMATIC1111 (and forks), ComfyUI, NovelAI, InvokeAI (v3, v2, legacy "Dream"), Fooocus,
SwarmUI, Midjourney downloads, and C2PA claim generators of hosted services (DALL·E/ChatGPT,
Adobe Firefly, Microsoft Designer). Each tool gives one finding with the generator, model name/
hash, seed, sampler, steps and the prompt text, which is evidence and is kept verbatim (capped).
Everything here is attacker-controlled text: JSON is size-capped, parse failures are recorded.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from .containers import LimitExceeded
from .evidence import Evidence
from .exifview import IMAGE_DESCRIPTION, MAKER_NOTE, SOFTWARE, USER_COMMENT
from .model import Finding
from .stealth import read_stealth

NAME = "generator-metadata"
VERSION = 1

MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_PROMPT_CHARS = 65_536

_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_JOB_ID = re.compile(rf"Job ID:\s*({_UUID})\s*$")
_A1111_PARAM = re.compile(r'\s*([\w ]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)')
_DREAM_OPT = re.compile(r"(?:^|\s)-([A-Za-z]+)\s+(\S+)")
_C2PA_SERVICES = (
    (re.compile(r"chatgpt|openai|dall.?e", re.I), "DALL·E / ChatGPT (OpenAI)"),
    (re.compile(r"firefly", re.I), "Adobe Firefly"),
    (
        re.compile(r"microsoft.responsible.ai|bing image creator|microsoft designer", re.I),
        "Microsoft Designer / Bing Image Creator",
    ),
    (re.compile(r"\bimagen\b|gemini", re.I), "Google Imagen / Gemini"),
)


class _BadInput(ValueError):
    """A chunk that names a generator but cannot be parsed (recorded as an error)."""


def _finding(generator: str, source: str, **fields: Any) -> Finding:
    prompt = fields.pop("prompt", None)
    data: dict[str, Any] = {"generator": generator, "source": source}
    for key in ("model", "model_hash", "seed", "sampler", "steps", "version"):
        value = fields.get(key)
        if value is None or value == "":
            continue
        if key == "steps":
            try:
                data[key] = int(value)
            except (TypeError, ValueError):
                continue
        else:
            data[key] = str(value)[:500]
    if isinstance(prompt, str) and prompt.strip():
        data["prompt_present"] = True
        data["prompt"] = prompt[:MAX_PROMPT_CHARS]
        data["prompt_truncated"] = len(prompt) > MAX_PROMPT_CHARS
    else:
        data["prompt_present"] = False
    negative = fields.get("negative_prompt")
    if isinstance(negative, str) and negative.strip():
        data["negative_prompt"] = negative[:MAX_PROMPT_CHARS]
    return Finding(NAME, VERSION, "generator-metadata", data, level="strong")


def _json(text: str, what: str) -> Any:
    if len(text) > MAX_JSON_BYTES:
        raise LimitExceeded(
            f"{what}: JSON of {len(text)} chars over the {MAX_JSON_BYTES >> 20} MiB cap"
        )
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _BadInput(f"{what}: not valid JSON ({str(exc)[:120]})") from None


def _dig(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


# --- AUTOMATIC1111 text ------------------------------------------------------------------


def parse_a1111(text: str) -> dict[str, Any] | None:
    """Prompt, negative prompt and settings of A1111 "parameters" text; None if not that format."""
    lines = text.strip().splitlines()
    idx = next((i for i in range(len(lines) - 1, -1, -1) if "Steps: " in lines[i]), None)
    if idx is None:
        return None
    settings = {k.strip(): v.strip().strip('"') for k, v in _A1111_PARAM.findall(lines[idx])}
    if "Steps" not in settings:
        return None
    prompt_lines: list[str] = []
    negative_lines: list[str] = []
    target: list[str] | None = None
    for line in lines[:idx]:
        if line.startswith("Negative prompt:"):
            target = negative_lines
            line = line[len("Negative prompt:") :].strip()
        (target if target is not None else prompt_lines).append(line)
    return {
        "prompt": "\n".join(prompt_lines).strip(),
        "negative_prompt": "\n".join(negative_lines).strip(),
        "seed": settings.get("Seed"),
        "steps": settings.get("Steps"),
        "sampler": settings.get("Sampler"),
        "model": settings.get("Model"),
        "model_hash": settings.get("Model hash"),
        "version": settings.get("Version"),
    }


def _a1111_or_json(text: str, source: str, *, fooocus: bool = False) -> Finding | None:
    """Text that is either A1111 parameters or a JSON document from Fooocus/SwarmUI/NovelAI."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return _from_json_document(_json(stripped, source), source, fooocus=fooocus)
    fields = parse_a1111(stripped)
    if fields is None:
        return None
    return _finding("Fooocus" if fooocus else "AUTOMATIC1111", source, **fields)


def _from_json_document(obj: Any, source: str, *, fooocus: bool) -> Finding | None:
    if not isinstance(obj, dict):
        return None
    if "sui_image_params" in obj:
        return _swarm(obj["sui_image_params"], source)
    version = str(obj.get("version", ""))
    if fooocus or version.startswith("Fooocus") or "full_prompt" in obj or "base_model_hash" in obj:
        return _fooocus(obj, source)
    if "uc" in obj and ("sampler" in obj or "steps" in obj):
        return _novelai_comment(obj, source, prompt=obj.get("prompt"))
    return None


def _fooocus(obj: dict[str, Any], source: str) -> Finding:
    prompt = obj.get("full_prompt", obj.get("prompt"))
    if isinstance(prompt, list):
        prompt = "\n".join(str(p) for p in prompt)
    negative = obj.get("full_negative_prompt", obj.get("negative_prompt"))
    if isinstance(negative, list):
        negative = "\n".join(str(p) for p in negative)
    return _finding(
        "Fooocus",
        source,
        prompt=prompt,
        negative_prompt=negative,
        model=obj.get("base_model"),
        model_hash=obj.get("base_model_hash"),
        seed=obj.get("seed"),
        sampler=obj.get("sampler"),
        steps=obj.get("steps"),
        version=obj.get("version"),
    )


def _swarm(params: Any, source: str) -> Finding:
    if not isinstance(params, dict):
        raise _BadInput(f"{source}: sui_image_params is not an object")
    return _finding(
        "SwarmUI",
        source,
        prompt=params.get("prompt"),
        negative_prompt=params.get("negativeprompt"),
        model=params.get("model"),
        seed=params.get("seed"),
        sampler=params.get("sampler"),
        steps=params.get("steps"),
        version=params.get("swarm_version"),
    )


def _novelai_comment(obj: dict[str, Any], source: str, prompt: Any = None) -> Finding:
    return _finding(
        "NovelAI",
        source,
        prompt=prompt if isinstance(prompt, str) else obj.get("prompt"),
        negative_prompt=obj.get("uc"),
        seed=obj.get("seed"),
        sampler=obj.get("sampler"),
        steps=obj.get("steps"),
        model=obj.get("model"),
    )


# --- ComfyUI -----------------------------------------------------------------------------


def _comfy(prompt_text: str | None, workflow_text: str | None) -> Finding | None:
    texts: list[str] = []
    fields: dict[str, Any] = {}
    source = "png:prompt" if prompt_text is not None else "png:workflow"
    graph = _json(prompt_text, "ComfyUI prompt") if prompt_text is not None else None
    if isinstance(graph, dict):
        for node in graph.values():
            if not isinstance(node, dict):
                continue
            kind = str(node.get("class_type", ""))
            inputs = node.get("inputs") if isinstance(node.get("inputs"), dict) else {}
            assert isinstance(inputs, dict)
            if "CLIPTextEncode" in kind:
                texts += [
                    v for k, v in inputs.items() if k.startswith("text") and isinstance(v, str)
                ]
            elif "Sampler" in kind:
                fields.setdefault("seed", inputs.get("seed", inputs.get("noise_seed")))
                fields.setdefault("steps", inputs.get("steps"))
                fields.setdefault("sampler", inputs.get("sampler_name"))
            elif "CheckpointLoader" in kind or "UNETLoader" in kind:
                fields.setdefault("model", inputs.get("ckpt_name", inputs.get("unet_name")))
    elif workflow_text is not None:
        workflow = _json(workflow_text, "ComfyUI workflow")
        nodes = workflow.get("nodes") if isinstance(workflow, dict) else None
        if not isinstance(nodes, list):
            raise _BadInput("ComfyUI workflow: no node list")
        for node in nodes:
            values = node.get("widgets_values") if isinstance(node, dict) else None
            if not isinstance(values, list) or not values:
                continue
            kind = str(node.get("type", ""))
            if "CLIPTextEncode" in kind and isinstance(values[0], str):
                texts.append(values[0])
            elif "CheckpointLoader" in kind:
                fields.setdefault("model", values[0])
            elif kind == "KSampler" and len(values) >= 5:
                fields.setdefault("seed", values[0])
                fields.setdefault("steps", values[2])
                fields.setdefault("sampler", values[4])
    else:
        raise _BadInput("ComfyUI prompt: not a node graph")
    fields = {
        k: v for k, v in fields.items() if not isinstance(v, list | dict)
    }  # links, not values
    return _finding("ComfyUI", source, prompt="\n---\n".join(texts), **fields)


# --- InvokeAI ----------------------------------------------------------------------------


def _invoke_v3(text: str) -> Finding:
    obj = _json(text, "InvokeAI invokeai_metadata")
    if not isinstance(obj, dict):
        raise _BadInput("InvokeAI invokeai_metadata: not an object")
    model = obj.get("model")
    return _finding(
        "InvokeAI",
        "png:invokeai_metadata",
        prompt=obj.get("positive_prompt"),
        negative_prompt=obj.get("negative_prompt"),
        seed=obj.get("seed"),
        steps=obj.get("steps"),
        sampler=obj.get("scheduler"),
        model=(_dig(model, "model_name") or _dig(model, "name"))
        if isinstance(model, dict)
        else model,
        model_hash=_dig(model, "hash"),
        version=obj.get("app_version"),
    )


def _invoke_v2(text: str) -> Finding:
    obj = _json(text, "InvokeAI sd-metadata")
    if not isinstance(obj, dict):
        raise _BadInput("InvokeAI sd-metadata: not an object")
    image = obj.get("image") if isinstance(obj.get("image"), dict) else {}
    assert isinstance(image, dict)
    prompt = image.get("prompt")
    if isinstance(prompt, list):
        prompt = "\n".join(str(p.get("prompt", "")) for p in prompt if isinstance(p, dict))
    return _finding(
        "InvokeAI",
        "png:sd-metadata",
        prompt=prompt,
        seed=image.get("seed"),
        steps=image.get("steps"),
        sampler=image.get("sampler"),
        model=obj.get("model_weights"),
        model_hash=obj.get("model_hash"),
        version=obj.get("app_version"),
    )


def _invoke_dream(text: str) -> Finding:
    m = re.match(r'\s*"((?:[^"\\]|\\.)*)"(.*)$', text, re.S)
    prompt, rest = (m.group(1), m.group(2)) if m else (text.split(" -", 1)[0], text)
    opts = dict(_DREAM_OPT.findall(rest))
    return _finding(
        "InvokeAI",
        "png:Dream",
        prompt=prompt,
        seed=opts.get("S"),
        steps=opts.get("s"),
        sampler=opts.get("A"),
    )


# --- EXIF, comments, stealth, C2PA -------------------------------------------------------


def decode_user_comment(raw: Any) -> str:
    """EXIF UserComment to text: 8-byte charset header (ASCII/UNICODE/JIS/undefined) + body."""
    if isinstance(raw, str):
        return raw.strip("\x00")
    if not isinstance(raw, bytes):
        return str(raw)
    head, body = raw[:8], raw[8:]
    if head == b"UNICODE\x00":
        # UTF-16 of either byte order: ASCII-range text has its zero bytes on one side
        be = body[0::2].count(0) >= body[1::2].count(0)
        text = body.decode("utf-16-be" if be else "utf-16-le", "replace")
    elif head.startswith(b"JIS"):
        text = body.decode("shift_jis", "replace")
    elif head.startswith(b"ASCII") or head == b"\x00" * 8:
        text = body.decode("utf-8", "replace")
    else:
        text = raw.decode("utf-8", "replace")
    return text.strip("\x00 ")


def _from_exif(ev: Evidence) -> list[Finding]:
    exif = ev.exif
    if exif is None:
        return []
    out: list[Finding] = []
    software = exif.text(SOFTWARE) or ""
    maker_note = exif.text(MAKER_NOTE, limit=64) or ""
    fooocus = software.startswith("Fooocus") or maker_note in ("fooocus", "a1111")
    comment = exif.get(USER_COMMENT)
    if comment is not None:
        found = _a1111_or_json(decode_user_comment(comment), "exif:UserComment", fooocus=fooocus)
        if found is not None:
            out.append(found)
    description = exif.text(IMAGE_DESCRIPTION, limit=MAX_PROMPT_CHARS)
    if description and _JOB_ID.search(description):
        out.append(_midjourney(description, "exif:ImageDescription"))
    if software == "NovelAI":
        out.append(_finding("NovelAI", "exif:Software", prompt=description))
    return out


def _midjourney(description: str, source: str) -> Finding:
    m = _JOB_ID.search(description)
    finding = _finding("Midjourney", source, prompt=description[: m.start()] if m else description)
    finding.data["job_id"] = m.group(1) if m else None
    return finding


def _parameters(ev: Evidence) -> list[Finding]:
    c = ev.container
    text = c.text("parameters")
    if text is None:
        return []
    found = _a1111_or_json(text, "png:parameters", fooocus=c.text("fooocus_scheme") is not None)
    return [found] if found else []


def _sui(ev: Evidence) -> list[Finding]:
    text = ev.container.text("sui_image_params")
    if text is None:
        return []
    return [_swarm(_json(text, "SwarmUI sui_image_params"), "png:sui_image_params")]


def _comfyui(ev: Evidence) -> list[Finding]:
    prompt, workflow = ev.container.text("prompt"), ev.container.text("workflow")
    if prompt is None and workflow is None:
        return []
    found = _comfy(prompt, workflow)
    return [found] if found else []


def _novelai(ev: Evidence) -> list[Finding]:
    c = ev.container
    if c.text("Software") != "NovelAI":
        return []
    comment = c.text("Comment")
    obj = _json(comment, "NovelAI Comment") if comment else {}
    found = _novelai_comment(
        obj if isinstance(obj, dict) else {}, "png:Comment", prompt=c.text("Description")
    )
    source_model = (c.text("Source") or "")[:500]
    if source_model:
        found.data["model"] = source_model
    return [found]


def _invokeai(ev: Evidence) -> list[Finding]:
    for key, parse in _INVOKE:
        text = ev.container.text(key)
        if text is not None:
            return [parse(text)]
    return []


def _description(ev: Evidence) -> list[Finding]:
    description = ev.container.text("Description")
    if description and _JOB_ID.search(description):
        return [_midjourney(description, "png:Description")]
    return []


def _comments(ev: Evidence) -> list[Finding]:
    c = ev.container
    out = []
    for comment in c.comments:
        if "Steps: " in comment or comment.lstrip().startswith("{"):
            found = _a1111_or_json(
                comment, f"{c.format}:comment", fooocus=c.text("fooocus_scheme") is not None
            )
            if found is not None:
                out.append(found)
    return out


_INVOKE: tuple[tuple[str, Callable[[str], Finding]], ...] = (
    ("invokeai_metadata", _invoke_v3),
    ("sd-metadata", _invoke_v2),
    ("Dream", _invoke_dream),
)


def _from_stealth(ev: Evidence) -> list[Finding]:
    if ev.image is None:
        return []
    hit = read_stealth(ev.image)
    if hit is None:
        return []
    magic, text = hit
    source = f"alpha:{magic}"
    stripped = text.strip()
    if stripped.startswith("{"):
        obj = _json(stripped, source)
        if isinstance(obj, dict) and (obj.get("Software") == "NovelAI" or "Comment" in obj):
            comment = obj.get("Comment")
            inner = _json(comment, f"{source} Comment") if isinstance(comment, str) else {}
            return [
                _novelai_comment(
                    inner if isinstance(inner, dict) else {}, source, prompt=obj.get("Description")
                )
            ]
        found = _from_json_document(obj, source, fooocus=False)
    else:
        fields = parse_a1111(stripped)
        found = _finding("AUTOMATIC1111", source, **fields) if fields else None
    if found is None:
        found = _finding("unknown (stealth metadata)", source, prompt=text)
    return [found]


_SOURCES: tuple[Callable[[Evidence], list[Finding]], ...] = (
    _parameters,
    _sui,
    _comfyui,
    _novelai,
    _invokeai,
    _description,
    _comments,
    _from_exif,
    _from_stealth,
)


def from_claim_generators(claims: list[str]) -> list[Finding]:
    """Hosted generators that identify themselves only through their C2PA claim generator."""
    out: list[Finding] = []
    for claim in claims:
        for pattern, generator in _C2PA_SERVICES:
            if pattern.search(claim):
                out.append(_finding(generator, "c2pa:claim_generator", version=claim))
                break
    return out


def from_xmp_descriptions(descriptions: list[str]) -> list[Finding]:
    """Midjourney downloads put "... Job ID: <uuid>" in the XMP description."""
    return [_midjourney(d, "xmp:description") for d in descriptions if _JOB_ID.search(d)]


def detect(ev: Evidence, errors: list[str]) -> list[Finding]:
    """All generator findings, one per generator (the first, richest source wins)."""
    found: list[Finding] = []
    for source in _SOURCES:
        try:
            found += source(ev)
        except ValueError as exc:  # _BadInput, LimitExceeded, decode errors
            errors.append(f"{NAME}: {str(exc)[:300]}")
    unique: dict[str, Finding] = {}
    for f in found:
        unique.setdefault(f.data["generator"], f)
    return list(unique.values())


def reasons(finding: Finding) -> list[str]:
    """Human sentence for one generator finding."""
    d = finding.data
    details = ", ".join(
        f"{k} {d[k]}" for k in ("model", "seed", "sampler", "steps") if d.get(k) is not None
    )
    prompt = "prompt present" if d.get("prompt_present") else "no prompt"
    return [
        f"{d['generator']} generator metadata in {d['source']}"
        + (f" ({details}; {prompt})" if details else f" ({prompt})")
        + " (metadata can be added or removed by anyone)"
    ]
