"""Report shape: JSON round trip, level precedence, vocabulary."""

from __future__ import annotations

import json

from prov_helpers import A1111_TEXT, png_with, text_chunk

from cumberland.settings import Settings
from cumberland.signals import registry
from cumberland.signals.provenance import ProvenanceReport, assess
from cumberland.signals.provenance.model import Finding, strongest


def test_round_trip_json() -> None:
    report = assess(
        png_with([text_chunk("parameters", A1111_TEXT), text_chunk("prompt", "{")]), None
    )
    raw = json.loads(json.dumps(report.to_dict()))
    again = ProvenanceReport.from_dict(raw)
    assert again == report
    versions = {s.name: s.version for s in registry.active(Settings())}
    assert again.findings[0].version == versions[again.findings[0].signal]


def test_precedence() -> None:
    assert strongest(["camera-metadata", "weak", "none"]) == "weak"
    assert strongest(["strong", "declared-ai"]) == "declared-ai"
    assert strongest([]) == "none"
    assert ProvenanceReport.from_dict({"level": "real"}).level == "none"


def test_finding_defaults() -> None:
    f = Finding("x", 1, "k")
    assert f.data == {} and f.level == "none"


def test_never_says_real() -> None:
    report = assess(png_with([text_chunk("parameters", A1111_TEXT)]), None)
    text = " ".join(report.reasons + report.conflicts).lower().split()
    assert "real" not in text and "authentic" not in text
