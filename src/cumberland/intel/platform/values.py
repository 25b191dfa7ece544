"""Parsing one field of a platform record: times, amounts, IPs, hashes.

Each parser raises ``ValueError`` with a short reason; the importer turns it into a bad row
naming the file, line and byte. Nothing is guessed where a guess could be wrong: a date like
``01/02/2024`` is refused unless the mapping declares its format.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_OFFSET = re.compile(r"^([+-])(\d\d):?(\d\d)$")


def parse_zone(text: str) -> timezone:
    """``UTC`` or an offset like ``+02:00``: how naive times in the dump are read."""
    if text.upper() in ("UTC", "Z", "GMT"):
        return UTC
    found = _OFFSET.match(text)
    if not found:
        raise ValueError(f"timezone must be UTC or an offset like +02:00, not {text!r}")
    sign = -1 if found.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=int(found.group(2)), minutes=int(found.group(3))))


def time_parser(formats: list[str], zone: timezone) -> Callable[[Any], float | None]:
    """A parser of times to epoch seconds. Understood without declaration: epoch seconds,
    epoch milliseconds (13 digits), ISO 8601 (``T`` or space, ``Z`` or offsets, fractions)
    and RFC 2822 (``Tue, 15 Nov 1994 08:12:31 GMT``); ``formats`` (strptime) are tried next."""

    def aware(moment: datetime) -> float:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=zone)
        return moment.timestamp()

    def parse(value: Any) -> float | None:
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _epoch(float(value))
        text = str(value).strip()
        if not text:
            return None
        if text[0].isdigit() and text[-1].isdigit():
            try:  # the common case first: epoch seconds or milliseconds
                number = float(text)
            except ValueError:
                pass
            else:
                if _NUMBER.match(text):
                    return _epoch(number)
        try:
            return aware(datetime.fromisoformat(text))
        except ValueError:
            pass
        for fmt in formats:
            try:
                return aware(datetime.strptime(text, fmt))
            except ValueError:
                continue
        if "," in text or text[:3].isalpha():
            try:
                return aware(parsedate_to_datetime(text))
            except (TypeError, ValueError, IndexError):
                pass
        raise ValueError(f"unrecognised date {text[:40]!r} (declare its format in the "
                         "mapping's date_formats)")

    return parse


def _epoch(number: float) -> float:
    if abs(number) >= 1e14:
        raise ValueError(f"number {number:.0f} is not a plausible epoch time")
    return number / 1000.0 if abs(number) >= 1e11 else number


def parse_amount(value: Any) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")  # 12,50 (decimal comma); 1,234.50 stays refused below
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"not an amount: {str(value)[:40]!r}") from None


def parse_ip(value: Any) -> str | None:
    """The canonical text of an IPv4/IPv6 address (IPv4-mapped IPv6 as IPv4)."""
    if value is None or value == "":
        return None
    try:
        address = ipaddress.ip_address(str(value).strip())
    except ValueError:
        raise ValueError(f"not an IP address: {str(value)[:60]!r}") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


HASH_SIZES = {"md5": 16, "sha1": 20, "sha256": 32}


def parse_hash(value: Any, name: str) -> bytes | None:
    if value is None or value == "":
        return None
    if isinstance(value, bytes) and len(value) == HASH_SIZES[name]:
        return value
    text = str(value).strip().lower()
    try:
        digest = bytes.fromhex(text)
    except ValueError:
        digest = b""
    if len(digest) != HASH_SIZES[name]:
        raise ValueError(f"not a {name.upper()} hex digest: {text[:70]!r}")
    return digest


def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    text = str(value).strip()
    return text or None
