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

from ._text import open_text
from .base import (
    HashRecord,
    HashSetError,
    HashSetFormat,
    HashSetInfo,
    ReaderBase,
    Sample,
    opener,
    parse_hex,
)

_METADATA_KEYS = ("odata.metadata", "@odata.context")
_CASE_KEYS = frozenset({
    "caseid", "casenumber", "contactorganization", "contactname", "contactphone",
    "contactemail", "contacttitle", "totalmediafiles", "totalprecategorized", "seizuredate",
    "sourceapplicationname", "sourceapplicationversion", "casemetadata", "media"})
"""Keys only a Case object has (lower-case): a record with one of these first is a case."""
_MEDIA_KEYS = frozenset({
    "mediaid", "category", "md5", "sha1", "sha256", "mediasize", "photodna", "mediafiles",
    "alternativehashes", "isprecategorized", "dateupdated", "relativefilepath", "name"})
_WHAT = {"start_map": "an object", "string": "a string", "null": "null", "number": "a number",
         "boolean": "a boolean", "end_map": "missing"}
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
_KEPT_FOLDED = [(key, key.lower()) for key in _KEPT]
_BOOLEANS_FOLDED = [(key, key.lower()) for key in _BOOLEANS]
_DATE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)(?:[.,](\d+))?(Z|[+-]\d\d:?\d\d)?$", re.IGNORECASE
)
_OPEN = ("start_map", "start_array")
_CLOSE = ("end_map", "end_array")
_SCALAR = ("string", "number", "boolean", "null")
_VALUES = ("start_map", "start_array", *_SCALAR)
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
MAX_FIELD = 1 << 20
"""Longest JSON string passed to the parser (bytes); longer ones are cut to this and counted.
The longest real fields are base64 thumbnails (``Miniature``, tens of KB). yajl re-scans a
string that spans reads from its start at every read, so one 200 MB field took 687 s:
bounded, every file parses in time linear in its size."""


_HIGH_SURROGATE = re.compile(rb"\\u[dD][89abAB][0-9a-fA-F]{2}")


def _clean_end(data: bytes, start: int = 0) -> int:
    """The end of the longest prefix of the string content ``data[start:]`` (which starts at
    a clean boundary) that ends neither inside an escape, nor after the first half of a
    surrogate pair, nor inside a UTF-8 sequence, so that a closing quote may follow it:
    where a string can be cut, or a read can pause."""
    end = len(data)
    while (shorter := _clean_once(data, start, end)) != end:
        end = shorter
    return end


def _clean_once(data: bytes, start: int, end: int) -> int:
    slash = data.rfind(b"\\", max(start, end - 6), end)
    if slash >= 0:
        run = slash
        while run > start and data[run - 1] == 0x5C:
            run -= 1
        if (slash - run) % 2 == 0:  # an odd run: the last backslash begins an escape
            length = 6 if data[slash + 1:slash + 2] == b"u" else 2
            if slash + length > end or _HIGH_SURROGATE.match(data, slash, end):
                return slash
    for back in range(1, min(4, end - start) + 1):
        byte = data[end - back]
        if byte < 0x80:
            break
        if byte >= 0xC0:  # a lead byte: is its sequence complete?
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return end if back >= needed else end - back
    return end


class _CountingReader:
    """A binary file wrapper for the JSON parser: counts consumed bytes, refuses absurd
    nesting, reads UTF-16 with a BOM as UTF-8 and cuts strings longer than MAX_FIELD.

    Whole reads are checked with C-level regex/translate calls: strings are cut out (their
    state carried across reads), and only bracket bytes are walked. Inside a string that
    goes on past a read, the last few bytes are held back until they are known not to end
    inside an escape or a UTF-8 sequence, so the string can always be cut cleanly there.
    """

    def __init__(self, raw: IO[bytes], path: Path) -> None:
        self.raw = open_text(raw)
        self.path = path
        self.depth = 0
        self.in_string = False
        self.length = 0  # bytes of the current string passed on
        self.cutting = False
        self.truncated = 0
        self.offset = 0
        self.held = b""  # read, not yet passed on (the end of a string's content)
        self.out = b""  # passed on, not yet returned

    def read(self, size: int = -1) -> bytes:
        if size == 0:  # ijson asks for nothing to learn whether the stream gives bytes
            return b""
        size = size if size > 0 else _BUFFER
        while not self.out:
            data = self.raw.read(size)
            self.offset += len(data)
            if not data:
                self.out, self.held = self.held, b""
                break
            self.out = self._filter(self.held + data)
        out, self.out = self.out[:size], self.out[size:]
        return out

    def _filter(self, data: bytes) -> bytes:
        self.held = b""
        parts: list[bytes] = []
        position = self._string(data, 0, parts) if self.in_string else 0
        if self.in_string:
            return b"".join(parts)
        rest = data[position:]
        outside = _STRING.sub(b"", rest)  # never matches inside a string left open
        quote = outside.find(b'"')
        if quote < 0:
            self._check_depth(outside)
            parts.append(rest)
            return b"".join(parts)
        self._check_depth(outside[:quote])
        opening = len(data) - (len(outside) - quote)  # nothing after it was removed
        parts.append(data[position:opening + 1])
        self.in_string, self.length, self.cutting = True, 0, False
        self._string(data, opening + 1, parts)  # goes on past this read
        return b"".join(parts)

    def _string(self, data: bytes, start: int, parts: list[bytes]) -> int:
        """Pass on string content from ``start``; the position after its closing quote,
        or len(data) when it goes on (its unclear last bytes held back)."""
        closing = _STRING_REST.match(data, start)
        stop = closing.end() - 1 if closing else _clean_end(data, start)
        if not closing:
            self.held = data[stop:]
        content = data[start:stop]
        if not self.cutting:
            room = MAX_FIELD - self.length
            if len(content) > room:
                content = content[:_clean_end(content[:room])]
                self.cutting = True
                self.truncated += 1
            parts.append(content)
            self.length += len(content)
        if closing is None:
            return len(data)
        parts.append(b'"')
        self.in_string = False
        return closing.end()

    def _check_depth(self, outside: bytes) -> None:
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
        url, (version, kind, profile, scheme), self.value_key, shape = self._read_head()
        self.kind = shape or kind
        self.info.version = version
        self.info.category_scheme = scheme
        self.info.properties.update({"kind": self.kind, "context": url})
        if shape and shape != kind:
            self.info.properties["context_kind"] = kind
        if profile:
            self.info.properties["profile"] = profile

    def _read_head(self) -> tuple[str, tuple[str, str, str | None, str], str, str | None]:
        """The context URL (the first key's value), how the file spells ``value``, and the
        shape of its first record where the keys tell (``Cases`` when it holds ``Media[]``,
        as RECON LAB writes under a ``#Media`` context). Reads only as far as needed, and
        refuses a ``value`` that is not an array, or none: such a file is not a hash set."""
        with open(self.path, "rb") as raw:
            stream = _CountingReader(raw, self.path)
            events = ijson.parse(stream, buf_size=_BUFFER, use_float=True)
            try:
                first = next(events, None)
                key = next(events, None)
                value = next(events, None)
                if first != ("", "start_map", None) or key is None or key[1] != "map_key":
                    raise HashSetError(self.path, "byte 0", "not a JSON object")
                if str(key[2]).lower() not in _METADATA_KEYS:
                    raise HashSetError(
                        self.path,
                        "byte 0",
                        f"first key is {str(key[2])[:60]!r}, not odata.metadata or @odata.context",
                    )
                if value is None or value[1] != "string":
                    raise HashSetError(self.path, "byte 0", f"{key[2]} is not a string")
                try:
                    context = parse_context(str(value[2]))
                except ValueError as exc:
                    raise HashSetError(self.path, "byte 0", str(exc)) from None
                value_key, shape = self._value_shape(events, stream)
            except ijson.JSONError as exc:
                message = f"malformed JSON: {_json_error(exc)}"
                raise HashSetError(self.path, f"byte {stream.offset}", message) from None
        return str(value[2]), context, value_key, shape

    def _value_shape(self, events: Iterator[tuple[str, str, Any]], stream: _CountingReader,
                     ) -> tuple[str, str | None]:
        value_key: str | None = None
        for prefix, event, data in events:
            if value_key is None:
                if prefix == "" and event == "map_key" and str(data).lower() == "value":
                    value_key = str(data)
                    _, kind, _ = next(events, ("", "end_map", None))
                    if kind != "start_array":
                        raise HashSetError(self.path, f"byte {stream.offset}",
                                           f"{value_key} is {_WHAT.get(kind, kind)}, not an array")
                continue
            if prefix == f"{value_key}.item" and event == "map_key":
                name = str(data).lower()
                if name in _CASE_KEYS:
                    return value_key, "Cases"
                if name in _MEDIA_KEYS:
                    return value_key, "Media"
            elif prefix == value_key or (prefix == f"{value_key}.item" and event == "end_map"):
                return value_key, None  # an empty array, or a first record with no telling key
        raise HashSetError(self.path, f"byte {stream.offset}", "no value array of records")

    def _records(self) -> Iterator[HashRecord]:
        with open(self.path, "rb") as raw:
            stream = _CountingReader(raw, self.path)
            try:
                if self.kind == "Media":
                    items = ijson.items(stream, f"{self.value_key}.item", buf_size=_BUFFER,
                                        use_float=True)
                    for index, item in enumerate(items):
                        yield from self._convert(item, index, f"value[{index}]")
                else:
                    yield from self._cases(stream)
            except ijson.JSONError as exc:
                raise HashSetError(
                    self.path, f"byte {stream.offset}", f"malformed JSON: {_json_error(exc)}"
                ) from None
        if stream.truncated:
            self.info.notes["truncated"] = (f"{stream.truncated:,} JSON strings longer than "
                                            f"{MAX_FIELD:,} bytes cut to that length")

    def _cases(self, stream: _CountingReader) -> Iterator[HashRecord]:
        """Walk parse events: scalar case fields go to ``info.properties``, Media[] to records.
        Keys are matched without regard to case; a case whose ``Media`` is not an array, or
        cases none of which has ``Media``, make the file malformed."""
        case_prefix = f"{self.value_key}.item".lower()
        media_key = f"{case_prefix}.media"
        media_prefix = f"{media_key}.item"
        builder: ijson.ObjectBuilder | None = None
        depth = index = position = 0
        case = -1
        arrays = 0
        for prefix, event, value in ijson.parse(stream, buf_size=_BUFFER, use_float=True):
            if builder is None:
                lower = prefix.lower()
                if lower == media_prefix:
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
                continue
            if lower == media_key and event in _VALUES:
                if event == "start_array":
                    arrays += 1
                else:
                    raise HashSetError(self.path, f"byte {stream.offset}",
                                       f"value[{case}].Media is {_WHAT.get(event, event)}, "
                                       f"not an array")
            elif lower == case_prefix and event in _VALUES:
                case += 1
                if event != "start_map":
                    raise HashSetError(self.path, f"byte {stream.offset}",
                                       f"value[{case}] is {_WHAT.get(event, event)}, not a case")
                position = 0
                self.info.properties["cases"] = case + 1
            elif event in _SCALAR and lower.startswith(f"{case_prefix}.") and lower.count(".") == 2:
                self.info.properties[prefix[len(case_prefix) + 1:]] = _boolean(value)
        if case >= 0 and not arrays:
            raise HashSetError(self.path, f"byte {stream.offset}", "no case has a Media array")

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
        fields = _folded(item)

        def digest(value: object, nbytes: int, what: str) -> bytes | None:
            if value is None or value == "":
                return None
            if not isinstance(value, str):
                raise HashSetError(self.path, location, f"{where}.{what} is not a string")
            return parse_hex(value, nbytes, self.path, location, f"{where}.{what}")

        record = HashRecord(
            md5=digest(fields.get("md5"), 16, "MD5"),
            sha1=digest(fields.get("sha1"), 20, "SHA1"),
            sha256=digest(fields.get("sha256"), 32, "SHA256"),
            category=self._integer(fields.get("category"), location, f"{where}.Category"),
            size=self._integer(fields.get("mediasize"), location, f"{where}.MediaSize"),
            name=self._name(fields),
        )
        photodna = fields.get("photodna")
        if isinstance(photodna, str) and photodna.strip():
            record.photodna = photodna.strip()
        alternatives = fields.get("alternativehashes")
        if not isinstance(alternatives, list):
            alternatives = []
        for position, alternative in enumerate(alternatives):
            if not isinstance(alternative, dict):
                continue
            entry = _folded(alternative)
            name = str(entry.get("hashname") or "").strip().upper().replace("-", "")
            value = entry.get("hashvalue")
            what = f"AlternativeHashes[{position}].HashValue"
            if name == "PHOTODNA" and isinstance(value, str) and value.strip():
                record.photodna = record.photodna or value.strip()
            elif name == "PDQ":
                record.pdq = digest(value, 32, what)
            elif name == "SHA256" and record.sha256 is None:
                record.sha256 = digest(value, 32, what)
        record.extra = self._extra(item, fields)
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
    def _name(fields: dict[str, Any]) -> str | None:
        """1.1 ``Name``, else the first ``MediaFiles[].FileName``, else ``RelativeFilePath``."""
        if isinstance(fields.get("name"), str) and fields["name"]:
            return str(fields["name"])
        files = fields.get("mediafiles")
        if isinstance(files, list):
            for entry in files:
                name = _folded(entry).get("filename") if isinstance(entry, dict) else None
                if isinstance(name, str) and name:
                    return name
        path = fields.get("relativefilepath")
        return path if isinstance(path, str) and path else None

    @staticmethod
    def _extra(item: dict[str, Any], fields: dict[str, Any]) -> dict[str, object]:
        """The cheap, useful scalar fields (under their data-model names), plus 1.x
        ``odata.*`` bookkeeping for round trips."""
        extra: dict[str, object] = {}
        for key, folded in _KEPT_FOLDED:
            if fields.get(folded) not in (None, ""):
                extra[key] = fields[folded]
        for key, folded in _BOOLEANS_FOLDED:
            if fields.get(folded) is not None:
                extra[key] = _boolean(fields[folded])
        date = fields.get("dateupdated")
        if isinstance(date, str) and date:
            extra["DateUpdated"] = normalise_date(date)
        for key, value in item.items():
            if isinstance(key, str) and "odata." in key:
                extra[key] = value
        return extra


def _folded(item: dict[str, Any]) -> dict[str, Any]:
    """An object's fields by lower-case key (IPED reads VICS keys without regard to case,
    and exports with ``md5`` or ``Sha1`` exist). JSON keys are always strings."""
    return dict(zip(map(str.lower, item), item.values(), strict=True))


def sniff(sample: Sample) -> bool:
    text = sample.text.lstrip()
    head = text[:4096].lower()
    return text.startswith("{") and ("odata.metadata" in head or "@odata.context" in head)


FORMAT = HashSetFormat(
    name="vics",
    title="Project VIC VICS JSON",
    accepts="data model 1.1/1.2/1.3 (`odata.metadata`) and 2.0 (`@odata.context`, profiles "
            "Default/US, UK, CUSTOM); `#Media` and `#Cases` (RECON LAB's `#Media` holding "
            "cases too); keys in any case; UTF-8 with or without BOM, UTF-16 LE/BE with BOM; "
            "booleans as strings, sizes as numbers or strings, PhotoDNA kept opaque, PDQ and "
            "SHA-256 from `AlternativeHashes`; strings over 1 MiB cut and counted; a `value` "
            "(or a case's `Media`) that is not an array is refused",
    open=opener(VicsReader),
    sniff=sniff,
)
