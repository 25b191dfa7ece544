"""The tip form's proof of work (``tips.js`` computes it in the browser).

    inner = SHA-256(UTF-8("cumberland-tip/1\\n" object "\\n" lang "\\n" minute "\\n"
                          text "\\0" contact))
    work  = SHA-256(inner || nonce, 8 bytes big-endian), with ``bits`` leading zero bits

``minute`` is whole minutes since 1970 (UTC). The token binds the tip's own text, so it cannot
be reused for another tip, and its ``work`` digest is spent once (the replay check). Checking
costs two hashes, whatever the difficulty: a flood of bad tokens is turned away cheaply.
"""

from __future__ import annotations

import hashlib

SCHEME = "cumberland-tip/1"


def inner(object_id: str, lang: str, minute: int, text: str, contact: str) -> bytes:
    message = f"{SCHEME}\n{object_id}\n{lang}\n{minute}\n{text}\0{contact}"
    return hashlib.sha256(message.encode("utf-8")).digest()


def work(inner_digest: bytes, nonce: int) -> bytes:
    return hashlib.sha256(inner_digest + nonce.to_bytes(8, "big")).digest()


def enough(digest: bytes, bits: int) -> bool:
    """``digest`` starts with at least ``bits`` zero bits."""
    return int.from_bytes(digest, "big") >> (256 - bits) == 0 if bits else True


def solve(inner_digest: bytes, bits: int) -> int:
    """A nonce that does the work (what the browser does; for tests and the load bench)."""
    nonce = 0
    while not enough(work(inner_digest, nonce), bits):
        nonce += 1
    return nonce
