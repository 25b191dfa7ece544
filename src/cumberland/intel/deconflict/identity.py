"""Agency identities: the Ed25519 key that signs this workspace's files, and the agencies
whose keys it trusts.

The private key is a file in the workspace (mode 0600), never in the database: on a shared
PostgreSQL workspace the database is read by many; the workspace folder is the agency's.
Trusted agencies are rows (``deconflict_peers``), so every process of the workspace agrees.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy import delete, insert, select

from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.store.models import DeconflictPeer
from cumberland.store.workspace import Workspace

NAME_MAX = 200


def folder(ws: Workspace) -> Path:
    return ws.root / "deconflict"


def fingerprint(public: bytes) -> str:
    return hashlib.sha256(b"cumberland/agency-key\x00" + public).hexdigest()[:32]


def _raw(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class Agency:
    """This workspace's signing identity."""

    name: str
    key: Ed25519PrivateKey

    @property
    def public(self) -> bytes:
        return _raw(self.key.public_key())

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, data: bytes) -> bytes:
        return self.key.sign(data)

    def public_record(self) -> dict[str, str]:
        return {"agency": self.name, "ed25519": base64.b64encode(self.public).decode(),
                "fingerprint": self.fingerprint}


def write_private(path: Path, data: bytes) -> None:
    """A secret file, created 0600 (never readable by others, even for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def create_agency(ws: Workspace, name: str) -> Agency:
    if not name.strip() or len(name) > NAME_MAX or "\n" in name:
        raise DeconflictError(f"agency name must be 1-{NAME_MAX} characters on one line")
    base = folder(ws)
    if (base / "agency.key").exists():
        raise DeconflictError(f"this workspace already has an agency key ({base / 'agency.key'})")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    write_private(base / "agency.key", pem)
    (base / "agency.json").write_text(json.dumps({"agency": name}) + "\n")
    return Agency(name, key)


def load_agency(ws: Workspace) -> Agency:
    base = folder(ws)
    try:
        key = serialization.load_pem_private_key((base / "agency.key").read_bytes(), None)
        name = json.loads((base / "agency.json").read_text())["agency"]
    except FileNotFoundError:
        raise DeconflictError("this workspace has no agency key: run `cumberland deconflict "
                              "init --agency NAME` first") from None
    except (ValueError, KeyError, TypeError):
        raise DeconflictError(f"{base / 'agency.key'}: not a readable agency key") from None
    if not isinstance(key, Ed25519PrivateKey) or not isinstance(name, str):
        raise DeconflictError(f"{base / 'agency.key'}: not an Ed25519 agency key")
    return Agency(name, key)


def read_public_record(path: Path) -> tuple[str, bytes]:
    """(agency, raw public key) of a file written by ``deconflict export-key``."""
    try:
        record = json.loads(path.read_bytes()[:8192])
        name, public = record["agency"], base64.b64decode(record["ed25519"], validate=True)
    except (OSError, ValueError, KeyError, TypeError):
        raise DeconflictError(f"{path}: not an agency key file (deconflict export-key)") from None
    if not isinstance(name, str) or not name.strip() or len(name) > NAME_MAX or len(public) != 32:
        raise DeconflictError(f"{path}: not an agency key file (deconflict export-key)")
    if record.get("fingerprint") not in (None, fingerprint(public)):
        raise DeconflictError(f"{path}: the fingerprint does not match the key")
    return name, public


def trust(ws: Workspace, name: str, public: bytes) -> str:
    """Trust ``name``'s key (replacing an earlier key of that agency); returns the fingerprint."""
    fpr = fingerprint(public)
    with ws.engine.begin() as conn:
        conn.execute(delete(DeconflictPeer).where(
            (DeconflictPeer.agency == name) | (DeconflictPeer.fingerprint == fpr)))
        conn.execute(insert(DeconflictPeer).values(
            fingerprint=fpr, agency=name, public_key=public, added_at=time.time()))
    return fpr


def peers(ws: Workspace) -> list[DeconflictPeer]:
    with ws.session() as session:
        return list(session.scalars(select(DeconflictPeer).order_by(DeconflictPeer.agency)))


class Verifier:
    """Checks a signature against the trusted key with the claimed fingerprint."""

    def __init__(self, ws: Workspace) -> None:
        self.keys = {p.fingerprint: (p.agency, bytes(p.public_key)) for p in peers(ws)}

    def verify(self, claimed: str, fpr: str, signature: bytes, data: bytes) -> str:
        found = self.keys.get(fpr)
        if found is None or found[0] != claimed:
            raise DeconflictError(f"signed by {claimed!r} with a key this workspace does not "
                                  "trust (cumberland deconflict trust KEYFILE)")
        try:
            Ed25519PublicKey.from_public_bytes(found[1]).verify(signature, data)
        except InvalidSignature:
            raise DeconflictError(f"the signature of {claimed!r} does not verify: the file was "
                                  "altered") from None
        return found[0]
