"""C2PA manifests (Content Credentials) through c2pa-python's Reader, offline.

Reads the manifest store from the bytes, reports the validation state, signer trust, claim
generator, and the digitalSourceType of every action in the active manifest and, recursively,
in its ingredients' manifests. Trust needs a configured PEM of trust anchors: without one, a
correct signature reads as "untrusted signer" (c2pa-python 0.38 validates trust by default and
reports `signingCredential.untrusted`). Remote manifests are never fetched: Cumberland works on
evidence offline, so a remote reference is reported, not followed.
"""

from __future__ import annotations

import functools
import io
import json
import re
from pathlib import Path
from typing import Any

import c2pa

from cumberland.errors import one_line

from .containers import Container
from .model import Finding, Level
from .sourcetype import declares_ai, source_code

NAME = "c2pa"
VERSION = 1

#: Cheap byte markers: a JUMBF box ("jumb"), the store label ("c2pa"), or a remote reference in
#: XMP. A file with none of them cannot carry a manifest, so the native reader is skipped.
_MARKERS = (b"jumb", b"c2pa", b"dcterms:provenance")
_REMOTE_URL = re.compile(r"from url (\S+)")
_MAX_DEPTH = 16
#: Failure codes that mean "this is not who we trust", not "this was altered".
_TRUST_CODES = ("signingCredential.untrusted", "signingCredential.ocsp", "timeStamp.untrusted")


def _settings(anchors_pem: str | None) -> dict[str, Any]:
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors_pem:
        settings["trust"] = {"trust_anchors": anchors_pem}
    return settings


@functools.lru_cache(maxsize=8)
def _context(anchors: str | None, _mtime: float) -> c2pa.Context:
    """One native Context per trust-anchor file (and its mtime, so an edited file reloads)."""
    pem = Path(anchors).read_text("utf-8") if anchors else None
    return c2pa.Context.from_dict(_settings(pem))


def context_for(trust_anchors: Path | None) -> c2pa.Context:
    """The reader context for a trust-anchor PEM (or none: every signer is then untrusted)."""
    if trust_anchors is None:
        return _context(None, 0.0)
    return _context(str(trust_anchors), trust_anchors.stat().st_mtime)


def might_have_manifest(data: bytes, container: Container) -> bool:
    """False only when the file cannot hold an embedded or remote manifest.

    For cleanly walked JPEG/PNG the walk already knows (APP11 / caBX, or an XMP provenance
    reference); other files are searched for the byte markers.
    """
    if container.walked and container.format in ("jpeg", "png"):
        return container.c2pa_box or any(b"provenance" in packet for packet in container.xmp)
    return any(marker in data for marker in _MARKERS)


def detect(
    data: bytes, container: Container, trust_anchors: Path | None, errors: list[str]
) -> list[Finding]:
    """At most one finding: the manifest store's state and declared source types."""
    if not might_have_manifest(data, container):
        return []
    ctx = context_for(trust_anchors)
    try:
        reader = c2pa.Reader.try_create(io.BytesIO(data), context=ctx)
    except c2pa.C2paError.NotSupported:
        return []
    except c2pa.C2paError as exc:
        if isinstance(exc, c2pa.C2paError.RemoteManifest) or str(exc).startswith("Remote"):
            m = _REMOTE_URL.search(str(exc))
            url = m.group(1)[:500] if m else None
            return [Finding(NAME, VERSION, "c2pa-remote-manifest", {"url": url})]
        message = one_line(exc, with_type=False)
        errors.append(f"{NAME}: manifest unreadable ({message})")
        return [Finding(NAME, VERSION, "c2pa-manifest", {"readable": False, "error": message})]
    if reader is None:
        return []
    with reader:
        store = json.loads(reader.json())
    return [summarise(store, trust_configured=trust_anchors is not None)]


def summarise(store: dict[str, Any], *, trust_configured: bool) -> Finding:
    """Turn a Reader.json() manifest store into one JSON-safe finding."""
    manifests: dict[str, Any] = store.get("manifests") or {}
    active_label = store.get("active_manifest")
    active = manifests.get(active_label) if isinstance(active_label, str) else None
    results = store.get("validation_results") or {}
    failures = [
        str(f.get("code"))
        for f in (results.get("activeManifest") or {}).get("failure", [])
        if isinstance(f, dict)
    ]
    state = str(store.get("validation_state") or "Unknown")
    tamper = [c for c in failures if not c.startswith(_TRUST_CODES)]
    if state == "Trusted":
        signer = "trusted"
    elif "signingCredential.untrusted" in failures or (state == "Valid" and not tamper):
        signer = "untrusted"
    else:
        signer = "unknown"
    actions: list[dict[str, Any]] = []
    if isinstance(active, dict):
        _collect_actions(active, manifests, actions, where="active manifest", seen=set(), depth=0)
    data: dict[str, Any] = {
        "readable": True,
        "validation_state": state,
        "signer": signer,
        "trust_configured": trust_configured,
        "tampered": bool(tamper),
        "failure_codes": failures[:50],
        "claim_generator": _claim_generator(active),
        "signature": _signature(active),
        "actions": actions[:200],
        "ai_declared": any(a["ai"] for a in actions),
    }
    level: Level = "declared-ai" if data["ai_declared"] else "none"
    return Finding(NAME, VERSION, "c2pa-manifest", data, level=level)


def _claim_generator(manifest: Any) -> str | None:
    if not isinstance(manifest, dict):
        return None
    if isinstance(manifest.get("claim_generator"), str):
        return str(manifest["claim_generator"])[:500]
    parts: list[str] = []
    for info in manifest.get("claim_generator_info") or []:
        if isinstance(info, dict) and isinstance(info.get("name"), str):
            version = info.get("version")
            parts.append(f"{info['name']}/{version}" if isinstance(version, str) else info["name"])
    return "; ".join(dict.fromkeys(parts))[:500] or None


def _signature(manifest: Any) -> dict[str, Any]:
    sig = manifest.get("signature_info") if isinstance(manifest, dict) else None
    if not isinstance(sig, dict):
        return {}
    return {k: str(sig[k])[:200] for k in ("alg", "issuer", "common_name", "time") if k in sig}


def _agent(value: Any) -> str | None:
    if isinstance(value, dict):
        value = " ".join(str(value[k]) for k in ("name", "version") if k in value)
    return str(value)[:200] if value else None


def _collect_actions(
    manifest: dict[str, Any],
    manifests: dict[str, Any],
    out: list[dict[str, Any]],
    *,
    where: str,
    seen: set[str],
    depth: int,
) -> None:
    """Actions of this manifest, then of each ingredient's own manifest (depth- and loop-safe)."""
    label = str(manifest.get("label", ""))
    if label in seen or depth > _MAX_DEPTH:
        return
    seen.add(label)
    for assertion in manifest.get("assertions") or []:
        if not isinstance(assertion, dict) or not str(assertion.get("label", "")).startswith(
            "c2pa.actions"
        ):
            continue
        for action in (assertion.get("data") or {}).get("actions") or []:
            if not isinstance(action, dict):
                continue
            dst = action.get("digitalSourceType")
            dst = dst if isinstance(dst, str) else None
            out.append(
                {
                    "where": where,
                    "action": str(action.get("action", ""))[:100],
                    "digital_source_type": dst,
                    "code": source_code(dst) if dst else None,
                    "ai": bool(dst and declares_ai(dst)),
                    "software_agent": _agent(action.get("softwareAgent")),
                }
            )
    for ingredient in manifest.get("ingredients") or []:
        if not isinstance(ingredient, dict):
            continue
        child_label = ingredient.get("active_manifest")
        child = manifests.get(child_label) if isinstance(child_label, str) else None
        if isinstance(child, dict):
            title = str(ingredient.get("title", "?"))[:100]
            _collect_actions(
                child, manifests, out, where=f"ingredient {title}", seen=seen, depth=depth + 1
            )


def reasons(finding: Finding) -> list[str]:
    """Human sentences for one C2PA finding."""
    d = finding.data
    if finding.kind == "c2pa-remote-manifest":
        return [f"C2PA remote manifest referenced at {d.get('url')} (not fetched: offline)"]
    if not d.get("readable"):
        return [f"C2PA manifest present but unreadable: {d.get('error')}"]
    signer = f"signer {d['signer']}"
    if not d.get("trust_configured") and d["signer"] != "trusted":
        signer += ", no trust anchors configured"
    out = []
    for a in d.get("actions", []):
        if a["code"]:
            verb = "declares" if a["ai"] else "states"
            where = "" if a["where"] == "active manifest" else f" in {a['where']}"
            out.append(
                f"C2PA action {a['action']}{where} {verb} digitalSourceType {a['code']} ({signer})"
            )
    if d.get("tampered"):
        codes = ", ".join(c for c in d["failure_codes"] if not c.startswith(_TRUST_CODES))
        out.append(f"C2PA manifest does not validate ({codes}): the file was altered after signing")
    if not out:
        out.append(
            f"C2PA manifest present, claim generator {d.get('claim_generator')}, "
            f"state {d['validation_state']} ({signer})"
        )
    return out
