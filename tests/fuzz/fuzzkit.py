"""What the fuzz harnesses share: the atheris entry point, a seeded mutator for the
CI smoke tests (which run the same targets without atheris), and the harness loader."""

from __future__ import annotations

import importlib.util
import os
import random
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType


def run_atheris(target: Callable[[bytes], None], seeds: Sequence[bytes], prefix: str) -> None:
    """Fuzz ``target`` with atheris, seeding a temporary corpus unless one is given."""
    import atheris

    args = list(sys.argv)
    if not any(os.path.isdir(arg) for arg in args[1:]):
        corpus = tempfile.mkdtemp(prefix=f"cumberland-fuzz-{prefix}-")
        for number, sample in enumerate(seeds):
            Path(corpus, f"seed{number}").write_bytes(sample)
        args.append(corpus)
    atheris.instrument_all()
    atheris.Setup(args, target)
    atheris.Fuzz()


def mutate(rng: random.Random, data: bytes, tokens: Sequence[bytes], keep: int = 0,
           rounds: int = 6) -> bytes:
    """Bit flips, truncation (after ``keep`` header bytes), token insertions, splices."""
    buffer = bytearray(data)
    for _ in range(rng.randint(1, rounds)):
        choice = rng.random()
        position = rng.randrange(len(buffer) + 1)
        if choice < 0.4 and buffer:
            buffer[min(position, len(buffer) - 1)] ^= 1 << rng.randrange(8)
        elif choice < 0.5:
            del buffer[max(position, keep):]
        elif choice < 0.8:
            buffer[position:position] = rng.choice(tokens)
        else:
            start = rng.randrange(len(buffer) + 1)
            buffer[position:position] = buffer[start : start + rng.randint(1, 256)]
    return bytes(buffer)


def load_harness(name: str) -> ModuleType:
    """Import ``tests/fuzz/<name>.py`` by path (the harnesses are scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name(f"{name}.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
