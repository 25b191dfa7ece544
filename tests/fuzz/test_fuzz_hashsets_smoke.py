"""Run the fuzz target on a few hundred seeded random mutations, without atheris, so CI
exercises the "only HashSetError escapes" contract on every run."""

from __future__ import annotations

import base64
import importlib.util
import random
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

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


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "fuzz_hashsets", Path(__file__).with_name("fuzz_hashsets.py")
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """Byte flips, truncation, splices and insertions of format-significant tokens."""
    buffer = bytearray(data)
    tokens = [b",", b'"', b"\n", b"{", b"}", b"[", b"<", b">", b"\\", b"\x00", b"\xff", b"-1"]
    for _ in range(rng.randint(1, 6)):
        choice = rng.random()
        position = rng.randrange(len(buffer) + 1)
        if choice < 0.35 and buffer:
            buffer[min(position, len(buffer) - 1)] = rng.randrange(256)
        elif choice < 0.5:
            del buffer[position:]
        elif choice < 0.8:
            buffer[position:position] = rng.choice(tokens)
        else:
            start = rng.randrange(len(buffer) + 1)
            buffer[position:position] = buffer[start : start + rng.randint(1, 64)]
    if buffer and rng.random() < 0.5:
        buffer[0] = rng.randrange(9)  # try the other readers on the same bytes
    return bytes(buffer)


def test_fuzz_target_survives_mutations() -> None:
    harness = _harness()
    target: Callable[[bytes], None] = harness.target
    rng = random.Random(20240601)
    seeds: list[bytes] = harness.seeds()
    for crash in REGRESSIONS:
        target(base64.b64decode(crash))
    for seed in seeds:
        for fmt in range(9):
            target(bytes([fmt]) + seed[1:])
    for _ in range(400):
        target(_mutate(rng, rng.choice(seeds)))
    for _ in range(100):
        target(bytes(rng.randrange(256) for _ in range(rng.randint(0, 200))))
