"""What a container reader (archive, disk image) yields for each thing inside it.

Readers only describe members and hand out their bytes; the pipeline decides what to do with
them (hash, sniff, open nested containers), so readers stay free of pipeline imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from cumberland.records import FileTimes
from cumberland.sources.locator import Step, display_chain


class ContainerError(Exception):
    """The container cannot be read (any further); members yielded so far stay valid."""


class EncryptedContainer(ContainerError):
    """The container's directory itself is encrypted: nothing can be listed without a password."""


class MemberUnreadable(Exception):
    """One member's content could not be read; the message says why (one line, no
    addresses). The container may go on with the next member."""


class LimitReached(Exception):
    """A bomb limit was hit; the message names it (``expanded bytes > 8 MiB``). Nothing more
    of the container is read."""


class MemberLimit(LimitReached):
    """A limit stopped the member being read; the members after it are still read."""


@dataclass(slots=True)
class Member:
    """One file inside a container, located by ``steps`` from the container's bytes.
    ``blocks`` reads its content once, start to end; ``reopen`` (when the container allows
    random access) gives a fresh seekable view."""

    steps: tuple[Step, ...]
    size: int | None
    times: FileTimes = field(default_factory=FileTimes)
    deleted: bool = False
    status: str = "pending"
    reason: str | None = None
    blocks: Callable[[], Iterator[bytes]] | None = None
    reopen: Callable[[], BinaryIO] | None = None

    @property
    def chain(self) -> list[str]:
        return display_chain(self.steps)


@dataclass(slots=True)
class Report:
    """What a container reader learned about the container itself, besides its members:
    ``errors`` make the container an ``error`` item (members found still count), ``notes``
    become its reason, ``meta`` is merged into its media metadata."""

    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, object] = field(default_factory=dict)
