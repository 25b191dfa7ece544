"""How the core reports progress without knowing who listens (the CLI draws a Rich bar)."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def phase(self, name: str, total: int | None) -> None: ...

    def advance(self, count: int = 1, nbytes: int = 0) -> None: ...


class Silent:
    def phase(self, name: str, total: int | None) -> None:
        pass

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        pass
