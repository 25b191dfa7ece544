"""Container kinds, each with the reader that lists its members.

Fingerprinting (``pipeline/fingerprint.py``) opens every item of one of these kinds as a
container, and ``pipeline/content.py`` keeps such items' bytes for it; which bytes are of
which kind is ``sources/signatures.py``. A new kind of container is one entry here (and its
reader); a new format of a kind already read is one line in the signatures.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from cumberland.records import MediaKind
from cumberland.sources.archive import Budget, read_archive
from cumberland.sources.artefacts.thumbcache import read_thumbcache
from cumberland.sources.artefacts.thumbsdb import read_thumbs_db
from cumberland.sources.disk_image import OpenPath, read_disk_image
from cumberland.sources.member import Member, Report
from cumberland.sources.signatures import container_format


@dataclass(slots=True)
class Opening:
    """What a reader is given besides the container's stream: its first bytes and name,
    its path when it is a file (multi-segment images find their other segments beside it),
    the bomb budget it shares with its outermost archive, where it reports, how to open
    files read-only and the examiner's volume keys."""

    head: bytes
    name: str
    path: bytes | None
    budget: Budget | None
    report: Report
    open_path: OpenPath
    keys: Sequence[str] = ()


Reader = Callable[[BinaryIO, Opening], Iterator[Member]]


@dataclass(frozen=True, slots=True)
class ContainerKind:
    kind: str
    read: Reader
    budgeted: bool  # one budget (bytes, ratio, entries) for all inside the outermost one


def _thumbcache(stream: BinaryIO, opening: Opening) -> Iterator[Member]:
    return read_thumbcache(stream, opening.report, opening.budget)


def _thumbs_db(stream: BinaryIO, opening: Opening) -> Iterator[Member]:
    return read_thumbs_db(stream, opening.report, opening.budget)


# Archive formats read by a reader of their own rather than libarchive, by format name
# (``sources/signatures.py``): Windows thumbnail caches (``sources/artefacts/``).
OWN_READERS: dict[str, Reader] = {"thumbcache": _thumbcache, "ole": _thumbs_db}


def _archive(stream: BinaryIO, opening: Opening) -> Iterator[Member]:
    assert opening.budget is not None  # fingerprint gives archives their budget
    declared = container_format(opening.head)
    own = OWN_READERS.get(declared.name) if declared is not None else None
    if own is not None:
        return own(stream, opening)
    return read_archive(stream, opening.budget, opening.name)


def _disk_image(stream: BinaryIO, opening: Opening) -> Iterator[Member]:
    return read_disk_image(stream, opening.head, opening.path, opening.open_path,
                           opening.report, opening.keys)


ARCHIVE = ContainerKind(MediaKind.ARCHIVE, _archive, budgeted=True)
KINDS: tuple[ContainerKind, ...] = (
    ARCHIVE,
    ContainerKind(MediaKind.DISK_IMAGE, _disk_image, budgeted=False),
)
