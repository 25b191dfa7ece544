"""One-line error text: every failure Cumberland records or prints is a single line."""

from __future__ import annotations

import re

# ``<_io.BytesIO object at 0x7f5f...>``: an address makes two runs of one input differ.
_OBJECT_REPR = re.compile(r"<([\w.]+)(?: object)? at 0x[0-9a-fA-F]+>")


def one_line(exc: BaseException, limit: int = 300, *, with_type: bool = True) -> str:
    """The message squeezed onto one line (some parsers report several), truncated, never
    empty, deterministic (object reprs lose their addresses); prefixed with the exception's
    type unless the caller words the context itself."""
    message = _OBJECT_REPR.sub(r"<\1>", " ".join(str(exc).split()))
    if not message:
        return type(exc).__name__
    return (f"{type(exc).__name__}: {message}" if with_type else message)[:limit]
