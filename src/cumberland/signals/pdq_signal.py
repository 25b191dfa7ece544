"""The PDQ hash of a picture and its query-side variants, as registered signals.

``pdq`` is the plain hash and quality (media.pdq); it hashes the 8 rotations/mirrors at the
cost of one, so ``pdq-variants`` (what the robust cascade searches with, stored for matching)
reuses them when both run, and hashes them again when it is recomputed alone. Both may be
computed from the stored thumbnail when the original cannot be read again: PDQ reduces the
picture to 64x64 anyway.
"""

from __future__ import annotations

from cumberland.records import Output
from cumberland.signals.base import Consumes, Inputs, Signal, Stored
from cumberland.signals.pdq import (
    VARIANTS_SIGNAL,
    VARIANTS_VERSION,
    groups_to_json,
    pdq_dihedral_from_rgb,
    query_groups,
)


def _pdq(inputs: Inputs) -> Output:
    dihedral, quality = pdq_dihedral_from_rgb(inputs.decoded().rgb)
    return Output(pdq=(dihedral[0], quality), value=(dihedral, quality))


def _load_pdq(stored: Stored) -> Output | None:
    if stored.pdq is None:
        return None
    return Output(pdq=(stored.pdq, stored.pdq_quality or 0))


def _variants(inputs: Inputs) -> Output | None:
    rgb = inputs.decoded().rgb
    plain = inputs.output(PDQ.name)
    whole = plain.value if plain is not None and plain.value is not None else (
        pdq_dihedral_from_rgb(rgb))
    if whole[1] < inputs.settings.pdq_min_quality:
        return None  # too flat to be matched at all: nothing to vary
    return Output(data=groups_to_json(query_groups(rgb, regions=True, whole=whole)))


PDQ = Signal.define(
    "pdq", 1, ["image"], [Consumes.PIXELS], _pdq,
    "PDQ hash and quality, in Meta's byte order (media.pdq)", load=_load_pdq,
    from_thumbnail=True)
VARIANTS = Signal.define(
    VARIANTS_SIGNAL, VARIANTS_VERSION, ["image"], [Consumes.PIXELS, Consumes.SIGNALS],
    _variants, "PDQ of the 8 rotations/mirrors, the unpadded picture and central regions "
    "(the robust cascade's queries)", needs=[PDQ.name], from_thumbnail=True)
