"""IPTC digital source type vocabulary, shared by the C2PA and XMP signals.

Both C2PA actions and IPTC XMP use the same URIs
(http://cv.iptc.org/newscodes/digitalsourcetype/<code>); only two codes declare generative AI.
"""

from __future__ import annotations

IPTC_PREFIX = "http://cv.iptc.org/newscodes/digitalsourcetype/"

#: Codes that declare content made (wholly or partly) by a trained generative model.
AI_CODES = frozenset({"trainedAlgorithmicMedia", "compositeWithTrainedAlgorithmicMedia"})
#: Codes that declare a camera or scanner capture (context, and a conflict beside AI evidence).
CAPTURE_CODES = frozenset(
    {"digitalCapture", "computationalCapture", "negativeFilm", "positiveFilm", "print"}
)


def source_code(value: str) -> str:
    """The short code of a digitalSourceType URI (or of a bare code), whitespace stripped."""
    value = value.strip()
    return value.rsplit("/", 1)[-1] if "/" in value else value


def declares_ai(value: str) -> bool:
    """Whether a digitalSourceType value declares trained-model (generative AI) media."""
    return source_code(value) in AI_CODES


def declares_capture(value: str) -> bool:
    """Whether a digitalSourceType value declares a capture from the physical world."""
    return source_code(value) in CAPTURE_CODES
