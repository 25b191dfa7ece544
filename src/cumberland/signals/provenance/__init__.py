"""Is it AI-generated? Provenance, watermark and detector signals, with reasons.

Each provenance signal is a *part* (``PARTS``; registered one by one in signals/registry.py
through ``parts.py``, with its own version): C2PA, IPTC/XMP, generator metadata, the DWT
watermark, camera EXIF, and one part per ONNX plug-in. ``combine`` turns the parts' findings
into a `ProvenanceReport` whose level follows a fixed precedence: declared-ai (C2PA or IPTC
says so) > strong (generator metadata or an invisible watermark read "very likely") > weak (a
learned AI detector over its threshold, or a watermark read only "likely") >
camera-metadata > none. It never says "real": the absence of AI evidence proves nothing.
`assess()` runs every part on one file. Parts are pure functions of the bytes and pixels;
hostile input becomes one-line `errors`, never an exception.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

from cumberland.errors import one_line

from ..plugins import Detector
from . import c2pa_signal, camera, generators, watermark, xmp
from .evidence import Evidence, gather
from .model import LEVELS, Finding, Level, ProvenanceReport, strongest

__all__ = [
    "PARTS",
    "Detector",
    "Finding",
    "Level",
    "Options",
    "Part",
    "ProvenanceReport",
    "assess",
    "combine",
]

DETECTOR_SIGNAL = "learned-detector"
DETECTOR_VERSION = 1


@dataclass(frozen=True, slots=True)
class Options:
    """What parts need beyond the file: C2PA trust anchors, the loaded ONNX detectors."""

    trust_anchors: Path | None = None
    detectors: Sequence[Detector] = ()


@dataclass(slots=True)
class Part:
    """One part's findings and its errors (each prefixed with the part's name)."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


Detect = Callable[[Evidence, list[str], Options], list[Finding]]


def run_part(name: str, detect: Detect, ev: Evidence, options: Options) -> Part:
    """Run one part; any exception is that part's one-line error, never the others' end."""
    errors: list[str] = []
    try:
        found = detect(ev, errors, options)
    except Exception as exc:  # a signal bug or hostile input must not stop the others
        found = []
        errors.append(f"{name}: {one_line(exc)}")
    for f in found:
        f.by = "" if f.signal == name else name
    prefix = f"{name}: "
    return Part(found, [e if e.startswith(prefix) else prefix + e for e in errors])


def detector_findings(image: Image.Image | None, detectors: Sequence[Detector]
                      ) -> list[Finding]:
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


def _c2pa(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
    found = c2pa_signal.detect(ev.data, ev.container, options.trust_anchors, errors)
    claims = [str(f.data["claim_generator"]) for f in found if f.data.get("claim_generator")]
    return found + generators.from_claim_generators(claims)


def _xmp(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
    found = xmp.detect(ev.container, errors)
    descriptions = [str(f.data["description"]) for f in found if f.data.get("description")]
    return found + generators.from_xmp_descriptions(descriptions)


def _generators(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
    return generators.detect(ev, errors)


def _watermark(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
    image = ev.image
    return watermark.detect(None if ev.reduced else image)


def _camera(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
    return camera.detect(ev)


def _detectors(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
    return detector_findings(ev.image if options.detectors else None, options.detectors)


#: name, version, detect, whether it reads pixels: the built-in parts, in report order
#: (ONNX plug-ins come last, one part each: parts.plugin_signals).
PARTS: tuple[tuple[str, int, Detect, bool], ...] = (
    (c2pa_signal.NAME, c2pa_signal.VERSION, _c2pa, False),
    (xmp.NAME, xmp.VERSION, _xmp, False),
    (generators.NAME, generators.VERSION, _generators, True),
    (watermark.NAME, watermark.VERSION, _watermark, True),
    (camera.NAME, camera.VERSION, _camera, False),
)


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


def combine(parts: Sequence[Part], errors: Sequence[str]) -> ProvenanceReport:
    """The report over the parts' findings (in part order); ``errors``: the file walk's."""
    findings = [f for part in parts for f in part.findings]
    _dedupe_generators(findings)
    findings.sort(key=lambda f: LEVELS.index(f.level))
    reasons = [r for f in findings for r in _REASONS.get(f.signal, _no_reasons)(f)]
    return ProvenanceReport(
        level=strongest([f.level for f in findings]),
        reasons=reasons,
        findings=findings,
        conflicts=_conflicts(findings),
        errors=[*errors, *(e for part in parts for e in part.errors)],
    )


def _no_reasons(finding: Finding) -> list[str]:
    return []


def assess(
    data: bytes,
    image: Image.Image | None = None,
    *,
    trust_anchors: Path | None = None,
    detectors: Sequence[Detector] = (),
) -> ProvenanceReport:
    """Run every provenance part on one file's bytes (and pixels, decoded here if not given).

    Pass `image` as decoded (full resolution, mode unchanged: the stealth reader needs alpha);
    a reduced JPEG draft is detected and re-decoded for the pixel signals. `trust_anchors` is a
    PEM file of C2PA trust anchors; without it every signer reads as untrusted.
    """
    ev = gather(data, image)
    options = Options(trust_anchors, detectors)
    parts = [run_part(name, detect, ev, options) for name, _, detect, _ in PARTS]
    parts.append(run_part(DETECTOR_SIGNAL, _detectors, ev, options))
    return combine(parts, ev.errors)


def _dedupe_generators(findings: list[Finding]) -> None:
    """One generator finding per generator, even when several places name it."""
    seen: set[str] = set()
    for f in list(findings):
        if f.signal == generators.NAME:
            key = str(f.data["generator"])
            if key in seen:
                findings.remove(f)
            seen.add(key)
