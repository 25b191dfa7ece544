"""Export a case's categorised media as a VICS 2.0 case file (US profile by default).

Every categorised media becomes one ``Media`` record with its hashes, size, type, the
reviewer's category, and one ``MediaFiles`` entry per place it was found (the full path
chain), so the receiving tool can locate it. Written streaming, a batch of media at a time,
so a case of a million decisions never sits in memory. The file reads back with
``cumberland.hashsets.detect.open_reader``.
"""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from cumberland import __version__
from cumberland.store.models import Case, Decision, Item, Media, Source
from cumberland.store.workspace import Workspace

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{profile}/$metadata#Cases"
PROFILE_SCHEMES = {"US": "vics-us", "Default": "vics-us", "UK": "vics-uk"}
BATCH = 1000


@dataclass(frozen=True, slots=True)
class ExportOutcome:
    path: Path
    media: int
    files: int
    scheme: str


def _iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat() if ts is not None else None


def _media_files(conn: Session, case: int, shas: list[bytes]) -> dict[bytes, list[Any]]:
    rows = conn.execute(select(Item, Source.uri).join(Source, Source.id == Item.source_id)
                        .where(Item.case_id == case, Item.media_sha256.in_(shas))
                        .order_by(Item.path))
    found: dict[bytes, list[Any]] = defaultdict(list)
    for item, uri in rows:
        found[item.media_sha256 or b""].append((item, uri))
    return found


def _record(index: int, media: Media, decision: Decision | None,
            files: list[Any]) -> dict[str, Any]:
    md5 = media.md5.hex().upper()
    alternatives = [{"MD5": md5, "HashName": "SHA256", "HashValue": media.sha256.hex()}]
    if media.pdq:
        alternatives.append({"MD5": md5, "HashName": "PDQ", "HashValue": media.pdq.hex()})
    return {
        "MediaID": index,
        "Category": decision.category if decision else None,
        "MD5": md5,
        "SHA1": media.sha1.hex().upper(),
        "MediaSize": media.size,
        "MimeType": media.mime,
        "DateUpdated": _iso(decision.decided_at) if decision else None,
        "IsPrecategorized": False,
        "RelativeFilePath": files[0][0].path if files else None,
        "AlternativeHashes": alternatives,
        "MediaFiles": [{
            "MD5": md5,
            "FileName": item.chain[-1].rsplit("/", 1)[-1] if item.chain else item.path,
            "FilePath": item.path,
            "Created": _iso(item.created),
            "Written": _iso(item.modified),
            "Accessed": _iso(item.accessed),
            "Unallocated": False,
            "Deleted": bool(item.deleted),
            "SourceID": uri,
        } for item, uri in files],
    }


def _records(conn: Session, case: int, scheme: str,
             only: Collection[bytes] | None = None) -> Iterator[tuple[dict[str, Any], int]]:
    """Categorised media in SHA-256 order; with ``only``, exactly those media, categorised
    or not (a referral lists the media linked to its persons)."""
    after = b""
    index = 0
    wanted = sorted(only) if only is not None else None
    while True:
        if wanted is not None:
            keys = [k for k in wanted if k > after][:BATCH]
            if not keys:
                return
            batch = [(d, m) for m, d in conn.execute(
                select(Media, Decision).outerjoin(Decision, and_(
                    Decision.media_sha256 == Media.sha256, Decision.case_id == case,
                    Decision.scheme == scheme)).where(Media.sha256.in_(keys))
                .order_by(Media.sha256)).all()]
            after = keys[-1]
        else:
            batch = list(conn.execute(
                select(Decision, Media).join(Media, Media.sha256 == Decision.media_sha256)
                .where(Decision.case_id == case, Decision.scheme == scheme,
                       Decision.media_sha256 > after)
                .order_by(Decision.media_sha256).limit(BATCH)).all())
        if not batch:
            return
        files = _media_files(conn, case, [bytes(m.sha256) for _, m in batch])
        for decision, media in batch:
            index += 1
            found = files.get(bytes(media.sha256), [])
            yield _record(index, media, decision, found), len(found)
        if wanted is None:
            after = bytes(batch[-1][1].sha256)


def write_vics(ws: Workspace, case: int, out: Path, profile: str = "US",
               only: Collection[bytes] | None = None) -> ExportOutcome:
    """Write the export to ``out`` (atomically: a temporary file renamed at the end);
    ``only``: just these media (SHA-256), with their categories where reviewers gave one."""
    scheme = PROFILE_SCHEMES.get(profile)
    if scheme is None:
        raise ValueError(f"profile must be one of {', '.join(PROFILE_SCHEMES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".tmp")
    with ws.session() as conn, tmp.open("w", encoding="utf-8") as stream:
        name = conn.scalar(select(Case.name).where(Case.id == case))
        if name is None:
            raise LookupError(f"no case with id {case}")
        total = int(conn.scalar(select(func.count()).select_from(Item).where(
            Item.case_id == case)) or 0)
        media, files = _write(stream, conn, case, scheme, profile, only, {
            "CaseID": str(uuid.uuid5(uuid.NAMESPACE_URL, f"cumberland:{ws.root}:{case}")),
            "CaseNumber": name,
            "TotalMediaFiles": total,
            "TotalPrecategorized": 0,
            "SourceApplicationName": "Cumberland",
            "SourceApplicationVersion": __version__,
        })
    tmp.replace(out)
    return ExportOutcome(out, media, files, scheme)


def _write(stream: IO[str], conn: Session, case: int, scheme: str, profile: str,
           only: Collection[bytes] | None, fields: dict[str, Any]) -> tuple[int, int]:
    head = json.dumps({"@odata.context": CONTEXT.format(profile=profile)})[:-1]
    case_fields = json.dumps(fields, ensure_ascii=False)[1:-1]
    stream.write(f'{head}, "value": [{{{case_fields}, "Media": [\n')
    media = files = 0
    for record, nfiles in _records(conn, case, scheme, only):
        stream.write(("," if media else "") + json.dumps(record, ensure_ascii=False) + "\n")
        media += 1
        files += nfiles
    stream.write("]}]}\n")
    return media, files
