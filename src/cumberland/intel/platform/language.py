"""Language of messages, from the model py3langid ships (checked by SHA-256 before use).

A language is a weak country signal and often several countries' (German: DE, AT, CH);
English says nothing and is not used. See docs/models.md for the model's facts.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

MODEL = "data/model.npz.xz"
MODEL_SHA256 = "f4f4a2c3465ca1f081541037f9cac23021d68151c2f709c55ae5eedfca522963"
MIN_CHARS = 20  # shorter texts give unreliable guesses
MIN_SCORE = 0.9

LANGUAGE_COUNTRIES: dict[str, tuple[str, ...]] = {
    "de": ("DE", "AT", "CH", "LI", "LU"), "fr": ("FR", "BE", "CH", "LU", "CA", "MC"),
    "nl": ("NL", "BE"), "it": ("IT", "CH", "SM"), "es": ("ES", "MX", "AR", "CO", "CL", "PE",
                                                       "VE", "EC", "UY"),
    "pt": ("PT", "BR"), "pl": ("PL",), "cs": ("CZ",), "sk": ("SK",), "hu": ("HU",),
    "ro": ("RO", "MD"), "bg": ("BG",), "el": ("GR", "CY"), "sv": ("SE", "FI"), "da": ("DK",),
    "no": ("NO",), "nb": ("NO",), "fi": ("FI",), "et": ("EE",), "lv": ("LV",), "lt": ("LT",),
    "sl": ("SI",), "hr": ("HR",), "sr": ("RS",), "ru": ("RU", "BY", "KZ"), "uk": ("UA",),
    "tr": ("TR", "CY"), "ja": ("JP",), "ko": ("KR",), "th": ("TH",), "vi": ("VN",),
    "id": ("ID",), "he": ("IL",), "is": ("IS",), "ga": ("IE",), "mt": ("MT",),
}


class ModelError(RuntimeError):
    """The language model is missing or is not the one recorded in docs/models.md."""


@cache
def _identifier() -> Any:
    from py3langid.langid import LanguageIdentifier

    path = Path(str(files("py3langid").joinpath(MODEL)))
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise ModelError(f"{path}: {exc.strerror}") from None
    if digest != MODEL_SHA256:
        raise ModelError(f"{path}: SHA-256 {digest} is not the recorded {MODEL_SHA256}")
    return LanguageIdentifier.from_modelpath(str(path), norm_probs=True)


def detect(text: str | None) -> str | None:
    """ISO 639-1 code, or None for short or unsure texts."""
    if not text or len(text.strip()) < MIN_CHARS:
        return None
    language, score = _identifier().classify(text)
    return str(language) if score >= MIN_SCORE else None
