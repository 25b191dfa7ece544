"""One-line error text: every failure Cumberland records or prints is a single line."""

from __future__ import annotations


def one_line(exc: BaseException, limit: int = 300, *, with_type: bool = True) -> str:
    """The message squeezed onto one line (some parsers report several), truncated, never
    empty; prefixed with the exception's type unless the caller words the context itself."""
    message = " ".join(str(exc).split())
    if not message:
        return type(exc).__name__
    return (f"{type(exc).__name__}: {message}" if with_type else message)[:limit]
