"""Stream every item of a case with its matches (``cumberland items --jsonl``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from cumberland.sources.artefacts.catalogue import split
from cumberland.store.models import HashSet, Item, Match, Media
from cumberland.store.workspace import Workspace

_CACHES = {"slice": "thumbcache", "stream": "Thumbs.db"}


def cache_entry(locator: list[dict[str, Any]] | None) -> dict[str, Any] | None:
    """For a thumbnail found in a thumbnail cache: the cache, the entry's key (hash or
    index) and the source the cache records for it (None where it records none)."""
    last = locator[-1] if locator else None
    if not last or last.get("t") not in _CACHES:
        return None
    return {"cache": _CACHES[last["t"]], "entry": last.get("entry"),
            "source": last.get("source")}


def iter_items(ws: Workspace, case: int) -> Iterator[dict[str, Any]]:
    with ws.engine.connect() as conn:
        case_media = select(Item.media_sha256).where(Item.case_id == case)
        by_media: dict[bytes, list[dict[str, Any]]] = defaultdict(list)
        for m in conn.execute(
            select(Match.media_sha256, HashSet.name, HashSet.purpose, Match.method,
                   Match.distance, Match.category)
            .join(HashSet, HashSet.id == Match.hashset_id)
            .where(Match.media_sha256.in_(case_media))
        ):
            by_media[m.media_sha256].append({
                "hashset": m.name, "purpose": m.purpose, "method": m.method,
                "distance": m.distance, "category": m.category,
            })
        rows = conn.execution_options(yield_per=2000).execute(
            select(Item.path, Item.status, Item.reason, Item.media_sha256, Item.mime,
                   Item.size, Item.ext_mismatch, Item.deleted, Media.kind, Media.ai_level,
                   Item.artefacts, Item.original_path, Item.deleted_at, Item.locator)
            .outerjoin(Media, Media.sha256 == Item.media_sha256)
            .where(Item.case_id == case).order_by(Item.id)
        )
        for r in rows:
            yield {
                "path": r.path, "status": r.status, "reason": r.reason,
                "sha256": r.media_sha256.hex() if r.media_sha256 else None,
                "type": r.mime, "kind": r.kind, "size": r.size,
                "extension_mismatch": r.ext_mismatch, "deleted": r.deleted,
                "ai_level": r.ai_level,
                "matches": by_media.get(r.media_sha256, []) if r.media_sha256 else [],
                "artefacts": split(r.artefacts),
                "original_path": r.original_path, "deleted_at": r.deleted_at,
                "cache_entry": cache_entry(r.locator),
            }
