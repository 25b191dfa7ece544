"""Hostile and broken files: each refused with one line, before anything is revealed."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from sqlalchemy import select

from cumberland.intel.deconflict import exchange, identity, protocol, wire
from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.store.models import AuditEntry

from .conftest import Agencies


def _request(agencies: Agencies, name: str = "req.bin", **options: object) -> Path:
    path = agencies.root / name
    exchange.request(agencies.a, "op-alder", path, workers=1, **options)  # type: ignore[arg-type]
    return path


def _refused(ws_call: object, match: str) -> str:
    with pytest.raises(DeconflictError, match=match) as caught:
        ws_call()  # type: ignore[operator]
    message = str(caught.value)
    assert "\n" not in message
    return message


def _respond(agencies: Agencies, data: Path | bytes, **options: object) -> object:
    return lambda: exchange.respond(agencies.b, data, workers=1, **options)  # type: ignore[arg-type]


def test_truncated_request(agencies: Agencies) -> None:
    data = _request(agencies).read_bytes()
    for cut in (3, 9, 100, len(data) - 1):
        _refused(_respond(agencies, data[:cut]), "truncated|not a Cumberland")


def test_tampered_request_body_and_header(agencies: Agencies) -> None:
    data = bytearray(_request(agencies).read_bytes())
    body = bytearray(data)
    body[-5] ^= 1
    _refused(_respond(agencies, bytes(body)), "does not match its signed digest")
    header = bytearray(data)
    at = header.index(b'"n":')
    header[at + 4:at + 6] = b"39" if header[at + 4:at + 6] != b"39" else b"38"
    _refused(_respond(agencies, bytes(header)), "signature .* does not verify")
    _refused(_respond(agencies, bytes(data) + b"x"), "bytes follow the end")


def test_mismatched_version_and_kind(agencies: Agencies) -> None:
    data = _request(agencies).read_bytes()
    other = data[:4] + struct.pack(">H", 2) + data[6:]
    _refused(_respond(agencies, other), "format version 2; this Cumberland reads version 1")
    _refused(_respond(agencies, b"PK\x03\x04 not ours"), "not a Cumberland deconfliction file")
    from cumberland.intel.deconflict import cases

    cases.approve(agencies.b, "op-birch", "tester")
    exchange.request(agencies.b, "op-birch", agencies.root / "from-b.bin", workers=1)
    _refused(lambda: exchange.finish(agencies.a, agencies.root / "from-b.bin", "op-alder"),
             "this is a deconfliction request, not a response")


def test_request_over_the_limit_is_refused_unread(agencies: Agencies) -> None:
    data = _request(agencies, pad_to=500).read_bytes()
    _refused(_respond(agencies, data, limits=exchange.Limits(max_request=100)),
             "500 elements, over this workspace's limit of 100")


def test_replayed_request_and_response(agencies: Agencies) -> None:
    path = _request(agencies)
    done = exchange.respond(agencies.b, path, workers=1)
    _refused(_respond(agencies, path), "already answered .* replayed request")
    exchange.finish(agencies.a, done.data, "op-alder", workers=1)
    _refused(lambda: exchange.finish(agencies.a, done.data, "op-alder"),
             "already finished .* replayed response")
    with agencies.b.session() as s:
        refused = [e for e in s.scalars(select(AuditEntry)) if e.action == "deconflict-refused"]
    assert len(refused) == 1 and "replayed" in refused[0].details["reason"]


def test_response_bound_to_its_request(agencies: Agencies) -> None:
    first, second = _request(agencies, "one.bin"), _request(agencies, "two.bin")
    answer = exchange.respond(agencies.b, first, workers=1).data
    envelope = wire.read_bytes(answer, "response", identity.Verifier(agencies.a),
                               lambda h: int(h["body_len"]))
    pending_two = wire.read(second, "request", identity.Verifier(agencies.b),
                            lambda h: int(h["body_len"])).header["exchange_id"]
    forged = wire.encode("response", {**{k: v for k, v in envelope.header.items()
                                         if k not in ("kind", "from", "body_len",
                                                      "body_sha256")},
                                      "exchange_id": pending_two}, envelope.body,
                         identity.load_agency(agencies.b))
    _refused(lambda: exchange.finish(agencies.a, forged, "op-alder"), "another request")
    _refused(lambda: exchange.finish(agencies.a, answer, "op-birch"), "no case named")


def test_untrusted_or_unaddressed(agencies: Agencies, tmp_path: Path) -> None:
    from cumberland.store.workspace import Workspace

    stranger = Workspace(tmp_path / "stranger")
    identity.create_agency(stranger, "Agency A")  # same name, other key
    from cumberland.intel.deconflict import cases

    from .conftest import add_media

    add_media(stranger, "op-alder", [1, 2, 3])
    cases.approve(stranger, "op-alder", "x")
    exchange.request(stranger, "op-alder", tmp_path / "s.bin", workers=1)
    _refused(_respond(agencies, tmp_path / "s.bin"), "does not trust")
    stranger.close()
    addressed = _request(agencies, to="Agency C")
    _refused(_respond(agencies, addressed), "addressed to 'Agency C'")


def test_points_off_the_curve_from_a_trusted_peer(agencies: Agencies) -> None:
    path = _request(agencies)
    envelope = wire.read(path, "request", identity.Verifier(agencies.b),
                         lambda h: int(h["body_len"]))
    bad = b"\xff" * len(envelope.body)  # x >= p: no such point
    header = {k: v for k, v in envelope.header.items()
              if k not in ("kind", "from", "body_len", "body_sha256")}
    header["exchange_id"] = "0" * 32
    forged = wire.encode("request", header, bad, identity.load_agency(agencies.a))
    _refused(_respond(agencies, forged), "not a curve point")


def test_case_must_be_approved(agencies: Agencies) -> None:
    from .conftest import add_media

    add_media(agencies.a, "op-unapproved", [1])
    _refused(lambda: exchange.request(agencies.a, "op-unapproved", agencies.root / "x.bin"),
             "not approved for deconfliction")
    assert not (agencies.root / "x.bin").exists()


def test_expired_request(agencies: Agencies, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(protocol, "REQUEST_TTL", -1.0)
    _refused(_respond(agencies, _request(agencies)), "expired")
