"""Signed anchors of the audit chain, so a chain edited and re-hashed to its end is detected.

The hash chain alone proves only that it is self-consistent: whoever can write the database
can edit an entry and recompute every later hash. An anchor is a statement "entry N of this
workspace's chain had hash H at time T", signed with an Ed25519 key the agency holds outside
the workspace, appended to an anchors file also kept outside it. A rewritten chain no longer
has H at N, and a new anchor cannot be forged without the key. Anchors are written on a
schedule (the server, or ``cumberland audit anchor`` from cron) and on every export.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import func, select

from cumberland.store import audit
from cumberland.store.models import AuditEntry
from cumberland.store.workspace import Workspace, file_lock

VERSION = 1


class AnchorError(ValueError):
    """A key or anchors file that cannot be used (missing, inside the workspace, not Ed25519)."""


def _public_hex(key: Ed25519PublicKey) -> str:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def default_anchors(key_path: Path) -> Path:
    """Beside the key: ``KEY.anchors.jsonl`` (for ``KEY`` or its public half ``KEY.pub``)."""
    base = key_path.with_suffix("") if key_path.suffix == ".pub" else key_path
    return base.with_name(base.name + ".anchors.jsonl")


def check_outside(path: Path, root: Path) -> None:
    """A key or anchors file inside the workspace protects nothing: whoever rewrites the
    database can rewrite it too."""
    resolved = path.expanduser().resolve()
    if resolved == root or root in resolved.parents:
        raise AnchorError(f"{path} is inside the workspace {root}; keep the audit key and "
                          "its anchors where the workspace's users cannot write")


def generate_key(path: Path) -> Path:
    """Write a new private key (PEM, mode 0600) at ``path`` and its public half at
    ``path.pub``; returns the public key's path. Never overwrites a key."""
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise AnchorError(f"{path} exists; not overwriting a key") from None
    with os.fdopen(fd, "wb") as out:
        out.write(private)
    pub = path.with_name(path.name + ".pub")
    pub.write_bytes(public)
    return pub


def _load(path: Path) -> Ed25519PrivateKey | Ed25519PublicKey:
    try:
        data = path.expanduser().read_bytes()
    except OSError as exc:
        raise AnchorError(f"cannot read the audit key {path}: {exc.strerror}") from None
    try:
        if b"PRIVATE KEY" in data:
            key: Any = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError) as exc:
        raise AnchorError(f"{path} is not a PEM key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise AnchorError(f"{path} is not an Ed25519 key")
    return key


def signing_key(path: Path) -> Ed25519PrivateKey:
    key = _load(path)
    if not isinstance(key, Ed25519PrivateKey):
        raise AnchorError(f"{path} is a public key; signing needs the private one")
    return key


def verify_key(path: Path) -> Ed25519PublicKey:
    """The public key of ``path`` (a private or a public PEM)."""
    key = _load(path)
    return key.public_key() if isinstance(key, Ed25519PrivateKey) else key


@dataclass(frozen=True, slots=True)
class Anchor:
    entry: int
    row_hash: str
    at: str
    reason: str
    line: int = 0


def _payload(ws: Workspace, entry: int, row_hash: str, at: str, reason: str,
             key: Ed25519PublicKey) -> dict[str, Any]:
    return {"v": VERSION, "workspace": str(ws.root), "entry": entry, "row_hash": row_hash,
            "at": at, "reason": reason, "key": _public_hex(key)}


def _read(path: Path) -> list[tuple[int, dict[str, Any] | None]]:
    """Every line of the anchors file as (line number, parsed or None when not JSON)."""
    if not path.is_file():
        return []
    out: list[tuple[int, dict[str, Any] | None]] = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            out.append((number, value if isinstance(value, dict) else None))
    return out


def _signed(record: dict[str, Any], key: Ed25519PublicKey) -> bool:
    body = {k: v for k, v in record.items() if k != "sig"}
    try:
        key.verify(bytes.fromhex(str(record.get("sig", ""))), audit.canonical(body).encode())
    except (InvalidSignature, ValueError):
        return False
    return True


def last_anchor(ws: Workspace, anchors: Path, key: Ed25519PublicKey) -> Anchor | None:
    """The newest anchor of this workspace that carries a valid signature."""
    found = None
    for number, record in _read(anchors):
        if record and record.get("workspace") == str(ws.root) and _signed(record, key):
            found = Anchor(int(record["entry"]), str(record["row_hash"]), str(record["at"]),
                           str(record.get("reason", "")), number)
    return found


def write_anchor(ws: Workspace, key_path: Path, anchors: Path | None = None,
                 reason: str = "scheduled") -> Anchor:
    """Verify the chain since the last anchor, then sign and append an anchor of its tail.

    A broken chain is never anchored (that would certify the damage): AnchorError instead.
    """
    check_outside(key_path, ws.root)
    target = anchors or default_anchors(key_path)
    check_outside(target, ws.root)
    key = signing_key(key_path)
    previous = last_anchor(ws, target, key.public_key())
    verdict = audit.verify(ws, start=(previous.entry, previous.row_hash) if previous else None)
    if not verdict.ok:
        raise AnchorError(f"not anchored: audit chain broken at entry {verdict.bad_id}: "
                          f"{verdict.reason}")
    at = datetime.now(UTC).isoformat(timespec="seconds")
    body = _payload(ws, verdict.last_id, verdict.last_hash, at, reason, key.public_key())
    record = {**body, "sig": key.sign(audit.canonical(body).encode()).hex()}
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.with_name(target.name + ".lock")), target.open("a") as out:
        out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    return Anchor(verdict.last_id, verdict.last_hash, at, reason)


@dataclass(frozen=True, slots=True)
class AnchorCheck:
    checked: int
    findings: list[str]


def check_anchors(ws: Workspace, key_path: Path, anchors: Path | None = None) -> AnchorCheck:
    """Every anchor of this workspace against the chain as it is now.

    Names what was found: a forged or edited anchor, entries removed from the chain's end
    (the chain is shorter than an anchored entry), or entries rewritten and re-hashed (an
    anchored entry has another hash), with the last anchor that still matches.
    """
    check_outside(key_path, ws.root)
    target = anchors or default_anchors(key_path)
    key = verify_key(key_path)
    own = _public_hex(key)
    findings: list[str] = []
    good: list[Anchor] = []
    for number, record in _read(target):
        if record is None:
            findings.append(f"{target} line {number} is not an anchor (edited?)")
            continue
        if record.get("workspace") != str(ws.root):
            continue
        if record.get("key") != own or not _signed(record, key):
            findings.append(f"{target} line {number}: the signature does not verify with this "
                            "key (a forged or edited anchor)")
            continue
        good.append(Anchor(int(record["entry"]), str(record["row_hash"]), str(record["at"]),
                           str(record.get("reason", "")), number))
    if not good and not findings:
        findings.append(f"no signed anchor of this workspace in {target}: nothing shows the "
                        "chain was not rewritten (write one with `cumberland audit anchor`)")
    hashes = audit.hashes_at(ws, sorted({a.entry for a in good if a.entry > 0}))
    with ws.engine.connect() as conn:
        last = int(conn.scalar(select(func.max(AuditEntry.id))) or 0)
    matching: Anchor | None = None
    for anchor in sorted(good, key=lambda a: a.entry):
        if anchor.entry == 0:
            continue
        have = hashes.get(anchor.entry)
        if have == anchor.row_hash:
            matching = anchor
            continue
        since = (f"; the anchor of {matching.at} (entry {matching.entry}) still matches"
                 if matching else "; no earlier anchor matches")
        if have is None and anchor.entry > last:
            findings.append(f"the chain ends at entry {last} but the anchor of {anchor.at} "
                            f"covers entry {anchor.entry}: entries {last + 1}-{anchor.entry} "
                            f"were removed from its end{since}")
        elif have is None:
            findings.append(f"entry {anchor.entry}, anchored on {anchor.at}, is missing from "
                            f"the chain (deleted){since}")
        else:
            findings.append(f"entry {anchor.entry} has another hash than the anchor of "
                            f"{anchor.at}: entries up to it were modified and the chain "
                            f"re-hashed{since}")
        break
    return AnchorCheck(len(good), findings)


@dataclass(frozen=True, slots=True)
class Report:
    """Everything ``audit verify`` checks: the chain, the decisions against it, the anchors."""

    rows: int
    last_id: int
    last_hash: str
    findings: list[str]
    anchors: int | None  # signed anchors checked; None when no key was given

    @property
    def ok(self) -> bool:
        return not self.findings


def verify_all(ws: Workspace, anchor: str | None = None, key_path: Path | None = None,
               anchors: Path | None = None) -> Report:
    verdict = audit.verify(ws, anchor=anchor)
    findings = [] if verdict.ok else [
        f"audit chain broken at entry {verdict.bad_id}: {verdict.reason}"]
    findings += audit.decisions_against_log(ws)
    checked = None
    if key_path is not None:
        result = check_anchors(ws, key_path, anchors)
        findings += result.findings
        checked = result.checked
    return Report(verdict.rows, verdict.last_id, verdict.last_hash, findings, checked)
