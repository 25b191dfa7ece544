"""The hash-set formats Cumberland reads, in ONE place.

Each reader module declares its format beside its reader (a :class:`HashSetFormat`: name,
sniff function, opener, what it accepts). This list is the only other place a format is
named: ``--format`` choices, auto-detection (:mod:`.detect`, in this order), index-storage
eligibility and the README's format table are all derived from it. A new format is one
module plus one line here.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from .base import HashSetFormat
from .hashdeep import FORMAT as HASHDEEP
from .hashkeeper import FORMAT as HASHKEEPER
from .ncmec import FORMAT as NCMEC
from .nsrl import FORMAT as NSRL
from .pdq_csv import FORMAT as PDQ
from .pdq_csv import VPDQ_FORMAT as VPDQ
from .sums import FORMAT as SUMS
from .sums import SHA256_FORMAT as SHA256
from .threatexchange import FORMAT as TX
from .vics import FORMAT as VICS

REGISTRY: tuple[HashSetFormat, ...] = (
    NSRL, VICS, NCMEC, HASHDEEP, PDQ, VPDQ, TX, HASHKEEPER, SUMS, SHA256,
)
"""Every format, in the order auto-detection tries their sniff functions (most specific
first: a file that looks like a checksum list may be a tx or PDQ list)."""

BY_NAME: dict[str, HashSetFormat] = {f.name: f for f in REGISTRY}
FORMATS: tuple[str, ...] = tuple(BY_NAME)
"""What :func:`.detect.detect_format` may return, and ``--format`` accepts besides auto."""
CLI_FORMATS: tuple[str, ...] = ("auto", *FORMATS)

if TYPE_CHECKING:
    FormatChoice = str
else:
    FormatChoice = StrEnum("FormatChoice", {name: name for name in CLI_FORMATS})
"""``--format``'s choices as a StrEnum built from the registry (Typer lists its members)."""


def digest_only(name: str) -> bool:
    """Whether sets of format ``name`` are digests only (index storage loses nothing)."""
    found = BY_NAME.get(name)
    return found is not None and found.digest_only


def readme_table() -> str:
    """The README's hash-set format table (a test checks the README holds exactly this)."""
    rows = ["| `--format` | what | accepted |", "| --- | --- | --- |"]
    rows += [f"| `{f.name}` | {f.title} | {f.accepts} |" for f in REGISTRY]
    return "\n".join(rows)
