"""The files that travel: a signed, versioned envelope bound to one exchange.

Layout (big-endian)::

    "CBDX" | version u16 | header length u32 | header (canonical JSON) | Ed25519 signature (64)
    | body

The signature covers everything before it; the header names the kind, the exchange id, the
sender (agency and key fingerprint), the body's length and SHA-256, and the counts that fix the
body's layout. A reader checks in an order that reveals nothing and reads nothing it need not:
magic, version, header size, signature, kind, declared sizes against its limits, the file's
length, then the body's digest while streaming it. Every failure is one line.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.intel.deconflict.identity import Agency, Verifier

MAGIC = b"CBDX"
VERSION = 1
PREFIX = struct.Struct(">4sHI")
SIGNATURE = 64
MAX_HEADER = 256 * 1024
BLOCK = 1 << 20


def canonical(header: dict[str, Any]) -> bytes:
    return json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass(frozen=True)
class Envelope:
    header: dict[str, Any]
    body: bytes
    sha256: str  # of the whole file: what a response is bound to
    sender: str


def encode(kind: str, header: dict[str, Any], body: bytes, agency: Agency) -> bytes:
    full = {**header, "kind": kind, "from": {"agency": agency.name, "key": agency.fingerprint},
            "body_len": len(body), "body_sha256": hashlib.sha256(body).hexdigest()}
    text = canonical(full)
    signed = PREFIX.pack(MAGIC, VERSION, len(text)) + text
    return signed + agency.sign(signed) + body


def write(path: Path, data: bytes) -> str:
    """Write atomically (a half-written file is never left under the final name)."""
    tmp = path.with_name(f".{path.name}.part")
    try:
        tmp.write_bytes(data)
        tmp.replace(path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DeconflictError(f"{path}: {exc.strerror or exc}") from None
    return hashlib.sha256(data).hexdigest()


def _exact(stream: BinaryIO, size: int, what: str) -> bytes:
    data = stream.read(size)
    if len(data) != size:
        raise DeconflictError(f"truncated: the file ends inside its {what}")
    return data


BodyLimit = Callable[[dict[str, Any]], int]
"""Given the verified header, the exact body length it implies (raises if over a limit)."""


def read(path: Path, kind: str, verifier: Verifier, body_len: BodyLimit) -> Envelope:
    try:
        with path.open("rb") as stream:
            return _read(stream, path.stat().st_size, kind, verifier, body_len)
    except OSError as exc:
        raise DeconflictError(f"{path}: {exc.strerror or exc}") from None


def read_bytes(data: bytes, kind: str, verifier: Verifier, body_len: BodyLimit) -> Envelope:
    import io

    return _read(io.BytesIO(data), len(data), kind, verifier, body_len)


def _read(stream: BinaryIO, size: int, kind: str, verifier: Verifier,
          body_len: BodyLimit) -> Envelope:
    head = stream.read(PREFIX.size)
    if len(head) < 4 or head[:4] != MAGIC:
        raise DeconflictError("not a Cumberland deconfliction file")
    if len(head) < PREFIX.size:
        raise DeconflictError("truncated: the file ends inside its header")
    _, version, header_len = PREFIX.unpack(head)
    if version != VERSION:
        raise DeconflictError(f"made with deconfliction format version {version}; this "
                              f"Cumberland reads version {VERSION}")
    if header_len > MAX_HEADER:
        raise DeconflictError(f"header of {header_len:,} bytes is over the limit of "
                              f"{MAX_HEADER:,}")
    text = _exact(stream, header_len, "header")
    signature = _exact(stream, SIGNATURE, "signature")
    try:
        header = json.loads(text)
        sender, fpr = header["from"]["agency"], header["from"]["key"]
    except (ValueError, KeyError, TypeError):
        raise DeconflictError("the header is not valid (altered?)") from None
    if not isinstance(header, dict) or not isinstance(sender, str) or not isinstance(fpr, str):
        raise DeconflictError("the header is not valid (altered?)")
    verifier.verify(sender, fpr, signature, head + text)
    if header.get("kind") != kind:
        raise DeconflictError(f"this is a deconfliction {header.get('kind')}, not a {kind}")
    expected = body_len(header)
    if header.get("body_len") != expected:
        raise DeconflictError("the declared body size does not fit its counts (altered?)")
    total = PREFIX.size + header_len + SIGNATURE + expected
    if size < total:
        raise DeconflictError(f"truncated: {size:,} bytes of {total:,}")
    if size > total:
        raise DeconflictError(f"{size - total:,} bytes follow the end of the {kind} (altered?)")
    digest = hashlib.sha256()
    digest.update(head + text + signature)
    body_digest = hashlib.sha256()
    parts = []
    remaining = expected
    while remaining:
        block = _exact(stream, min(BLOCK, remaining), "body")
        body_digest.update(block)
        parts.append(block)
        remaining -= len(block)
    if body_digest.hexdigest() != header.get("body_sha256"):
        raise DeconflictError("the body does not match its signed digest (altered)")
    body = b"".join(parts)
    digest.update(body)
    return Envelope(header, body, digest.hexdigest(), sender)
