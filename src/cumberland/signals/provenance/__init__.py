"""Is it AI-generated? Provenance, watermark and detector signals, with reasons.

`assess()` runs every provenance signal on one file and returns a `ProvenanceReport` whose level
follows a fixed precedence: declared-ai (C2PA or IPTC says so) > strong (generator metadata or
an invisible watermark read "very likely") > weak (a learned AI detector over its threshold, or
a watermark read only "likely") > camera-metadata > none. It never says "real": the absence
of AI evidence proves nothing.
Signals are pure functions of the bytes and pixels; hostile input becomes one-line `errors`,
never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PIL import Image

from cumberland.errors import one_line

from ..plugins import Detector
from . import c2pa_signal, camera, generators, watermark, xmp
from .evidence import Evidence, gather
from .model import LEVELS, Finding, Level, ProvenanceReport, strongest

__all__ = [
    "SIGNAL_VERSIONS",
    "Detector",
    "Finding",
    "Level",
    "ProvenanceReport",
    "assess",
]

DETECTOR_SIGNAL = "learned-detector"
DETECTOR_VERSION = 1
#: Name -> version of every signal, so a store can tell which results are stale.
SIGNAL_VERSIONS = {
    c2pa_signal.NAME: c2pa_signal.VERSION,
    xmp.NAME: xmp.VERSION,
    generators.NAME: generators.VERSION,
    watermark.NAME: watermark.VERSION,
    camera.NAME: camera.VERSION,
    DETECTOR_SIGNAL: DETECTOR_VERSION,
}


def _guard(name: str, errors: list[str], run: Callable[[], list[Finding]]) -> list[Finding]:
    """Run one signal; any exception is that signal's one-line error."""
    try:
        return run()
    except Exception as exc:  # a signal bug or hostile input must not stop the others
        errors.append(f"{name}: {one_line(exc)}")
        return []


def _detector_findings(image: Image.Image | None, detectors: Sequence[Detector]) -> list[Finding]:
    if image is None:
        return []
    out = []
    for d in detectors:
        value = float(d.score_batch([image])[0])
        over = value >= d.threshold
        level: Level = "weak" if d.kind == "ai-detector" and over else "none"
        data = {
            "detector": d.name,
            "detector_version": d.version,
            "detector_kind": d.kind,
            "score": value,
            "threshold": d.threshold,
            "meaning": d.meaning,
            "over_threshold": over,
        }
        out.append(Finding(DETECTOR_SIGNAL, DETECTOR_VERSION, "learned-score", data, level=level))
    return out


def _detector_reasons(f: Finding) -> list[str]:
    d = f.data
    if d["detector_kind"] != "ai-detector" or not d["over_threshold"]:
        return []
    return [
        f"Learned detector {d['detector']} v{d['detector_version']} scores {d['score']:.3f}, "
        f"over its threshold {d['threshold']} ({d['meaning']}); learned scores rank, they do "
        "not prove"
    ]


_REASONS: dict[str, Callable[[Finding], list[str]]] = {
    c2pa_signal.NAME: c2pa_signal.reasons,
    xmp.NAME: xmp.reasons,
    generators.NAME: generators.reasons,
    watermark.NAME: watermark.reasons,
    camera.NAME: camera.reasons,
    DETECTOR_SIGNAL: _detector_reasons,
}


def _c2pa_and_derived(ev: Evidence, trust_anchors: Path | None) -> list[Finding]:
    found = c2pa_signal.detect(ev.data, ev.container, trust_anchors, ev.errors)
    claims = [str(f.data["claim_generator"]) for f in found if f.data.get("claim_generator")]
    return found + generators.from_claim_generators(claims)


def _xmp_and_derived(ev: Evidence) -> list[Finding]:
    found = xmp.detect(ev.container, ev.errors)
    descriptions = [str(f.data["description"]) for f in found if f.data.get("description")]
    return found + generators.from_xmp_descriptions(descriptions)


def _conflicts(findings: list[Finding]) -> list[str]:
    cameras = [f for f in findings if f.signal == camera.NAME]
    ai = [f for f in findings if f.level in ("declared-ai", "strong")]
    out = []
    for cam in cameras:
        name = " ".join(str(x) for x in (cam.data.get("make"), cam.data.get("model")) if x)
        for f in ai:
            what = f.data.get("generator") or f.kind
            out.append(f"camera EXIF ({name}) present beside {what} evidence from {f.signal}")
    capture = [f for f in findings if f.signal == xmp.NAME and f.data.get("capture")]
    if capture and ai:
        out.append("XMP declares a camera capture while other signals point to AI generation")
    return out


def assess(
    data: bytes,
    image: Image.Image | None = None,
    *,
    trust_anchors: Path | None = None,
    detectors: Sequence[Detector] = (),
) -> ProvenanceReport:
    """Run every provenance signal on one file's bytes (and pixels, decoded here if not given).

    Pass `image` as decoded (full resolution, mode unchanged: the stealth reader needs alpha);
    a reduced JPEG draft is detected and re-decoded for the pixel signals. `trust_anchors` is a
    PEM file of C2PA trust anchors; without it every signer reads as untrusted.
    """
    ev = gather(data, image)
    pixels = ev.image
    findings: list[Finding] = []
    findings += _guard(c2pa_signal.NAME, ev.errors, lambda: _c2pa_and_derived(ev, trust_anchors))
    findings += _guard(xmp.NAME, ev.errors, lambda: _xmp_and_derived(ev))
    findings += _guard(generators.NAME, ev.errors, lambda: generators.detect(ev))
    findings += _guard(watermark.NAME, ev.errors,
                       lambda: watermark.detect(None if ev.reduced else pixels))
    findings += _guard(camera.NAME, ev.errors, lambda: camera.detect(ev))
    findings += _guard(DETECTOR_SIGNAL, ev.errors, lambda: _detector_findings(pixels, detectors))
    _dedupe_generators(findings)
    findings.sort(key=lambda f: LEVELS.index(f.level))
    reasons = [r for f in findings for r in _REASONS[f.signal](f)]
    return ProvenanceReport(
        level=strongest([f.level for f in findings]),
        reasons=reasons,
        findings=findings,
        conflicts=_conflicts(findings),
        errors=ev.errors,
    )


def _dedupe_generators(findings: list[Finding]) -> None:
    """One generator finding per generator, even when several places name it."""
    seen: set[str] = set()
    for f in list(findings):
        if f.signal == generators.NAME:
            key = str(f.data["generator"])
            if key in seen:
                findings.remove(f)
            seen.add(key)
