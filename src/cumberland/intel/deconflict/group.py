"""The group of the protocol: NIST P-256 through OpenSSL (the ``cryptography`` package).

This is the commutative blinding of Diffie-Hellman PSI (Meadows 1986; Huberman, Franklin and
Hogg 1999), on the curve and with the hash-to-curve that Google's Private Join and Compute and
OpenMined PSI use. An element is hashed onto the curve by try-and-increment; blinding with a
secret scalar ``k`` is the x-coordinate of ``[k]P``, which is exactly what OpenSSL's ECDH
computes. Only x-coordinates travel: ``x([k]P) == x([k](-P))``, so a point's sign never matters
and blinding commutes, ``x([a][b]P) == x([b][a]P)``. P-256 has cofactor 1: every point a peer
sends is checked to be on the curve by OpenSSL, and there is no small subgroup to probe.

Batches run in worker processes (``workers``); OpenSSL does the arithmetic.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

from cryptography.hazmat.primitives.asymmetric import ec

CURVE = ec.SECP256R1()
ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
POINT = 32  # bytes of an x-coordinate
DST_HASH = b"cumberland/deconflict/v1/P-256/hash-to-curve"
DST_OUT = b"cumberland/deconflict/v1/P-256/output"
CHUNK = 4096  # elements per task handed to a worker


class BadPoint(ValueError):
    """A value received from the other side is not the x-coordinate of a curve point."""


def new_scalar() -> int:
    return secrets.randbelow(ORDER - 1) + 1


def inverse(scalar: int) -> int:
    return pow(scalar, -1, ORDER)


def _point(x: bytes) -> ec.EllipticCurvePublicKey:
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, b"\x02" + x)
    except ValueError:
        raise BadPoint("not a point of P-256") from None


def hash_to_point(element: bytes) -> ec.EllipticCurvePublicKey:
    """Try-and-increment: the first SHA-256(DST ‖ counter ‖ element) that is an x-coordinate
    on the curve (half are; a miss costs one more try)."""
    for counter in range(256):
        x = hashlib.sha256(DST_HASH + bytes([counter]) + element).digest()
        try:
            return ec.EllipticCurvePublicKey.from_encoded_point(CURVE, b"\x02" + x)
        except ValueError:
            continue
    raise AssertionError("no curve point after 256 tries")  # probability 2**-256


def _blind_chunk(scalar: int, xs: Sequence[bytes]) -> list[bytes]:
    key = ec.derive_private_key(scalar, CURVE)
    ecdh = ec.ECDH()
    return [key.exchange(ecdh, _point(x)) for x in xs]


def _hash_blind_chunk(scalar: int, elements: Sequence[bytes]) -> list[bytes]:
    key = ec.derive_private_key(scalar, CURVE)
    ecdh = ec.ECDH()
    return [key.exchange(ecdh, hash_to_point(e)) for e in elements]


def _output_chunk(scalar: int, elements: Sequence[bytes]) -> list[bytes]:
    return [output(x) for x in _hash_blind_chunk(scalar, elements)]


def output(x: bytes) -> bytes:
    """The PRF value of an element from its blinded point x([k]H(e)): tags and label keys are
    cut from it, so nothing about the point itself is ever sent."""
    return hashlib.sha256(DST_OUT + x).digest()


def _chunks(items: Sequence[bytes]) -> Iterator[Sequence[bytes]]:
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


def _run(task: Callable[[int, Sequence[bytes]], list[bytes]], scalar: int,
         items: Sequence[bytes], workers: int) -> list[bytes]:
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(items) <= CHUNK:
        return task(scalar, items)
    out: list[bytes] = []
    with ProcessPoolExecutor(workers, mp_context=get_context("forkserver")) as pool:
        for part in pool.map(task, [scalar] * ((len(items) + CHUNK - 1) // CHUNK),
                             _chunks(items)):
            out.extend(part)
    return out


def hash_blind(scalar: int, elements: Sequence[bytes], workers: int = 0) -> list[bytes]:
    """x([k]H(e)) for every element, in order."""
    return _run(_hash_blind_chunk, scalar, elements, workers)


def blind(scalar: int, xs: Sequence[bytes], workers: int = 0) -> list[bytes]:
    """x([k]P) for every received x(P), in order; raises BadPoint for a value off the curve."""
    return _run(_blind_chunk, scalar, xs, workers)


def outputs(scalar: int, elements: Sequence[bytes], workers: int = 0) -> list[bytes]:
    """The PRF values output(x([k]H(e))) of the responder's own elements."""
    return _run(_output_chunk, scalar, elements, workers)
