"""The provenance parts as registered signals, and their combination, ``provenance``.

Every part has its own name and version, so bumping one recomputes that part alone (and the
combination, which reads every part's output); the file's metadata is walked once for all
parts (``Inputs.shared``) and its pixels are decoded only if a part being computed reads them.

The parts' findings and errors are kept in the ``provenance`` row (each finding names the
part that produced it, each error starts with that part's name), which is where ``load``
finds them again when a part is not recomputed. ONNX plug-ins are parts too, one each,
named ``onnx:<plug-in name>`` and versioned by their manifest.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path

from cumberland.records import Output
from cumberland.signals.base import Consumes, Inputs, Signal, Stored
from cumberland.signals.plugins import DETECTOR_KINDS, Detector, load_plugins, plugin_manifests
from cumberland.signals.provenance import (
    DETECTOR_SIGNAL,
    PARTS,
    Detect,
    Options,
    Part,
    combine,
    detector_findings,
    run_part,
)
from cumberland.signals.provenance.evidence import Evidence, gather
from cumberland.signals.provenance.model import Finding, ProvenanceReport

NAME = "provenance"
VERSION = 1
PLUGIN_PREFIX = "onnx:"
OVER_LIMIT = "provenance: file over the in-memory limit, not assessed"


@functools.lru_cache(maxsize=4)
def _detectors(folder: str) -> dict[str, Detector]:
    """Plug-ins are loaded once per worker process, not once per image."""
    return {d.name: d for d in load_plugins(Path(folder))}


def _options(inputs: Inputs) -> Options:
    anchors = inputs.settings.trust_anchors
    return Options(Path(anchors) if anchors else None)


EVIDENCE = "provenance-evidence"


def evidence(inputs: Inputs) -> Evidence | None:
    """The file walked once for every part (None for files not held in memory)."""
    def make() -> Evidence | None:
        data = inputs.data
        return None if data is None else gather(data, lambda: inputs.decoded().image)

    return inputs.shared(EVIDENCE, make)


def _stored_report(stored: Stored) -> ProvenanceReport | None:
    row = stored.rows.get(NAME)
    return ProvenanceReport.from_dict(row) if row is not None else None


def _part_signal(name: str, version: int | str, detect: Detect, pixels: bool, summary: str,
                 options: Callable[[Inputs], Options] = _options) -> Signal:
    def compute(inputs: Inputs) -> Output:
        ev = evidence(inputs)
        part = run_part(name, detect, ev, options(inputs)) if ev is not None else Part()
        return Output(value=part)

    def load(stored: Stored) -> Output | None:
        report = _stored_report(stored)
        if report is None:
            return None
        prefix = f"{name}: "
        return Output(value=Part([f for f in report.findings if f.producer == name],
                                 [e for e in report.errors if e.startswith(prefix)]))

    consumes = [Consumes.BYTES, Consumes.PIXELS] if pixels else [Consumes.BYTES]
    return Signal.define(name, version, ["image"], consumes, compute, summary, load=load)


_SUMMARIES = {
    "c2pa": "C2PA manifest: signer, validity, declared AI actions and source types",
    "xmp-iptc": "IPTC/XMP digital source type (declared AI or capture)",
    "generator-metadata": "AI generator parameters in PNG/EXIF/XMP text and stealth alpha",
    "invisible-watermark": "DWT-DCT invisible watermark payloads of open generators",
    "camera-metadata": "camera make/model, lens, maker notes, EXIF thumbnail consistency",
}
C2PA, XMP, GENERATORS, WATERMARK, CAMERA = (
    _part_signal(name, version, detect, pixels, _SUMMARIES[name])
    for name, version, detect, pixels in PARTS
)


def plugin_signals(folder: str | None) -> list[Signal]:
    """One part per detector plug-in in ``folder``, versioned by its manifest (a broken
    manifest raises PluginError: a detector that silently disappears would make reports
    look cleaner than they are)."""
    if not folder:
        return []
    return [_plugin_signal(folder, m.name, m.version, m.kind)
            for m in plugin_manifests(Path(folder)) if m.kind in DETECTOR_KINDS]


def _plugin_signal(folder: str, plugin: str, version: str, kind: str) -> Signal:
    def options(inputs: Inputs) -> Options:
        return Options(detectors=(_detectors(folder)[plugin],))

    def detect(ev: Evidence, errors: list[str], options: Options) -> list[Finding]:
        return detector_findings(ev.image, options.detectors)

    return _part_signal(f"{PLUGIN_PREFIX}{plugin}", version, detect, True,
                        f"ONNX plug-in {plugin} ({kind}; {DETECTOR_SIGNAL} findings)", options)


NEEDS = (*(name for name, *_ in PARTS), f"{PLUGIN_PREFIX}*")


def _is_part(name: str) -> bool:
    return any(fnmatchcase(name, pattern) for pattern in NEEDS)


def _prefix(error: str) -> str:
    return error.split(": ", 1)[0]


def _combined(inputs: Inputs) -> Output:
    active = [n for n in inputs.loaders if _is_part(n)]
    parts = [part for n in active if (part := _part_of(inputs, n)) is not None]
    stored = _stored_report(inputs.stored)
    if inputs.has(EVIDENCE):  # the file was walked in this run
        ev = evidence(inputs)
        walk = ev.errors if ev is not None else [OVER_LIMIT]
    else:
        walk = [e for e in stored.errors if not _is_part(_prefix(e))] if stored else []
    if stored is not None:  # parts not run at all now (a plug-in left out) keep their say
        parts.append(Part([f for f in stored.findings if f.producer not in active],
                          [e for e in stored.errors
                           if _is_part(_prefix(e)) and _prefix(e) not in active]))
    report = combine(parts, walk)
    return Output(data=report.to_dict(), reasons=report.reasons, ai_level=report.level)


def _part_of(inputs: Inputs, name: str) -> Part | None:
    out = inputs.output(name)
    return out.value if out is not None and isinstance(out.value, Part) else None


def _load(stored: Stored) -> Output | None:
    report = _stored_report(stored)
    if report is None:
        return None
    return Output(data=report.to_dict(), reasons=report.reasons, ai_level=report.level)


SIGNAL = Signal.define(
    NAME, VERSION, ["image"], [Consumes.SIGNALS], _combined,
    "synthetic-media assessment over the parts: level, reasons, conflicts (media ai_level)",
    needs=NEEDS, load=_load)
