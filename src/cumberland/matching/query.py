"""The query side of the robust cascade: variant hashes stored at ingest, pixels on demand.

Ingest stores every image's variant hashes (dihedral, unpadded, central regions) as the
``pdq-variants`` signal, so hash matching never decodes a file again. Pixels are read only
to verify keypoints of candidates (regime b), or to hash media ingested before variants
were stored. The original is read by its locator (``store/reopen.py``): files on the file
system and members of containers (a picture in a zip in an E01) alike, checked against the
media's SHA-256. Only media whose evidence is gone or changed fall back to the stored
thumbnail, which is enough for PDQ (it reduces to 64x64) and usable for keypoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import select

from cumberland.settings import Settings
from cumberland.signals.pdq import (
    VARIANTS_SIGNAL,
    VARIANTS_VERSION,
    HashGroup,
    groups_from_json,
    query_groups,
)
from cumberland.store.models import SignalRecord
from cumberland.store.reopen import ReopenError, media_pixels
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace


def query_pixels(ws: Workspace, sha256: bytes, settings: Settings) -> NDArray[np.uint8] | None:
    try:
        return media_pixels(ws, sha256, settings)
    except ReopenError:
        pass
    thumb = ws.thumb_path(sha256)
    if not thumb.is_file():
        return None
    try:
        with Image.open(thumb) as image:
            return np.asarray(image.convert("RGB"), dtype=np.uint8)
    except (OSError, ValueError):
        return None


def stored_groups(ws: Workspace, digests: Sequence[bytes]) -> dict[bytes, list[HashGroup]]:
    """The variant hashes ingest stored for these media (absent for media without them)."""
    with ws.engine.connect() as conn:
        rows = in_chunks(conn, select(SignalRecord.media_sha256, SignalRecord.data).where(
            SignalRecord.name == VARIANTS_SIGNAL, SignalRecord.version == VARIANTS_VERSION),
            SignalRecord.media_sha256, digests)
    return {bytes(sha): groups_from_json(data) for sha, data in rows}


def case_groups(ws: Workspace, queries: Sequence[Any], settings: Settings
                ) -> dict[bytes, list[HashGroup]]:
    """Variant hashes of each query row (``sha256``, ``pdq``, ``pdq_quality``).

    Stored ones are used as they are; media ingested before variants were stored are hashed
    from their pixels here, and media whose pixels are gone keep their plain hash only.
    """
    out = stored_groups(ws, [q.sha256 for q in queries])
    for q in queries:
        if q.sha256 in out:
            continue
        rgb = query_pixels(ws, q.sha256, settings)
        out[q.sha256] = (query_groups(rgb) if rgb is not None
                         else [HashGroup("pdq", (q.pdq,), q.pdq_quality)])
    return out
