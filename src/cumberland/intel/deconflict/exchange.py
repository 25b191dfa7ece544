"""Deconfliction between two workspaces: request, respond, finish, each audited on its side.

The workspace layer over ``protocol``: it picks the elements (distinct digests of a case's
media, or of the cases a responder answers for), keeps the requester's secret in the database
until finish (then wipes it), refuses replays on both sides, and writes one audit entry with
counts per step (refusals of a request too).
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError

from cumberland.intel.deconflict import cases as case_settings
from cumberland.intel.deconflict import protocol, wire
from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.intel.deconflict.identity import Agency, Verifier, load_agency
from cumberland.intel.deconflict.protocol import DIGESTS, Release
from cumberland.intel.deconflict.responder import held_outputs, to_array
from cumberland.store import audit
from cumberland.store.models import Case, DeconflictExchange, Item, Media
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace

MAX_REQUEST = 1_000_000  # elements a responder answers in one request, by default
MAX_RESPONSE = 200_000_000  # entries a requester reads from one response
CLOCK_SKEW = 600.0


@dataclass(frozen=True)
class Limits:
    max_request: int = MAX_REQUEST
    max_response: int = MAX_RESPONSE


def _digest_column(digest: str) -> Any:
    if digest not in DIGESTS:
        raise DeconflictError(f"digest must be one of {', '.join(DIGESTS)}, not {digest!r}")
    return getattr(Media, digest)


def _case_pairs(conn: Connection, digest: str, case_ids: list[int] | None
                ) -> list[tuple[bytes, int]]:
    """Distinct (digest, case) of the media found in the cases (all when None)."""
    column = _digest_column(digest)
    query = select(column, Item.case_id).distinct().join(Media, Media.sha256 == Item.media_sha256)
    if case_ids is not None:
        query = query.where(Item.case_id.in_(case_ids))
    return [(bytes(d), int(c)) for d, c in conn.execute(query)]


# --- requester ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Requested:
    exchange_id: str
    elements: int
    sent: int
    sha256: str
    data: bytes


def request(ws: Workspace, case: str, out: Path | None, actor: str = "cli", mode: str = "ids",
            digest: str = "sha256", to: str | None = None, pad_to: int = 0,
            workers: int = 0) -> Requested:
    """A signed request for ``case``'s media (the case must be approved), written to ``out``
    unless it goes straight to a peer's endpoint."""
    agency = load_agency(ws)
    cid = case_settings.case_of(ws, case)
    setting = case_settings.settings(ws, cid)
    if setting is None or setting.approved_at is None:
        raise DeconflictError(f"case {case!r} is not approved for deconfliction (cumberland "
                              f"deconflict approve --case {case})")
    with ws.engine.connect() as conn:
        elements = sorted({d for d, _ in _case_pairs(conn, digest, [cid])})
    made = protocol.make_request(elements, mode, digest, to, pad_to, workers)
    data = wire.encode("request", made.header, made.body, agency)
    sha = wire.write(out, data) if out else hashlib.sha256(data).hexdigest()
    with ws.engine.begin() as conn:
        conn.execute(insert(DeconflictExchange).values(
            exchange_id=made.pending.exchange_id, role="request", case_id=cid, peer=to or "",
            created_at=time.time(), request_sha256=sha, state=made.pending.encode(),
            counts={"elements": len(elements), "sent": made.header["n"]}))
    audit.append(ws, actor, "deconflict-request", cid, made.pending.exchange_id, {
        "elements": len(elements), "sent": made.header["n"], "mode": mode, "digest": digest,
        "to": to, "bytes": len(data)})
    return Requested(made.pending.exchange_id, len(elements), int(made.header["n"]), sha, data)


@dataclass(frozen=True)
class HitMedia:
    sha256: bytes
    sha1: bytes
    md5: bytes
    releases: tuple[Release, ...]


@dataclass(frozen=True)
class Finished:
    exchange_id: str
    responder: str
    mode: str
    asked: int
    held: int
    hits: list[HitMedia]
    responder_entries: int


def finish(ws: Workspace, response: Path | bytes, case: str, actor: str = "cli",
           limits: Limits = Limits(), workers: int = 0) -> Finished:
    """Read a response to one of this workspace's pending requests for ``case``."""
    cid = case_settings.case_of(ws, case)
    verifier = Verifier(ws)
    box: dict[str, Any] = {}

    def body_len(header: dict[str, Any]) -> int:
        row = _pending_row(ws, header, cid)
        box["row"], box["pending"] = row, protocol.Pending.decode(bytes(row.state or b""))
        if header.get("request_sha256") != row.request_sha256:
            raise DeconflictError("the response answers another request than this "
                                  "workspace's (bound to a different file)")
        return protocol.response_body_len(header, box["pending"], limits.max_response)

    envelope = _read(response, "response", verifier, body_len)
    row, pending = box["row"], box["pending"]
    if row.peer and envelope.sender != row.peer:
        raise DeconflictError(f"the request was addressed to {row.peer!r}, the response is "
                              f"signed by {envelope.sender!r}")
    outcome = protocol.finish(pending, envelope.header, envelope.body, workers)
    hits = _hit_media(ws, pending.digest, outcome.hits)
    with ws.engine.begin() as conn:
        done = conn.execute(update(DeconflictExchange).where(
            DeconflictExchange.exchange_id == pending.exchange_id,
            DeconflictExchange.role == "request", DeconflictExchange.finished_at.is_(None))
            .values(finished_at=time.time(), state=None,
                    counts={**row.counts, "held": outcome.held, "responder": envelope.sender}))
        if done.rowcount != 1:
            raise DeconflictError(f"exchange {pending.exchange_id} was finished meanwhile")
    audit.append(ws, actor, "deconflict-finish", cid, pending.exchange_id, {
        "responder": envelope.sender, "mode": pending.mode, "asked": row.counts["elements"],
        "held": outcome.held, "references": sum(len(h.releases) for h in hits),
        "responder_entries": outcome.responder_entries})
    return Finished(pending.exchange_id, envelope.sender, pending.mode,
                    int(row.counts["elements"]), outcome.held, hits, outcome.responder_entries)


def _pending_row(ws: Workspace, header: dict[str, Any], cid: int) -> DeconflictExchange:
    exchange_id = header.get("exchange_id")
    with ws.session() as session:
        row = session.get(DeconflictExchange, (str(exchange_id), "request"))
    if row is None:
        raise DeconflictError(f"this workspace made no request {exchange_id!r}")
    if row.case_id != cid:
        raise DeconflictError(f"exchange {exchange_id} was requested for another case")
    if row.finished_at is not None or row.state is None:
        raise DeconflictError(f"exchange {exchange_id} was already finished on "
                              f"{_when(row.finished_at)} (a replayed response)")
    return row


def _hit_media(ws: Workspace, digest: str, hits: list[protocol.Hit]) -> list[HitMedia]:
    by = {h.element: h.releases for h in hits}
    column = _digest_column(digest)
    with ws.engine.connect() as conn:
        rows = in_chunks(conn, select(Media.sha256, Media.sha1, Media.md5, column), column,
                         list(by))
    seen: dict[bytes, HitMedia] = {}
    for r in rows:
        seen[bytes(r.sha256)] = HitMedia(bytes(r.sha256), bytes(r.sha1), bytes(r.md5),
                                         by[bytes(r[3])])
    return sorted(seen.values(), key=lambda h: h.sha256)


# --- responder ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Responded:
    exchange_id: str
    requester: str
    asked: int
    held_elements: int
    entries: int
    released_cases: int
    blinded_now: int
    data: bytes


def respond(ws: Workspace, request_file: Path | bytes, cases: list[str] | None = None,
            actor: str = "cli", limits: Limits = Limits(), fresh_key: bool = False,
            workers: int = 0) -> Responded:
    """Answer a signed request from a trusted agency over ``cases`` (all when None)."""
    agency = load_agency(ws)
    verifier = Verifier(ws)
    try:
        envelope = _read(request_file, "request", verifier,
                         lambda h: protocol.request_body_len(h, limits.max_request))
        _check_request(envelope, agency)
        return _answer(ws, envelope, agency, cases, actor, fresh_key, workers)
    except DeconflictError as exc:
        audit.append(ws, actor, "deconflict-refused", None, None, {"reason": str(exc)})
        raise


def _check_request(envelope: wire.Envelope, agency: Agency) -> None:
    header, now = envelope.header, time.time()
    created, expires = header.get("created"), header.get("expires")
    if not isinstance(created, int | float) or not isinstance(expires, int | float):
        raise DeconflictError("the request header is not valid")
    if created > now + CLOCK_SKEW:
        raise DeconflictError("the request is dated in the future")
    if expires < now:
        raise DeconflictError(f"the request expired on {_when(expires)}")
    if header.get("to") not in (None, agency.name):
        raise DeconflictError(f"the request is addressed to {header.get('to')!r}, not to "
                              f"{agency.name!r}")


def _answer(ws: Workspace, envelope: wire.Envelope, agency: Agency, cases: list[str] | None,
            actor: str, fresh_key: bool, workers: int) -> Responded:
    header = envelope.header
    exchange_id = str(header["exchange_id"])
    case_ids = [case_settings.case_of(ws, c) for c in cases] if cases else None
    _claim(ws, exchange_id, envelope)
    digest = header["digest"]
    with ws.engine.connect() as conn:
        pairs = _case_pairs(conn, digest, case_ids)
        answered = case_ids if case_ids is not None else [
            int(c) for c in conn.scalars(select(Case.id))]
    width = DIGESTS[digest]
    elements = np.unique(to_array([d for d, _ in pairs], width))
    scalar, outs, blinded = held_outputs(ws, elements, width, digest, fresh_key, workers)
    held = protocol.Held(outs)
    if header["mode"] == "ids":
        released = case_settings.releases(ws, answered)
        slot = {cid: i for i, cid in enumerate(sorted(released))}
        held.releases = [released[c] for c in sorted(released)]
        released_pairs = [(d, slot[c]) for d, c in pairs if c in slot]
        held.slot_elements = np.searchsorted(
            elements, to_array([d for d, _ in released_pairs], width)).astype(np.int64)
        held.slot_values = np.asarray([s for _, s in released_pairs], dtype=np.int64)
    out_header, body = protocol.answer(header, envelope.body, scalar, held, exchange_id,
                                       workers)
    data = wire.encode("response", {**out_header, "exchange_id": exchange_id,
                                    "request_sha256": envelope.sha256}, body, agency)
    counts = {"asked": int(header["n"]), "held_elements": len(elements),
              "entries": int(out_header["m"]), "released_cases": len(held.releases),
              "blinded_now": blinded, "mode": header["mode"], "digest": digest,
              "cases": cases or "all", "bytes": len(data)}
    with ws.engine.begin() as conn:
        conn.execute(update(DeconflictExchange).where(
            DeconflictExchange.exchange_id == exchange_id,
            DeconflictExchange.role == "response").values(finished_at=time.time(),
                                                           counts=counts))
    audit.append(ws, actor, "deconflict-respond", None, exchange_id,
                 {"requester": envelope.sender, **counts})
    return Responded(exchange_id, envelope.sender, int(header["n"]), len(elements),
                     int(out_header["m"]), len(held.releases), blinded, data)


def _claim(ws: Workspace, exchange_id: str, envelope: wire.Envelope) -> None:
    """Record the exchange before answering: a second copy of the request is refused."""
    try:
        with ws.engine.begin() as conn:
            conn.execute(insert(DeconflictExchange).values(
                exchange_id=exchange_id, role="response", case_id=None, peer=envelope.sender,
                created_at=time.time(), request_sha256=envelope.sha256, counts={}))
    except IntegrityError:
        with ws.session() as session:
            row = session.get(DeconflictExchange, (exchange_id, "response"))
        raise DeconflictError(f"request {exchange_id} was already answered on "
                              f"{_when(row.created_at if row else None)} (a replayed request)"
                              ) from None


def _read(source: Path | bytes, kind: str, verifier: Verifier, body_len: wire.BodyLimit
          ) -> wire.Envelope:
    if isinstance(source, bytes):
        return wire.read_bytes(source, kind, verifier, body_len)
    return wire.read(source, kind, verifier, body_len)


def _when(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(at)) if at else "an earlier date"
