"""IPTC DigitalSourceType in XMP: three spellings, three containers, hostile packets."""

from __future__ import annotations

import pytest
from prov_helpers import (
    IPTC_NS,
    TRAINED,
    encode,
    gradient,
    jpeg_with_segments,
    png_with,
    text_chunk,
    webp_with_chunks,
    xmp_packet,
)

from cumberland.signals.provenance import assess

FORMS = {
    "attribute": (
        f'<rdf:Description rdf:about="" {IPTC_NS} Iptc4xmpExt:DigitalSourceType="{TRAINED}"/>'
    ),
    "element": (
        f'<rdf:Description rdf:about="" {IPTC_NS}>'
        f"<Iptc4xmpExt:DigitalSourceType>{TRAINED}</Iptc4xmpExt:DigitalSourceType></rdf:Description>"
    ),
    "resource": (
        f'<rdf:Description rdf:about="" {IPTC_NS}>'
        f'<Iptc4xmpExt:DigitalSourceType rdf:resource="{TRAINED}"/></rdf:Description>'
    ),
}


def _jpeg(packet: bytes) -> bytes:
    return jpeg_with_segments([(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + packet)])


def _png(packet: bytes) -> bytes:
    return png_with([text_chunk("XML:com.adobe.xmp", packet.decode(), "iTXt")])


def _webp(packet: bytes) -> bytes:
    return webp_with_chunks([(b"XMP ", packet)])


def _raw_scan(packet: bytes) -> bytes:
    # a container we do not walk (GIF): found by the <x:xmpmeta scan
    return encode(gradient(), "GIF") + packet


@pytest.mark.parametrize("form", sorted(FORMS))
@pytest.mark.parametrize("container", [_jpeg, _png, _webp, _raw_scan])
def test_digital_source_type_declares_ai(form: str, container) -> None:  # type: ignore[no-untyped-def]
    report = assess(container(xmp_packet(FORMS[form])), None)
    assert report.level == "declared-ai", report
    found = [f for f in report.findings if f.signal == "xmp-iptc"]
    assert found[0].data["digital_source_types"][0]["code"] == "trainedAlgorithmicMedia"
    assert any("claim, not proof" in r for r in report.reasons)


def test_capture_source_type_is_not_ai() -> None:
    body = FORMS["attribute"].replace("trainedAlgorithmicMedia", "digitalCapture")
    report = assess(_jpeg(xmp_packet(body)), None)
    assert report.level == "none"
    assert report.findings[0].data["capture"] is True


def test_dtd_and_entities_refused_without_expansion() -> None:
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
        '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        f'<x:xmpmeta xmlns:x="adobe:ns:meta/">&b;{FORMS["attribute"]}</x:xmpmeta>'
    ).encode()
    report = assess(_jpeg(bomb), None)
    assert any("refused" in e for e in report.errors)
    assert report.level == "none"


def test_malformed_packet_read_leniently() -> None:
    broken = xmp_packet(FORMS["attribute"]).replace(b"</rdf:RDF>", b"")
    report = assess(_jpeg(broken), None)
    assert report.level == "declared-ai"
    assert any("not parsed" in e for e in report.errors)
    assert report.findings[0].data["parsed_leniently"] is True


def test_midjourney_xmp_guid_and_description() -> None:
    body = (
        f'<rdf:Description rdf:about="" {IPTC_NS} xmlns:dc="http://purl.org/dc/elements/1.1/" '
        f'Iptc4xmpExt:DigImageGUID="0f2d6c1e-1234-4abc-9def-0123456789ab" '
        f'Iptc4xmpExt:DigitalSourceType="{TRAINED}">'
        '<dc:description><rdf:Alt><rdf:li xml:lang="x-default">a lighthouse '
        "Job ID: 0f2d6c1e-1234-4abc-9def-0123456789ab</rdf:li></rdf:Alt></dc:description>"
        "</rdf:Description>"
    )
    report = assess(_jpeg(xmp_packet(body)), None)
    assert report.level == "declared-ai"
    gens = {f.data["generator"] for f in report.findings if f.kind == "generator-metadata"}
    assert gens == {"Midjourney"}
