"""The metadata fuzz target on a few hundred seeded mutations, without atheris, so every CI
run checks that decode errors stay within the recorded kinds and provenance never raises."""

from __future__ import annotations

import random
import warnings

import pytest
from fuzzkit import load_harness

harness = load_harness("fuzz_metadata")


def test_seeds_decode_and_carry_metadata() -> None:
    seeds = harness.seeds()
    assert len(seeds) == 6
    decoded = [harness.decode_image(seed, harness.SETTINGS) for seed in seeds]
    assert {d.facts.format for d in decoded} == {"JPEG", "PNG", "WEBP", "GIF", "TIFF"}
    exif = harness.registry.describe(seeds[0], harness.SETTINGS, {"exif"})["exif"]
    assert exif is not None and exif.value, "the JPEG seed must start the fuzzer inside EXIF"
    for seed in seeds:
        harness.target(seed)


@pytest.mark.parametrize("seed", range(3))
def test_mutated_inputs_respect_the_contract(seed: int) -> None:
    rng = random.Random(seed)
    seeds = harness.seeds()
    changed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns about every corrupt EXIF it meets
        for _ in range(200):
            original = rng.choice(seeds)
            data = harness.mutate(rng, original)
            changed += data != original
            harness.target(data)
    assert changed > 150
