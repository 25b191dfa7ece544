"""IPTC `Iptc4xmpExt:DigitalSourceType` (and a few neighbours) from XMP packets.

The field can be written three ways (attribute, element text, `rdf:resource`); all are read.
XMP is attacker-controlled XML, so packets with a DTD or entity declarations are refused before
parsing (billion-laughs, external entities), and packets are capped in size by the container walk.
Anyone can write XMP: this is a claim, not proof, and reasons say so.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from .containers import Container
from .model import Finding
from .sourcetype import declares_ai, declares_capture, source_code

NAME = "xmp-iptc"
VERSION = 1

#: DTDs are refused outright; this much of the packet head is searched for one.
MAX_DTD_SCAN = 4096
_RDF_RESOURCE = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}resource"
_FIELDS = {"DigitalSourceType", "DigImageGUID", "CreatorTool", "description"}
_LENIENT = re.compile(
    rb"DigitalSourceType(?:\s*=\s*[\"']([^\"']{1,200})[\"']|\s*>\s*([^<\s]{1,200})\s*<"
    rb"|\s+rdf:resource\s*=\s*[\"']([^\"']{1,200})[\"'])"
)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_of(el: ET.Element) -> str | None:
    """Element text, or for rdf:Alt/Seq/Bag containers the first rdf:li text."""
    if el.text and el.text.strip():
        return el.text.strip()
    resource = el.get(_RDF_RESOURCE)
    if resource:
        return resource.strip()
    for li in el.iter():
        if li is not el and _local(li.tag) == "li" and li.text and li.text.strip():
            return li.text.strip()
    return None


def parse_packet(packet: bytes) -> dict[str, list[str]]:
    """Values of the fields we care about, by local name; raises ValueError on refused/bad XML."""
    head = packet[:MAX_DTD_SCAN]
    if b"<!DOCTYPE" in head or b"<!ENTITY" in packet:
        raise ValueError("packet declares a DTD or entities; refused")
    root = ET.fromstring(packet.rstrip(b"\x00 \r\n\t"))
    found: dict[str, list[str]] = {}
    for el in root.iter():
        for attr, value in el.attrib.items():
            if _local(attr) in _FIELDS and value.strip():
                found.setdefault(_local(attr), []).append(value.strip())
        name = _local(el.tag)
        if name in _FIELDS:
            text = _text_of(el)
            if text:
                found.setdefault(name, []).append(text)
    return found


def _lenient(packet: bytes) -> list[str]:
    out = []
    for m in _LENIENT.finditer(packet):
        raw = next(g for g in m.groups() if g)
        out.append(raw.decode("utf-8", "replace").strip())
    return out


def detect(container: Container, errors: list[str]) -> list[Finding]:
    """One finding per XMP packet that carries a digital source type or Midjourney's GUID."""
    findings: list[Finding] = []
    for packet in container.xmp:
        lenient = False
        try:
            fields = parse_packet(packet)
        except (ET.ParseError, ValueError) as exc:
            errors.append(f"{NAME}: XMP packet not parsed ({str(exc).splitlines()[0][:200]})")
            fields = {"DigitalSourceType": _lenient(packet)} if b"<!ENTITY" not in packet else {}
            lenient = True
        types = fields.get("DigitalSourceType", [])
        guids = fields.get("DigImageGUID", [])
        if not types and not guids:
            continue
        data: dict[str, Any] = {
            "digital_source_types": [
                {"value": t[:300], "code": source_code(t)[:100], "ai": declares_ai(t)}
                for t in types
            ],
            "parsed_leniently": lenient,
        }
        if guids:
            data["dig_image_guid"] = guids[0][:200]
        if fields.get("CreatorTool"):
            data["creator_tool"] = fields["CreatorTool"][0][:300]
        if fields.get("description"):
            data["description"] = fields["description"][0][:4000]
        data["capture"] = any(declares_capture(t) for t in types)
        ai = any(declares_ai(t) for t in types)
        findings.append(
            Finding(
                NAME,
                VERSION,
                "iptc-digital-source-type",
                data,
                level="declared-ai" if ai else "none",
            )
        )
    return findings


def reasons(finding: Finding) -> list[str]:
    """Human sentences for one XMP finding."""
    out = []
    for t in finding.data.get("digital_source_types", []):
        verdict = "declares AI generation" if t["ai"] else "declares"
        out.append(
            f"XMP Iptc4xmpExt:DigitalSourceType {verdict}: {t['code']} "
            "(anyone can write XMP; a claim, not proof)"
        )
    return out
