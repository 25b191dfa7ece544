"""The exchange itself, over plain element lists (the workspace layer is ``exchange.py``).

1. The requester picks a secret ``a`` and sends x([a]H(x)) for each of its elements, in an
   order of its own (shuffled, dummies mixed in if asked).
2. The responder, with secret ``b``, sends back x([b][a]H(x)) for each (shuffled as well when
   only a count is asked for), and a table of its own elements: for each, the first 8 bytes of
   F(y) = SHA-256(DST ‖ x([b]H(y))) as a tag, sorted, and — when identities are asked for —
   a masked label: the slot of a reference it chose to release and that reference's key, XORed
   with the next 18 bytes of F(y). References travel encrypted, each under its own key.
3. The requester removes ``a`` (x([a⁻¹]·) of what came back gives x([b]H(x))), computes F(x),
   and looks its tags up. A hit's label opens only with F(x), so only a requester holding the
   element can read the reference; a value it does not hold stays a random-looking tag.
"""

from __future__ import annotations

import hashlib
import json
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cumberland.intel.deconflict import group
from cumberland.intel.deconflict.errors import DeconflictError

MODES = ("ids", "count")
DIGESTS = {"sha256": 32, "sha1": 20, "md5": 16}
TAG = 8  # bytes: with 10 M held and 1 M asked, a false tag is ~2**-20 likely per exchange
LABEL = 18  # slot u16 + a 16-byte reference key
NONE = 0xFFFF  # slot of "held, but no reference released"
REF_PLAIN = 240  # references are padded to one length, so their sizes say nothing
REF = REF_PLAIN + 16
MAX_REFS = 4096
REQUEST_TTL = 30 * 86400  # a request older than this is refused


@dataclass(frozen=True)
class Release:
    """What a responder lets a requester see on a hit: its case reference and contact point."""

    reference: str
    contact: str

    def encode(self) -> bytes:
        data = json.dumps({"reference": self.reference, "contact": self.contact},
                          separators=(",", ":"), ensure_ascii=False).encode("utf-8")
        if len(data) > REF_PLAIN:
            raise DeconflictError("case reference and contact point together must fit in "
                                  f"{REF_PLAIN - 40} characters")
        return data + b" " * (REF_PLAIN - len(data))


@dataclass(frozen=True)
class Pending:
    """The requester's secret state between request and finish."""

    exchange_id: str
    scalar: int
    mode: str
    digest: str
    elements: list[bytes]  # in the order sent; b"" for a dummy

    def encode(self) -> bytes:
        meta = {"exchange_id": self.exchange_id, "scalar": f"{self.scalar:064x}",
                "mode": self.mode, "digest": self.digest,
                "dummies": [i for i, e in enumerate(self.elements) if not e]}
        width = DIGESTS[self.digest]
        body = b"".join(e or b"\0" * width for e in self.elements)
        return json.dumps(meta).encode() + b"\n" + body

    @classmethod
    def decode(cls, data: bytes) -> Pending:
        meta_text, _, body = data.partition(b"\n")
        meta = json.loads(meta_text)
        width = DIGESTS[meta["digest"]]
        elements = [body[i:i + width] for i in range(0, len(body), width)]
        for i in meta["dummies"]:
            elements[i] = b""
        return cls(meta["exchange_id"], int(meta["scalar"], 16), meta["mode"], meta["digest"],
                   elements)


@dataclass(frozen=True)
class Request:
    header: dict[str, Any]
    body: bytes
    pending: Pending


def make_request(elements: list[bytes], mode: str, digest: str, to: str | None = None,
                 pad_to: int = 0, workers: int = 0) -> Request:
    """Blind ``elements`` (distinct digests of ``digest``) under a fresh secret."""
    if mode not in MODES:
        raise DeconflictError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    width = DIGESTS.get(digest)
    if width is None:
        raise DeconflictError(f"digest must be one of {', '.join(DIGESTS)}, not {digest!r}")
    sent = [e for e in dict.fromkeys(elements) if len(e) == width]
    sent += [b""] * max(0, pad_to - len(sent))
    random.SystemRandom().shuffle(sent)
    scalar = group.new_scalar()
    real = [e or secrets.token_bytes(width) for e in sent]  # dummies: random, never held
    blinded = group.hash_blind(scalar, real, workers)
    exchange_id = uuid.uuid4().hex
    now = time.time()
    header = {"exchange_id": exchange_id, "created": now, "expires": now + REQUEST_TTL,
              "to": to, "mode": mode, "digest": digest, "group": "P-256", "n": len(sent)}
    return Request(header, b"".join(blinded), Pending(exchange_id, scalar, mode, digest, sent))


def request_body_len(header: dict[str, Any], max_elements: int) -> int:
    """The body a request header implies, refusing what this workspace will not answer."""
    n = header.get("n")
    if not isinstance(n, int) or n < 0:
        raise DeconflictError("the request header is not valid")
    if n > max_elements:
        raise DeconflictError(f"the request holds {n:,} elements, over this workspace's limit "
                              f"of {max_elements:,}")
    if header.get("mode") not in MODES or header.get("digest") not in DIGESTS \
            or header.get("group") != "P-256":
        raise DeconflictError("the request asks for a mode, digest or group this Cumberland "
                              "does not know")
    return n * group.POINT


def _none() -> np.ndarray:
    return np.zeros(0, dtype=np.int64)


@dataclass
class Held:
    """The responder's side: PRF values of its distinct elements, and what it releases."""

    outs: np.ndarray  # (k, 32) uint8: F(y) of each element
    releases: list[Release] = field(default_factory=list)
    # pairs (element index, release slot) for elements in cases with a released reference
    slot_elements: np.ndarray = field(default_factory=_none)
    slot_values: np.ndarray = field(default_factory=_none)


def _tags(outs: np.ndarray) -> np.ndarray:
    return outs[:, :TAG].copy().view(">u8").ravel()


def _mask(out: bytes, j: int) -> bytes:
    if j == 0:
        return out[TAG:TAG + LABEL]
    return hashlib.sha256(b"cumberland/deconflict/v1/mask" + out + bytes([j])).digest()[:LABEL]


def answer(header: dict[str, Any], body: bytes, scalar: int, held: Held,
           exchange_id: str, workers: int = 0) -> tuple[dict[str, Any], bytes]:
    """The response header and body to a verified request."""
    n = int(header["n"])
    xs = [body[i * group.POINT:(i + 1) * group.POINT] for i in range(n)]
    try:
        returned = group.blind(scalar, xs, workers)
    except group.BadPoint:
        raise DeconflictError("the request holds a value that is not a curve point "
                              "(altered or not made by Cumberland)") from None
    mode = header["mode"]
    if mode == "count":
        random.SystemRandom().shuffle(returned)  # the requester cannot tell which one matched
        tags = np.unique(_tags(held.outs))
        parts = [b"".join(returned), tags.astype(">u8").tobytes()]
        out = {"m": len(tags), "refs": 0}
    else:
        table, refs = _label_table(held, exchange_id)
        parts = [b"".join(returned), table, b"".join(refs)]
        out = {"m": len(table) // (TAG + LABEL), "refs": len(refs)}
    return {"mode": mode, "n": n, **out}, b"".join(parts)


def _entries(held: Held) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(element, slot, j) per table entry: one per (element, released case), j numbering an
    element's entries, and one (element, NONE, 0) for an element no case of which released."""
    order = np.lexsort((held.slot_values, held.slot_elements))
    elements = np.asarray(held.slot_elements, dtype=np.int64)[order]
    slots = np.asarray(held.slot_values, dtype=np.int64)[order]
    starts = np.r_[0, np.flatnonzero(np.diff(elements)) + 1] if len(elements) else _none()
    first = np.repeat(starts, np.diff(np.r_[starts, len(elements)]))
    nth = np.arange(len(elements), dtype=np.int64) - first
    bare = np.setdiff1d(np.arange(len(held.outs), dtype=np.int64), elements,
                        assume_unique=False)
    return (np.concatenate([elements, bare]),
            np.concatenate([slots, np.full(len(bare), NONE, dtype=np.int64)]),
            np.concatenate([nth, np.zeros(len(bare), dtype=np.int64)]))


def _label_table(held: Held, exchange_id: str) -> tuple[bytes, list[bytes]]:
    """Entries (tag ‖ masked label) sorted by tag, then by j within an element."""
    if len(held.releases) > MAX_REFS:
        raise DeconflictError(f"more than {MAX_REFS} case references to release")
    keys = [secrets.token_bytes(16) for _ in held.releases]
    aad = exchange_id.encode()
    refs = [AESGCM(key).encrypt(b"\0" * 12, rel.encode(), aad)
            for key, rel in zip(keys, held.releases, strict=True)]
    element, slot, nth = _entries(held)
    tags = _tags(held.outs)[element]
    order = np.lexsort((nth, tags))
    element, slot, nth, tags = element[order], slot[order], nth[order], tags[order]
    plain = np.zeros((len(element), LABEL), dtype=np.uint8)
    plain[:, 0] = slot >> 8
    plain[:, 1] = slot & 0xFF
    if keys:
        key_table = np.frombuffer(b"".join(keys) + b"\0" * 16, dtype=np.uint8).reshape(-1, 16)
        plain[:, 2:] = key_table[np.where(slot == NONE, len(keys), slot)]
    mask = held.outs[element, TAG:TAG + LABEL]
    for row in np.flatnonzero(nth):  # elements in several released cases (rare)
        mask[row] = np.frombuffer(_mask(held.outs[element[row]].tobytes(), int(nth[row])),
                                  dtype=np.uint8)
    entries = np.empty((len(element), TAG + LABEL), dtype=np.uint8)
    entries[:, :TAG] = tags.astype(">u8").view(np.uint8).reshape(-1, TAG)
    entries[:, TAG:] = plain ^ mask
    return entries.tobytes(), refs


def response_body_len(header: dict[str, Any], pending: Pending, max_entries: int) -> int:
    n, m, refs = header.get("n"), header.get("m"), header.get("refs")
    if not all(isinstance(v, int) and v >= 0 for v in (n, m, refs)):
        raise DeconflictError("the response header is not valid")
    assert isinstance(n, int) and isinstance(m, int) and isinstance(refs, int)
    if header.get("mode") != pending.mode or n != len(pending.elements):
        raise DeconflictError("the response does not answer this request's mode and size")
    if m > max_entries or refs > MAX_REFS:
        raise DeconflictError(f"the response holds {m:,} entries, over the limit of "
                              f"{max_entries:,}")
    if pending.mode == "count":
        return n * group.POINT + m * TAG
    return n * group.POINT + m * (TAG + LABEL) + refs * REF


@dataclass(frozen=True)
class Hit:
    """One of the requester's elements the responder holds, with what it released."""

    element: bytes
    releases: tuple[Release, ...]


@dataclass(frozen=True)
class Outcome:
    held: int  # requester elements the responder holds
    hits: list[Hit]  # empty in count mode
    responder_entries: int


def finish(pending: Pending, header: dict[str, Any], body: bytes, workers: int = 0) -> Outcome:
    n, m = int(header["n"]), int(header["m"])
    returned = [body[i * group.POINT:(i + 1) * group.POINT] for i in range(n)]
    try:
        unblinded = group.blind(group.inverse(pending.scalar), returned, workers)
    except group.BadPoint:
        raise DeconflictError("the response holds a value that is not a curve point "
                              "(altered)") from None
    outs = [group.output(x) for x in unblinded]
    at = n * group.POINT
    width = TAG if pending.mode == "count" else TAG + LABEL
    table = (np.frombuffer(body, dtype=np.uint8, count=m * width, offset=at).reshape(m, width)
             if m else np.zeros((0, width), dtype=np.uint8))
    tags = table[:, :TAG].copy().view(">u8").ravel().astype(np.uint64)
    if np.any(tags[1:] < tags[:-1]):
        raise DeconflictError("the response's table is not in order (altered)")
    mine = np.frombuffer(b"".join(o[:TAG] for o in outs), dtype=">u8").astype(np.uint64)
    left = np.searchsorted(tags, mine, "left")
    right = np.searchsorted(tags, mine, "right")
    found = np.flatnonzero(right > left)
    if pending.mode == "count":  # dummies are random: they match nothing
        return Outcome(len(found), [], m)
    refs_at = at + m * width
    refs = [body[refs_at + i * REF:refs_at + (i + 1) * REF] for i in range(int(header["refs"]))]
    hits = []
    for i in found:
        if not pending.elements[i]:
            continue
        releases, valid = _open(outs[i], table[left[i]:right[i], TAG:], refs,
                                pending.exchange_id)
        if valid:
            hits.append(Hit(pending.elements[i], releases))
    return Outcome(len(hits), hits, m)


def _open(out: bytes, labels: np.ndarray, refs: list[bytes], exchange_id: str
          ) -> tuple[tuple[Release, ...], bool]:
    """The releases of a tag hit; ``valid`` is False for a tag shared by chance with another
    element (its labels do not open)."""
    releases: list[Release] = []
    valid = False
    for j, label in enumerate(labels):
        plain = bytes(a ^ b for a, b in zip(label.tobytes(), _mask(out, j), strict=True))
        slot, key = int.from_bytes(plain[:2], "big"), plain[2:]
        if slot == NONE:
            valid = valid or key == b"\0" * 16
            continue
        if slot >= len(refs):
            continue
        try:
            data = AESGCM(key).decrypt(b"\0" * 12, refs[slot], exchange_id.encode())
            record = json.loads(data)
        except (InvalidTag, ValueError):
            continue
        releases.append(Release(str(record["reference"]), str(record["contact"])))
        valid = True
    return tuple(releases), valid
