"""Reference libraries: images the agency holds, kept as hashes, region hashes and keypoints.

A library is a hash set of format ``library`` (so its matches appear in reports like any
set's), one entry per image, plus region hashes (``library_hashes``) and ORB keypoints in a
compressed ``.npz`` per image under ``<workspace>/libraries/<set id>/``, beside them an index
of the images' ORB descriptors (``descriptors.faissb``, matching/descriptors.py) that is
rebuilt when the library changes. Adding a folder again adds only images not yet in it.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, insert, select, update

from cumberland.errors import one_line
from cumberland.matching.descriptors import DescriptorIndex
from cumberland.matching.robust import (
    Features,
    ReferenceHashes,
    Variant,
    features,
    reference_variants,
)
from cumberland.settings import Settings
from cumberland.signals.crypto import digest_blocks
from cumberland.signals.image import decode_image
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store.models import HashEntry, HashSet, LibraryHash, LibraryImage
from cumberland.store.workspace import Workspace

FORMAT = "library"
DESCRIPTORS_VERSION = 1  # bump when the index's contents change meaning


class LibraryError(ValueError):
    """A library that cannot be created or used; the message is one line."""


@dataclass(slots=True)
class LibraryOutcome:
    hashset_id: int
    name: str
    added: int = 0
    already: int = 0
    problems: list[str] = field(default_factory=list)


def files_under(folder: Path) -> Iterator[Path]:
    """Regular files under ``folder`` (no links), in a stable order (face libraries too)."""
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted(names):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _library_set(conn: Connection, name: str, folder: Path, category_scheme: str | None) -> int:
    row = conn.execute(select(HashSet.id, HashSet.format).where(HashSet.name == name)).first()
    if row is not None:
        if row.format != FORMAT:
            raise LibraryError(f"{name!r} is a hash set, not a reference library")
        return int(row.id)
    return int(conn.execute(insert(HashSet).values(
        name=name, purpose="alert", format=FORMAT, version=None, category_scheme=category_scheme,
        source_path=str(folder), file_sha256=bytes(32), file_size=0, entry_count=0,
        skipped_count=0, imported_at=time.time(), properties={"created": time.time()},
    ).returning(HashSet.id)).scalar_one())


def features_path(ws: Workspace, set_id: int, entry_id: int) -> Path:
    return ws.library_folder(set_id) / f"{entry_id}.npz"


def descriptors_path(ws: Workspace, set_id: int) -> Path:
    return ws.library_folder(set_id) / "descriptors.faissb"


def _descriptors_key(conn: Connection, set_id: int) -> str:
    """What the index was built from: the library's contents digest and the index version."""
    digest = conn.execute(select(HashSet.file_sha256).where(HashSet.id == set_id)).scalar_one()
    return f"{DESCRIPTORS_VERSION}:{bytes(digest or b'').hex()}"


def descriptor_index(ws: Workspace, set_id: int) -> DescriptorIndex:
    """The library's descriptor index, loaded from its files, or (re)built and saved when they
    are missing or were built from other contents."""
    path = descriptors_path(ws, set_id)
    key_file = path.with_suffix(".key")
    with ws.engine.connect() as conn:
        key = _descriptors_key(conn, set_id)
        files = conn.execute(select(LibraryImage.entry_id, LibraryImage.features).where(
            LibraryImage.hashset_id == set_id).order_by(LibraryImage.entry_id)).all()
    if key_file.is_file() and key_file.read_text() == key:
        loaded = DescriptorIndex.load(path)
        if loaded is not None:
            return loaded

    def parts() -> Iterator[tuple[int, NDArray[np.uint8]]]:
        for row in files:
            target = ws.root / row.features if row.features else None
            if target is not None and target.is_file():
                with np.load(target) as npz:
                    yield int(row.entry_id), npz["descriptors"]

    index = DescriptorIndex.build(parts())
    index.save(path)
    key_file.write_text(key)
    return index


def add_library(
    ws: Workspace, folder: Path, name: str, category: int | None = None,
    category_scheme: str | None = None, settings: Settings | None = None,
) -> LibraryOutcome:
    """Store every image under ``folder`` in library ``name`` (created on first use)."""
    settings = settings or Settings()
    if not folder.is_dir():
        raise LibraryError(f"{folder}: not a folder")
    with ws.engine.begin() as conn:
        set_id = _library_set(conn, name, folder, category_scheme)
        known = set(conn.scalars(select(HashEntry.sha256).where(HashEntry.hashset_id == set_id)))
    outcome = LibraryOutcome(set_id, name)
    for path in files_under(folder):
        try:
            data = path.read_bytes()
            digests = digest_blocks([data])
            if digests.sha256 in known:
                outcome.already += 1
                continue
            decoded = decode_image(data, settings)
            pdq, pdq_quality = pdq_from_rgb(decoded.rgb)
            variants = reference_variants(decoded.rgb)
            feats = features(decoded.rgb)
        except Exception as exc:  # any unreadable or undecodable file: note it, go on
            outcome.problems.append(f"{path}: {one_line(exc)}")
            continue
        known.add(digests.sha256)
        facts = decoded.facts
        with ws.engine.begin() as conn:
            entry = int(conn.execute(insert(HashEntry).values(
                hashset_id=set_id, md5=digests.md5, sha1=digests.sha1, sha256=digests.sha256,
                pdq=pdq, pdq_quality=pdq_quality, category=category,
                name=str(path.relative_to(folder)),
            ).returning(HashEntry.id)).scalar_one())
            target = features_path(ws, set_id, entry)
            target.parent.mkdir(parents=True, exist_ok=True)
            np.savez_compressed(target, points=feats.points, descriptors=feats.descriptors)
            conn.execute(insert(LibraryImage).values(
                entry_id=entry, hashset_id=set_id, width=facts.width, height=facts.height,
                features=str(target.relative_to(ws.root))))
            conn.execute(insert(LibraryHash), [
                {"entry_id": entry, "hashset_id": set_id, "region": True, "pdq": v.pdq,
                 "quality": v.quality} for v in variants if v.region])
        outcome.added += 1
    with ws.engine.begin() as conn:
        shas = sorted(s for s in conn.scalars(select(HashEntry.sha256).where(
            HashEntry.hashset_id == set_id)) if s is not None)
        conn.execute(update(HashSet).where(HashSet.id == set_id).values(
            entry_count=len(shas), file_sha256=hashlib.sha256(b"".join(shas)).digest(),
            imported_at=time.time()))
    descriptor_index(ws, set_id)
    return outcome


def library_ids(ws: Workspace, names: Sequence[str] | None) -> list[int]:
    """Set ids of the named libraries (all libraries when ``names`` is None)."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(HashSet.id, HashSet.name).where(HashSet.format == FORMAT)).all()
    found = {r.name: int(r.id) for r in rows}
    if names is None:
        return sorted(found.values())
    missing = [n for n in names if n not in found]
    if missing:
        raise LibraryError(f"no reference library named {', '.join(map(repr, missing))}")
    return [found[n] for n in names]


@dataclass(slots=True)
class LoadedLibraries:
    hashes: ReferenceHashes
    entries: dict[int, tuple[int, int | None]]  # entry id -> (set id, category)
    feature_files: dict[int, Path]
    descriptors: list[DescriptorIndex] = field(default_factory=list)

    def features(self, entry_ids: Sequence[int]) -> dict[int, Features]:
        out = {}
        for entry in entry_ids:
            path = self.feature_files.get(entry)
            if path is not None and path.is_file():
                with np.load(path) as npz:
                    out[entry] = Features(npz["points"], npz["descriptors"])
        return out


def load_libraries(ws: Workspace, set_ids: Sequence[int], min_quality: int) -> LoadedLibraries:
    refs: list[int] = []
    variants: list[Variant] = []
    entries: dict[int, tuple[int, int | None]] = {}
    files: dict[int, Path] = {}
    with ws.engine.connect() as conn:
        for row in conn.execute(select(
                HashEntry.id, HashEntry.hashset_id, HashEntry.category, HashEntry.pdq,
                HashEntry.pdq_quality, LibraryImage.features)
                .join(LibraryImage, LibraryImage.entry_id == HashEntry.id)
                .where(HashEntry.hashset_id.in_(set_ids))):
            entries[row.id] = (row.hashset_id, row.category)
            if row.features:
                files[row.id] = ws.root / row.features
            if row.pdq is not None:
                refs.append(row.id)
                variants.append(Variant("pdq", row.pdq, row.pdq_quality or 0))
        for extra in conn.execute(select(LibraryHash.entry_id, LibraryHash.pdq,
                                         LibraryHash.quality)
                                  .where(LibraryHash.hashset_id.in_(set_ids))):
            refs.append(extra.entry_id)
            variants.append(Variant("pdq-region", extra.pdq, extra.quality, region=True))
    return LoadedLibraries(ReferenceHashes(refs, variants, min_quality), entries, files,
                           [descriptor_index(ws, s) for s in set_ids])
