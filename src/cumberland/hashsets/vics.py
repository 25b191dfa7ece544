"""Project VIC "VICS" JSON hash sets and case exports (data model 1.1-1.3 and 2.0).

The first key of the top-level object tells the version and profile:

* ``"odata.metadata": ".../DataModels/1.3.xml#Media"`` (1.1/1.2/1.3, legacy category scheme);
* ``"@odata.context": ".../DataModels/2.0.xml/<PROFILE>/$metadata#Media"`` with PROFILE
  Default/US (scheme ``vics-us``), UK (``vics-uk``) or CUSTOM (``vics-custom``).

``#Media`` files hold records in ``value[]``; ``#Cases`` files hold Case objects in ``value[]``
each with a ``Media[]`` array. Files reach several GB, so they are parsed incrementally with
ijson: ``#Media`` items are built by the C backend (fast path); ``#Cases`` walks parse events so
that case fields before or after ``Media[]`` can be collected without holding the array.

Real exports are untidy, and all of this is accepted: a UTF-8 BOM, booleans as ``"true"``,
``MediaSize`` as number or string, upper/lower-case hex, ``IsPrecategorized`` with a null
``Category``, categories outside 0-5, dates with 4 or 7 fractional digits. PhotoDNA (2.0
``PhotoDNA`` field or a 1.3 ``AlternativeHashes`` entry, base64) is kept as opaque text;
``AlternativeHashes`` named ``PDQ`` (hex) and ``SHA256``/``SHA-256`` fill ``pdq``/``sha256``.
A Media record with no usable hash is dropped and counted in ``skipped``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from itertools import accumulate
from pathlib import Path
from typing import IO, Any

import ijson

from ._text import BOM
from .base import HashRecord, HashSetError, HashSetInfo, ReaderBase, parse_hex

_METADATA_KEYS = ("odata.metadata", "@odata.context")
_CONTEXT = re.compile(
    r"DataModels/(?P<version>\d+(?:\.\d+)*)\.xml"
    r"(?:/(?P<profile>[^/#]+)/\$metadata)?#(?P<kind>Media|Cases)\b",
    re.IGNORECASE,
)
_SCHEMES = {"default": "vics-us", "us": "vics-us", "uk": "vics-uk", "custom": "vics-custom"}
_BOOLEANS = (
    "IsPrecategorized",
    "VictimIdentified",
    "OffenderIdentified",
    "IsDistributed",
    "IsSuspected",
    "SelfGenerated",
)
_KEPT = ("MediaID", "Series", "Tags", "PrecategorizationSource", "MimeType", "RelativeFilePath")
_DATE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?$", re.IGNORECASE
)
_OPEN = ("start_map", "start_array")
_CLOSE = ("end_map", "end_array")
_SCALAR = ("string", "number", "boolean", "null")
_BUFFER = 16 * 1024
"""ijson read size: small enough that a reported error offset is close to the fault."""


def parse_context(url: str) -> tuple[str, str, str | None, str]:
    """``(version, kind, profile, category_scheme)`` from an OData metadata/context URL."""
    match = _CONTEXT.search(url)
    if not match:
        raise ValueError(f"not a VICS data-model URL: {url[:120]!r}")
    version, kind, profile = match["version"], match["kind"].title(), match["profile"]
    if version.startswith("1"):
        scheme = "vics-legacy"
    else:
        scheme = _SCHEMES.get((profile or "default").lower(), "vics-custom")
    return version, kind, profile, scheme


def normalise_date(text: str) -> str:
    """ISO-8601 with at most 6 fractional digits (.NET writes 7); unparseable text is kept."""
    match = _DATE.match(text.strip())
    if not match:
        return text
    base, fraction, zone = match.groups()
    fraction = (fraction or "")[:6].ljust(6, "0") if fraction else ""
    zone = "+00:00" if zone in (None, "Z", "z") else zone
    try:
        parsed = datetime.fromisoformat(f"{base}{'.' + fraction if fraction else ''}{zone}")
    except ValueError:
        return text
    return parsed.isoformat()


def _json_error(exc: Exception) -> str:
    """yajl reports bytes spanning several lines (message, excerpt, caret): keep the message."""
    text = exc.args[0] if exc.args else exc
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    lines = str(text).strip().splitlines()
    return (lines[0].strip() if lines else type(exc).__name__)[:300]


def _boolean(value: object) -> object:
    """VICS booleans arrive as JSON booleans or as the strings "true"/"false"."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


_STRING = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_STRING_REST = re.compile(rb'[^"\\]*+(?:\\.[^"\\]*+)*+"', re.DOTALL)
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_DELTA = [0] * 256
_DELTA[ord("[")] = _DELTA[ord("{")] = 1
_DELTA[ord("]")] = _DELTA[ord("}")] = -1
MAX_DEPTH = 64
"""Deepest JSON nesting accepted. Real VICS files nest about 7 levels; ijson's memory grows with
the square of the depth (it keeps a prefix string per level), so a 400 KB file of brackets
could otherwise take gigabytes."""


def _odd_backslashes(data: bytes) -> bool:
    """Whether ``data`` ends inside an escape (an odd run of trailing backslashes)."""
    return (len(data) - len(data.rstrip(b"\\"))) % 2 == 1


class _CountingReader:
    """A binary file wrapper that counts consumed bytes and refuses absurd nesting.

    The nesting check runs on whole chunks with C-level regex/translate calls: strings are
    cut out (their state carried across chunk ends), and only bracket bytes are walked.
    """

    def __init__(self, raw: IO[bytes], path: Path) -> None:
        self.raw = raw
        self.path = path
        self.depth = 0
        self.in_string = False
        self.escape = False
        head = raw.read(len(BOM))
        if head == BOM:
            self.offset = len(BOM)
        else:
            raw.seek(0)
            self.offset = 0

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        self._check_depth(data)
        self.offset += len(data)
        return data

    def _check_depth(self, data: bytes) -> None:
        if self.in_string:
            text = (b"\\" if self.escape else b"") + data
            end = _STRING_REST.match(text)
            if end is None:
                self.escape = _odd_backslashes(text)
                return
            data = text[end.end() :]
            self.in_string = self.escape = False
        outside = _STRING.sub(b"", data)
        quote = outside.find(b'"')
        if quote >= 0:
            self.in_string = True
            self.escape = _odd_backslashes(outside[quote + 1 :])
            outside = outside[:quote]
        levels = list(
            accumulate(
                map(_DELTA.__getitem__, outside.translate(None, _NOT_BRACKETS)),
                initial=self.depth,
            )
        )
        self.depth = levels[-1]
        if max(levels) > MAX_DEPTH:
            raise HashSetError(
                self.path, f"byte {self.offset}", f"JSON nested deeper than {MAX_DEPTH} levels"
            )


class VicsReader(ReaderBase):
    """Streams Media records from a VICS JSON file (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="vics"))
        url = self._read_context()
        try:
            version, kind, profile, scheme = parse_context(url)
        except ValueError as exc:
            raise HashSetError(self.path, "byte 0", str(exc)) from None
        self.kind = kind
        self.info.version = version
        self.info.category_scheme = scheme
        self.info.properties.update({"kind": kind, "context": url})
        if profile:
            self.info.properties["profile"] = profile

    def _read_context(self) -> str:
        """The first key's URL; only the first few parse events are read."""
        with open(self.path, "rb") as raw:
            stream = _CountingReader(raw, self.path)
            try:
                events = ijson.parse(stream, buf_size=_BUFFER)
                first = next(events, None)
                key = next(events, None)
                value = next(events, None)
            except ijson.JSONError as exc:
                message = f"malformed JSON: {_json_error(exc)}"
                raise HashSetError(self.path, f"byte {stream.offset}", message) from None
        if first != ("", "start_map", None) or key is None or key[1] != "map_key":
            raise HashSetError(self.path, "byte 0", "not a JSON object")
        if key[2] not in _METADATA_KEYS:
            raise HashSetError(
                self.path,
                "byte 0",
                f"first key is {str(key[2])[:60]!r}, not odata.metadata or @odata.context",
            )
        if value is None or value[1] != "string":
            raise HashSetError(self.path, "byte 0", f"{key[2]} is not a string")
        return str(value[2])

    def _records(self) -> Iterator[HashRecord]:
        with open(self.path, "rb") as raw:
            stream = _CountingReader(raw, self.path)
            try:
                if self.kind == "Media":
                    items = ijson.items(stream, "value.item", buf_size=_BUFFER, use_float=True)
                    for index, item in enumerate(items):
                        yield from self._convert(item, index, f"value[{index}]")
                else:
                    yield from self._cases(stream)
            except ijson.JSONError as exc:
                raise HashSetError(
                    self.path, f"byte {stream.offset}", f"malformed JSON: {_json_error(exc)}"
                ) from None

    def _cases(self, stream: _CountingReader) -> Iterator[HashRecord]:
        """Walk parse events: scalar case fields go to ``info.properties``, Media[] to records."""
        media_prefix = "value.item.Media.item"
        builder: ijson.ObjectBuilder | None = None
        depth = index = position = 0
        case = -1
        for prefix, event, value in ijson.parse(stream, buf_size=_BUFFER, use_float=True):
            if builder is None and prefix == media_prefix:
                builder = ijson.ObjectBuilder()
            if builder is not None:
                builder.event(event, value)
                depth += (event in _OPEN) - (event in _CLOSE)
                if depth == 0:
                    yield from self._convert(
                        builder.value, index, f"value[{case}].Media[{position}]"
                    )
                    index += 1
                    position += 1
                    builder = None
            elif prefix == "value.item" and event == "start_map":
                case += 1
                position = 0
                self.info.properties["cases"] = case + 1
            elif event in _SCALAR and prefix.startswith("value.item.") and prefix.count(".") == 2:
                self.info.properties[prefix[len("value.item.") :]] = _boolean(value)

    def _convert(self, item: object, index: int, where: str) -> Iterator[HashRecord]:
        record = self._media(item, index, where)
        if record.has_hash() or record.photodna:
            yield record
        else:
            self.skipped += 1

    def _media(self, item: object, index: int, where: str) -> HashRecord:
        location = f"record {index + 1}"
        if not isinstance(item, dict):
            raise HashSetError(self.path, location, f"{where} is not an object")

        def digest(value: object, nbytes: int, what: str) -> bytes | None:
            if value is None or value == "":
                return None
            if not isinstance(value, str):
                raise HashSetError(self.path, location, f"{where}.{what} is not a string")
            return parse_hex(value, nbytes, self.path, location, f"{where}.{what}")

        record = HashRecord(
            md5=digest(item.get("MD5"), 16, "MD5"),
            sha1=digest(item.get("SHA1"), 20, "SHA1"),
            sha256=digest(item.get("SHA256"), 32, "SHA256"),
            category=self._integer(item.get("Category"), location, f"{where}.Category"),
            size=self._integer(item.get("MediaSize"), location, f"{where}.MediaSize"),
            name=self._name(item),
        )
        photodna = item.get("PhotoDNA")
        if isinstance(photodna, str) and photodna.strip():
            record.photodna = photodna.strip()
        alternatives = item.get("AlternativeHashes")
        if not isinstance(alternatives, list):
            alternatives = []
        for position, alternative in enumerate(alternatives):
            if not isinstance(alternative, dict):
                continue
            name = str(alternative.get("HashName") or "").strip().upper().replace("-", "")
            value = alternative.get("HashValue")
            what = f"AlternativeHashes[{position}].HashValue"
            if name == "PHOTODNA" and isinstance(value, str) and value.strip():
                record.photodna = record.photodna or value.strip()
            elif name == "PDQ":
                record.pdq = digest(value, 32, what)
            elif name == "SHA256" and record.sha256 is None:
                record.sha256 = digest(value, 32, what)
        record.extra = self._extra(item)
        return record

    def _integer(self, value: object, location: str, what: str) -> int | None:
        """Category and MediaSize: int, integral float, or decimal string; null/"" is None."""
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            raise HashSetError(self.path, location, f"{what} is a boolean, not a number")
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            value = int(value.strip()) if len(value) < 20 else value
        if not isinstance(value, int) or value < 0:
            raise HashSetError(self.path, location, f"{what} is not a whole number: {value!r:.40}")
        return value

    @staticmethod
    def _name(item: dict[str, Any]) -> str | None:
        """1.1 ``Name``, else the first ``MediaFiles[].FileName``, else ``RelativeFilePath``."""
        if isinstance(item.get("Name"), str) and item["Name"]:
            return str(item["Name"])
        files = item.get("MediaFiles")
        if isinstance(files, list):
            for entry in files:
                name = entry.get("FileName") if isinstance(entry, dict) else None
                if isinstance(name, str) and name:
                    return name
        path = item.get("RelativeFilePath")
        return path if isinstance(path, str) and path else None

    @staticmethod
    def _extra(item: dict[str, Any]) -> dict[str, object]:
        """The cheap, useful scalar fields, plus 1.x ``odata.*`` bookkeeping for round trips."""
        extra: dict[str, object] = {}
        for key in _KEPT:
            if item.get(key) not in (None, ""):
                extra[key] = item[key]
        for key in _BOOLEANS:
            if item.get(key) is not None:
                extra[key] = _boolean(item[key])
        date = item.get("DateUpdated")
        if isinstance(date, str) and date:
            extra["DateUpdated"] = normalise_date(date)
        for key, value in item.items():
            if isinstance(key, str) and "odata." in key:
                extra[key] = value
        return extra
