"""Write a tiny MaxMind DB (.mmdb) file mapping networks to countries, for tests and the bench.

Written from the published MaxMind DB format 2.0 spec: a binary search tree over the address
bits (24-bit records, IPv6 tree with IPv4 at ::/96), a 16-byte separator, a data section of
``{"country": {"iso_code": CC}}`` maps, and the metadata map after the marker. The test suite
reads it back with the ``maxminddb`` reader, so a mistake here fails loudly.
"""

from __future__ import annotations

import ipaddress
import struct
from pathlib import Path

METADATA_MARKER = b"\xab\xcd\xefMaxMind.com"

# Documentation ranges (RFC 5737, RFC 3849) split among a few countries.
DOC_NETWORKS: dict[str, str] = {
    "192.0.2.0/24": "NL",  # the VPN exit range of the tests
    "198.51.100.0/24": "DE",
    "203.0.113.0/24": "FR",
    "2001:db8::/36": "DE",
    "2001:db8:1000::/36": "FR",
    "2001:db8:2000::/36": "GB",
    "2001:db8:3000::/36": "ES",
    "2001:db8:4000::/36": "IT",
    "2001:db8:5000::/36": "PL",
    "2001:db8:6000::/36": "SE",
    "2001:db8:7000::/36": "AT",
    "2001:db8:8000::/36": "BE",
    "2001:db8:9000::/36": "CZ",
    "2001:db8:a000::/36": "DK",
    "2001:db8:b000::/36": "PT",
    "2001:db8:c000::/36": "IE",
    "2001:db8:d000::/36": "FI",
    "2001:db8:e000::/36": "NO",
    "2001:db8:f000::/36": "CH",
}


def _control(kind: int, size: int) -> bytes:
    if size < 29:
        head, extra = size, b""
    elif size < 285:
        head, extra = 29, bytes([size - 29])
    elif size < 65821:
        head, extra = 30, struct.pack(">H", size - 285)
    else:
        head, extra = 31, struct.pack(">I", size - 65821)[1:]
    if kind <= 7:
        return bytes([(kind << 5) | head]) + extra
    return bytes([head, kind - 7]) + extra


_UINT_TYPES = {16: 5, 32: 6, 64: 9}


def uint(bits: int, value: int) -> tuple[int, int]:
    """An unsigned integer of an exact MaxMind type (the C reader checks metadata types)."""
    return (bits, value)


def encode(value: object) -> bytes:
    if isinstance(value, tuple):
        bits, number = value
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
        return _control(_UINT_TYPES[bits], len(raw)) + raw
    if isinstance(value, str):
        raw = value.encode()
        return _control(2, len(raw)) + raw
    if isinstance(value, dict):
        out = _control(7, len(value))
        for key, item in value.items():
            out += encode(str(key)) + encode(item)
        return out
    if isinstance(value, list):
        return _control(11, len(value)) + b"".join(encode(v) for v in value)
    if isinstance(value, int):
        raw = value.to_bytes((value.bit_length() + 7) // 8, "big") if value else b""
        kind = 5 if value < 1 << 16 else 6 if value < 1 << 32 else 9
        return _control(kind, len(raw)) + raw
    raise TypeError(f"cannot encode {type(value).__name__}")


def _bits(network: str) -> list[int]:
    """The network's prefix as tree bits; IPv4 lives under ::/96 of the IPv6 tree."""
    net = ipaddress.ip_network(network)
    width = net.max_prefixlen
    value = int(net.network_address)
    bits = [(value >> (width - 1 - i)) & 1 for i in range(net.prefixlen)]
    return [0] * 96 + bits if net.version == 4 else bits


def write_mmdb(path: Path, networks: dict[str, str] | None = None) -> Path:
    networks = networks or DOC_NETWORKS
    countries = sorted(set(networks.values()))
    data = b""
    offsets: dict[str, int] = {}
    for cc in countries:
        offsets[cc] = len(data)
        data += encode({"country": {"iso_code": cc, "names": {"en": cc}}})
    tree: list[list[object]] = [[None, None]]  # node: [left, right]; leaf: ("data", cc)
    for network, cc in networks.items():
        node = 0
        bits = _bits(network)
        for depth, bit in enumerate(bits):
            if depth == len(bits) - 1:
                tree[node][bit] = ("data", cc)
                break
            child = tree[node][bit]
            if not isinstance(child, int):
                tree.append([None, None])
                child = tree[node][bit] = len(tree) - 1
            node = child
    count = len(tree)
    records = bytearray()
    for left, right in tree:
        values = []
        for rec in (left, right):
            if rec is None:
                values.append(count)  # no data
            elif isinstance(rec, int):
                values.append(rec)
            else:
                values.append(count + 16 + offsets[str(rec[1])])  # type: ignore[index]
        records += values[0].to_bytes(3, "big") + values[1].to_bytes(3, "big")
    metadata = encode({
        "binary_format_major_version": uint(16, 2), "binary_format_minor_version": uint(16, 0),
        "build_epoch": uint(64, 1_700_000_000), "database_type": "Cumberland-Test-Country",
        "description": {"en": "documentation ranges only"}, "ip_version": uint(16, 6),
        "languages": ["en"], "node_count": uint(32, count), "record_size": uint(16, 24)})
    path.write_bytes(bytes(records) + b"\x00" * 16 + data + METADATA_MARKER + metadata)
    return path
