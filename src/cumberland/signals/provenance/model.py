"""Records the provenance signals return: small, typed and JSON-safe, so the store can keep them.

A finding is evidence with the name and version of the signal that produced it, so a later run
can recompute only what changed. The report adds a level and human reasons; it never says "real",
because absence of AI evidence proves nothing (metadata is stripped, watermarks fade).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Level = Literal["declared-ai", "strong", "weak", "camera-metadata", "none"]

#: Strongest first; the report's level is the first one any finding supports.
LEVELS: tuple[Level, ...] = ("declared-ai", "strong", "weak", "camera-metadata", "none")


@dataclass(slots=True)
class Finding:
    """One piece of evidence: which signal (and version) saw what (kind) with its details."""

    signal: str
    version: int
    kind: str
    data: dict[str, Any] = field(default_factory=dict)
    #: level this finding supports on its own ("none" for context-only findings)
    level: Level = "none"
    #: the registered signal that produced it (C2PA's claim generator yields generator
    #: findings, for one); empty when it is ``signal``
    by: str = ""

    @property
    def producer(self) -> str:
        return self.by or self.signal


@dataclass(slots=True)
class ProvenanceReport:
    """Everything assess() concluded about one file, strongest level first."""

    level: Level = "none"
    reasons: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (findings' data is built from str/int/float/bool/None/list/dict)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> ProvenanceReport:
        """Inverse of to_dict(); unknown levels fall back to "none" rather than failing."""
        findings = [
            Finding(
                signal=str(f["signal"]),
                version=int(f["version"]),
                kind=str(f["kind"]),
                data=dict(f.get("data") or {}),
                level=_level(f.get("level")),
                by=str(f.get("by") or ""),
            )
            for f in raw.get("findings", [])
        ]
        return cls(
            level=_level(raw.get("level")),
            reasons=[str(r) for r in raw.get("reasons", [])],
            findings=findings,
            conflicts=[str(c) for c in raw.get("conflicts", [])],
            errors=[str(e) for e in raw.get("errors", [])],
        )


def _level(value: object) -> Level:
    for level in LEVELS:
        if value == level:
            return level
    return "none"


def strongest(levels: list[Level]) -> Level:
    """The highest-precedence level among those given ("none" when empty)."""
    for level in LEVELS:
        if level in levels:
            return level
    return "none"
