"""C2PA: sign a benign gradient with a test-generated ES256 chain, then read it back."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

import c2pa
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from prov_helpers import TRAINED, encode, gradient

from cumberland.signals.provenance import assess

CAPTURE = "http://cv.iptc.org/newscodes/digitalsourcetype/digitalCapture"


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Cumberland tests"),
        ]
    )


def _usage(**on: bool) -> x509.KeyUsage:
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    return x509.KeyUsage(**{n: on.get(n, False) for n in names})


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """A CA and an end-entity certificate: c2pa-rs rejects self-signed signing certificates and
    wants digitalSignature key usage plus an EKU such as emailProtection."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test root"))
        .issuer_name(_name("Test root"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name("Test signer"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    anchors = tmp_path_factory.mktemp("trust") / "anchors.pem"
    anchors.write_bytes(ca.public_bytes(pem))
    return {
        "chain": cert.public_bytes(pem) + ca.public_bytes(pem),
        "key": key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
        "anchors": anchors,
    }


def sign(chain: dict[str, object], source_type: str = TRAINED) -> bytes:
    action = {"action": "c2pa.created", "digitalSourceType": source_type}
    manifest = {
        "claim_generator_info": [{"name": "cumberland-tests", "version": "1"}],
        "title": "gradient.jpg",
        "assertions": [{"label": "c2pa.actions", "data": {"actions": [action]}}],
    }
    info = c2pa.C2paSignerInfo(b"es256", chain["chain"], chain["key"], None)
    signer = c2pa.Signer.from_info(info)
    context = c2pa.Context.from_dict({"builder": {"thumbnail": {"enabled": False}}})
    out = io.BytesIO()
    with c2pa.Builder(manifest, context=context) as builder:
        builder.sign(signer, "image/jpeg", io.BytesIO(encode(gradient(), "JPEG", quality=90)), out)
    return out.getvalue()


@pytest.fixture(scope="module")
def signed(chain: dict[str, object]) -> bytes:
    return sign(chain)


def _c2pa(report):  # type: ignore[no-untyped-def]
    return next(f for f in report.findings if f.signal == "c2pa")


def test_declared_ai_untrusted_without_anchors(signed: bytes) -> None:
    report = assess(signed, None)
    f = _c2pa(report)
    assert report.level == "declared-ai"
    assert f.data["signer"] == "untrusted" and not f.data["tampered"]
    assert f.data["actions"][0]["code"] == "trainedAlgorithmicMedia"
    assert f.data["claim_generator"].startswith("cumberland-tests")
    assert (
        "C2PA action c2pa.created declares digitalSourceType trainedAlgorithmicMedia "
        "(signer untrusted, no trust anchors configured)"
    ) in report.reasons


def test_trusted_with_configured_anchors(signed: bytes, chain: dict[str, object]) -> None:
    anchors = chain["anchors"]
    assert isinstance(anchors, Path)
    report = assess(signed, None, trust_anchors=anchors)
    f = _c2pa(report)
    assert f.data["signer"] == "trusted" and f.data["validation_state"] == "Trusted"
    assert any("(signer trusted)" in r for r in report.reasons)


def test_tampered_copy_reported(signed: bytes) -> None:
    data = bytearray(signed)
    end = len(data) - 2  # flip bytes inside the entropy-coded image data, before EOI
    for i in range(end - 40, end - 32):
        data[i] ^= 0x5A
    report = assess(bytes(data), None)
    f = _c2pa(report)
    assert f.data["tampered"] is True
    assert "assertion.dataHash.mismatch" in f.data["failure_codes"]
    assert any("altered after signing" in r for r in report.reasons)
    assert report.level == "declared-ai"  # the declaration stands; the pixels changed since


def test_no_manifest_no_finding() -> None:
    report = assess(encode(gradient(), "JPEG"), None)
    assert not [f for f in report.findings if f.signal == "c2pa"] and not report.errors


def test_manifest_with_capture_source_type(chain: dict[str, object]) -> None:
    report = assess(sign(chain, source_type=CAPTURE), None)
    assert report.level == "none"
    assert _c2pa(report).data["ai_declared"] is False
    assert any("states digitalSourceType digitalCapture" in r for r in report.reasons)
