"""One-line error text: every failure Cumberland records or prints is a single line."""

from __future__ import annotations


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``Type: first line of the message``, truncated, never empty."""
    lines = str(exc).strip().splitlines()
    message = lines[0].strip() if lines else ""
    text = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return text[:limit]
