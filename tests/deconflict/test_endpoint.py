"""Deconfliction through the optional endpoint: two servers' agencies over mutual TLS, with
certificates made here (a CA for the agencies, and a stranger's CA that must be refused)."""

from __future__ import annotations

import datetime
import ipaddress
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.intel.deconflict import exchange
from cumberland.intel.deconflict.errors import DeconflictError
from cumberland.intel.deconflict.transport import exchange_over_tls, tls_context
from cumberland.web.deconflict_peer import PeerConfig, create_peer_app

from .conftest import Agencies, sha

runner = CliRunner()


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(folder: Path, cn: str, issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey]
          | None, ca: bool = False) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    builder = (x509.CertificateBuilder().subject_name(_name(cn))
               .issuer_name(issuer[0].subject if issuer else _name(cn))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        builder = builder.add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
    else:
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    (folder / f"{cn}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / f"{cn}.key").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return cert, key


@pytest.fixture()
def pki(tmp_path: Path) -> Path:
    folder = tmp_path / "pki"
    folder.mkdir()
    ca = _cert(folder, "agencies-ca", None, ca=True)
    _cert(folder, "agency-a", ca)
    _cert(folder, "agency-b", ca)
    stranger_ca = _cert(folder, "stranger-ca", None, ca=True)
    _cert(folder, "stranger", stranger_ca)
    return folder


@pytest.fixture()
def server(agencies: Agencies, pki: Path) -> Iterator[str]:
    """Agency B's endpoint on a loopback port (the socket listens before the thread starts,
    so the first connection simply waits in the backlog)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    config = uvicorn.Config(
        create_peer_app(agencies.b, PeerConfig(limits=exchange.Limits(max_request=1000),
                                               workers=1)),
        ssl_certfile=str(pki / "agency-b.crt"), ssl_keyfile=str(pki / "agency-b.key"),
        ssl_ca_certs=str(pki / "agencies-ca.crt"), ssl_cert_reqs=ssl.CERT_REQUIRED,
        log_level="error", lifespan="off")
    serving = uvicorn.Server(config)
    thread = threading.Thread(target=serving.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{sock.getsockname()[1]}"
    serving.should_exit = True
    thread.join(30)
    sock.close()


def test_deconflict_through_the_endpoint_from_the_cli(agencies: Agencies, pki: Path,
                                                      server: str) -> None:
    result = runner.invoke(app, [
        "deconflict", "ask", "--case", "op-alder", "--url", server, "--to", "Agency B",
        "--cert", str(pki / "agency-a.crt"), "--key", str(pki / "agency-a.key"),
        "--ca", str(pki / "agencies-ca.crt"), "--json", "--workers", "1",
        "-w", str(agencies.a.root)])
    assert result.exit_code == 0, result.output
    done = json.loads(result.output)
    assert done["responder"] == "Agency B" and done["held"] == 10
    assert {h["sha256"] for h in done["hits"]} == {sha(n).hex() for n in range(30, 40)}


def test_a_client_without_an_agency_certificate_is_refused(
        agencies: Agencies, pki: Path, server: str) -> None:
    made = exchange.request(agencies.a, "op-alder", None, workers=1)
    stranger = tls_context(pki / "stranger.crt", pki / "stranger.key", pki / "agencies-ca.crt")
    with pytest.raises(DeconflictError, match="could not reach"):
        exchange_over_tls(server, made.data, stranger)
    bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    bare.load_verify_locations(pki / "agencies-ca.crt")
    with pytest.raises(DeconflictError, match="could not reach"):
        exchange_over_tls(server, made.data, bare)
    # and a server whose certificate is not from the peers' CA is not talked to
    wrong_ca = tls_context(pki / "agency-a.crt", pki / "agency-a.key", pki / "stranger-ca.crt")
    with pytest.raises(DeconflictError, match="could not reach"):
        exchange_over_tls(server, made.data, wrong_ca)


def test_the_endpoint_refuses_bad_requests_with_one_line(
        agencies: Agencies, pki: Path, server: str) -> None:
    context = tls_context(pki / "agency-a.crt", pki / "agency-a.key", pki / "agencies-ca.crt")
    made = exchange.request(agencies.a, "op-alder", None, workers=1)
    exchange_over_tls(server, made.data, context)
    with pytest.raises(DeconflictError, match=r"refused the request: request .* replayed"):
        exchange_over_tls(server, made.data, context)
    with pytest.raises(DeconflictError, match="over this server's limit"):
        exchange_over_tls(server, b"CBDX" + b"\0" * 400_000, context)
    big = exchange.request(agencies.a, "op-alder", None, pad_to=2000, workers=1)
    with pytest.raises(DeconflictError, match="2,000 elements, over this workspace's limit"):
        exchange_over_tls(server, big.data, context)
