"""Run the fuzz target on a few hundred seeded random mutations, without atheris, so CI
exercises the "only HashSetError escapes" contract on every run."""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

from fuzzkit import load_harness, mutate

from cumberland.hashsets import CLI_FORMATS

# Inputs atheris found that once escaped as non-HashSetError exceptions (kept as regressions).
REGRESSIONS = [
    # escaped bare digest with no name: "\\<hex>" -> TypeError in unescaping
    "ADVkNDE0MDJhYmM0YjJhNzZiOTcxOWQ5MTEwMTdjNTkyICBhClxhYWY0YzYxZGRjYzVlOGEyZGFiZWRlMGYzYjQ4MmNk"
    "OWFlYTkxZTVjMWZhNzQyNWU3MzA0MzM2MjkzOGI5ODI0Cg==",
    # zip whose member name is empty: IndexError inside zipfile.ZipInfo.is_dir
    "AFBLAwQUAAAACACxBPs8w3WQzo4vF5dICNFAkxfs2Y4UCT6267mCZjTFDO2P64VppuetDt7Pd77wyb/u5zdpIuBQXznC"
    "veYGCSMBzTz9AFBLAQIUAxQAAAAIALESdl2igiSfaQAAAHgAAAAAAAAAAAgAAAAAAACAAQAAAABOU1JMRmlsZS50eHRQ"
    "SwUGAAAAAAEAAQA6AAAAkwAAAAAA",
]


TOKENS = [b",", b'"', b"\n", b"{", b"}", b"[", b"<", b">", b"\\", b"\x00", b"\xff", b"-1"]


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """The shared mutator with text-format tokens; the first byte picks the reader."""
    buffer = bytearray(mutate(rng, data, TOKENS, rounds=6))
    if buffer and rng.random() < 0.5:
        buffer[0] = rng.randrange(len(CLI_FORMATS))  # try the other readers on the same bytes
    return bytes(buffer)


def test_fuzz_target_survives_mutations() -> None:
    harness = load_harness("fuzz_hashsets")
    target: Callable[[bytes], None] = harness.target
    rng = random.Random(20240601)
    seeds: list[bytes] = harness.seeds()
    for crash in REGRESSIONS:
        target(base64.b64decode(crash))
    for seed in seeds:
        for fmt in range(len(CLI_FORMATS)):
            target(bytes([fmt]) + seed[1:])
    for _ in range(400):
        target(_mutate(rng, rng.choice(seeds)))
    for _ in range(100):
        target(bytes(rng.randrange(256) for _ in range(rng.randint(0, 200))))
