"""Which country a person most likely lives in, with the signals for and against it.

Signal kinds: ``ip`` (logins located by the GeoIP file), ``phone`` (the number's country),
``email`` (a country-code top-level domain), ``processor`` (the payment processor's country,
from the mapping), ``exchange`` (the exchange the coins came from), ``language`` (of the
person's messages; it supports every country where the language is spoken). Each kind names
its leading countries; the country named by most kinds wins (IP share breaks ties).

Conflicts are shown, never averaged away: the result lists the kinds that agree and those
that point elsewhere. Confidence is ``high`` when two or more kinds agree and none disagrees,
``medium`` when they outnumber the disagreeing ones (or one kind stands alone), ``low``
otherwise, and ``none`` without any signal.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from cumberland.intel.platform.language import LANGUAGE_COUNTRIES

KIND_ORDER = ("ip", "phone", "processor", "exchange", "email", "language")
LEADING_SHARE = 0.25  # a country with at least this share of a kind's observations leads it


@dataclass(frozen=True, slots=True)
class Attribution:
    country: str | None
    confidence: str
    agree: list[str]
    disagree: list[str]
    signals: dict[str, dict[str, int]]

    def as_json(self) -> dict[str, Any]:
        return {"country": self.country, "confidence": self.confidence, "agree": self.agree,
                "disagree": self.disagree, "signals": self.signals,
                "conflict": bool(self.agree and self.disagree)}


def _leading(kind: str, counts: Counter[str]) -> set[str]:
    if kind == "language":
        out: set[str] = set()
        for language in counts:
            out.update(LANGUAGE_COUNTRIES.get(language, ()))
        return out
    total = sum(counts.values())
    return {c for c, n in counts.items() if n / total >= LEADING_SHARE}


def attribute(signals: dict[str, Counter[str]]) -> Attribution:
    signals = {k: v for k, v in signals.items() if v and sum(v.values()) > 0}
    plain = {k: dict(signals[k].most_common()) for k in KIND_ORDER if k in signals}
    if not signals:
        return Attribution(None, "none", [], [], {})
    leading = {kind: _leading(kind, counts) for kind, counts in signals.items()}
    support: Counter[str] = Counter()
    for countries in leading.values():
        support.update(countries)
    if not support:
        return Attribution(None, "none", [], sorted(signals), plain)
    ip = signals.get("ip", Counter())
    ip_total = sum(ip.values()) or 1
    order = {k: i for i, k in enumerate(KIND_ORDER)}

    def rank(country: str) -> tuple[int, float, int]:
        first_kind = min((order[k] for k, c in leading.items() if country in c), default=99)
        return support[country], ip.get(country, 0) / ip_total, -first_kind

    country = max(sorted(support), key=rank)
    agree = sorted((k for k, c in leading.items() if country in c), key=order.__getitem__)
    disagree = sorted((k for k, c in leading.items() if country not in c),
                      key=order.__getitem__)
    if len(agree) >= 2 and not disagree:
        confidence = "high"
    elif len(agree) > len(disagree):
        confidence = "medium"
    else:
        confidence = "low"
    return Attribution(country, confidence, agree, disagree, plain)
