"""The requester's side of the endpoint: POST a request file over mutual TLS, get the answer.

Standard library only (``urllib`` and ``ssl``): the client presents its agency certificate and
checks the server's against the peers' CA, host name included.
"""

from __future__ import annotations

import json
import ssl
import urllib.error
import urllib.request
from pathlib import Path

from cumberland.intel.deconflict.errors import DeconflictError

ENDPOINT = "/deconflict/v1/respond"
MAX_ANSWER = 2 * 1024**3


def tls_context(cert: Path, key: Path, ca: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
        context.load_verify_locations(ca)
    except (OSError, ssl.SSLError) as exc:
        raise DeconflictError(f"agency certificate, key or CA not usable: {exc}") from None
    return context


def exchange_over_tls(url: str, data: bytes, context: ssl.SSLContext,
                      timeout: float = 600.0) -> bytes:
    """The response file the peer server returns for the request file ``data``."""
    if not url.startswith("https://"):
        raise DeconflictError("the peer's URL must start with https://")
    target = url.rstrip("/") + ENDPOINT
    req = urllib.request.Request(target, data=data, method="POST",
                                 headers={"content-type": "application/octet-stream"})
    try:
        with urllib.request.urlopen(req, context=context, timeout=timeout) as answer:
            body: bytes = answer.read(MAX_ANSWER + 1)
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read(4096))["error"]
        except (ValueError, KeyError, TypeError):
            reason = f"HTTP {exc.code}"
        raise DeconflictError(f"the peer refused the request: {reason}") from None
    except (urllib.error.URLError, ssl.SSLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeconflictError(f"could not reach {url}: {reason}") from None
    if len(body) > MAX_ANSWER:
        raise DeconflictError("the peer's answer is over the limit")
    return body
