"""NCMEC hash-sharing API v2 XML exports (file import only; no network access).

Shape::

    <queryResult xmlns="…">
      <images maxTimestamp="…">
        <image>
          <member id="12">Org</member> <id>…</id> <timestamp>…</timestamp>
          <classification>A1</classification>
          <fingerprints><md5>…</md5><sha1>…</sha1><pdna>…</pdna></fingerprints>
        </image>
        <deletedImage><member id="12">Org</member><id>…</id><timestamp>…</timestamp></deletedImage>
      </images>
    </queryResult>

``classification`` (A1, B2 …) is NCMEC's own two-axis code, not a number: it is kept in
``extra['classification']`` and ``category`` stays None (scheme ``ncmec``). ``deletedImage``
entries are yielded with ``extra['deleted'] = True`` so a store can retract them. ``video`` /
``deletedVideo`` entries are read the same way (``extra['media'] = 'video'``).

Parsing uses expat directly rather than ``ElementTree.iterparse``: the C ElementTree parser
offers no hook to refuse a DTD, and any DTD (entity expansion, "billion laughs", external
entities) is refused here before it is processed. Only the record being built is held in
memory; text nodes are capped.
"""

from __future__ import annotations

import re
import xml.parsers.expat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

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

_RECORDS = {
    "image": ("image", False),
    "deletedImage": ("image", True),
    "video": ("video", False),
    "deletedVideo": ("video", True),
}
_DIGESTS = ("md5", "sha1", "pdna", "pdq")
_FIELDS: dict[tuple[str, ...], str] = {
    **{(name,): name for name in ("member", "id", "timestamp", "classification", *_DIGESTS)},
    **{("fingerprints", name): name for name in _DIGESTS},
}
"""Where a record's fields sit, relative to the record element (digests also accepted
without ``<fingerprints>``). Only there: ``<feedback>`` holds ``<member>`` elements of its
own (the members who voted on the entry), which are not the uploader."""
_CHUNK = 64 * 1024
_MAX_TEXT = 1 << 20


class _Refused(Exception):
    """Raised from an expat handler; turned into a HashSetError with the parser position."""


class _Parse:
    """Expat handlers that turn record elements into field dicts, one record at a time."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.parser = xml.parsers.expat.ParserCreate(namespace_separator="}")
        self.parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._refuse_dtd
        self.parser.EntityDeclHandler = self._refuse_dtd
        self.parser.ExternalEntityRefHandler = self._refuse_dtd
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.root: str | None = None
        self.properties: dict[str, object] = {}
        self.done: list[tuple[str, bool, dict[str, str]]] = []
        self.current: dict[str, str] | None = None
        self.kind: tuple[str, bool] = ("image", False)
        self.within: list[str] = []
        self.text: list[str] = []
        self.text_size = 0

    def _refuse_dtd(self, *_: object) -> int:
        raise _Refused("DTD or entity declaration refused (entity-expansion attacks)")

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rsplit("}", 1)[-1]
        self.text, self.text_size = [], 0
        if self.current is not None:
            self.within.append(local)
            if self.within == ["member"] and "id" in attributes:
                self.current["member_id"] = attributes["id"]
        elif self.root is None:
            if local != "queryResult":
                raise _Refused(f"root element is <{local}>, not <queryResult>")
            self.root = local
            self.properties.update(attributes)
        elif local in _RECORDS:
            self.current, self.kind, self.within = {}, _RECORDS[local], []
        elif local in ("images", "videos"):
            self.properties.update({f"{local}.{key}": value for key, value in attributes.items()})

    def _end(self, name: str) -> None:
        if self.current is not None:
            if not self.within:
                self.done.append((self.kind[0], self.kind[1], self.current))
                self.current = None
            else:
                field = _FIELDS.get(tuple(self.within))
                if field:
                    self.current.setdefault(field, "".join(self.text).strip())
                self.within.pop()
        self.text, self.text_size = [], 0

    def _text(self, data: str) -> None:
        if self.current is None:
            return
        self.text_size += len(data)
        if self.text_size > _MAX_TEXT:
            raise _Refused(f"text node longer than {_MAX_TEXT} characters")
        self.text.append(data)

    def feed(self) -> bool:
        """Parse one chunk; False at end of file."""
        chunk = self.stream.read(_CHUNK)
        self.parser.Parse(chunk, not chunk)
        return bool(chunk)


class NcmecReader(ReaderBase):
    """Streams image (and video) entries of an NCMEC hash-sharing XML file."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="ncmec", category_scheme="ncmec"))
        with open(self.path, "rb") as stream:
            parse = _Parse(stream)
            more = True
            while parse.root is None and more:
                more = self._step(parse)
            if parse.root is None:
                raise HashSetError(self.path, "line 1", "no <queryResult> element")
            self.info.properties.update(parse.properties)

    def _step(self, parse: _Parse) -> bool:
        """One chunk, with parser errors turned into HashSetErrors carrying the line number."""
        try:
            return parse.feed()
        except xml.parsers.expat.ExpatError as exc:
            message = xml.parsers.expat.ErrorString(exc.code) if exc.code else str(exc)
            location = f"line {exc.lineno}"
        except _Refused as exc:
            message, location = str(exc), f"line {parse.parser.CurrentLineNumber}"
        raise HashSetError(self.path, location, f"malformed XML: {message}")

    def _records(self) -> Iterator[HashRecord]:
        with open(self.path, "rb") as stream:
            parse = _Parse(stream)
            index = 0
            more = True
            while more:
                more = self._step(parse)
                for media, deleted, fields in parse.done:
                    index += 1
                    record = self._record(media, deleted, fields, f"record {index}")
                    if record.has_hash() or record.photodna or deleted:
                        yield record
                    else:
                        self.skipped += 1
                parse.done.clear()
                parse.properties.clear()

    def _record(
        self, media: str, deleted: bool, fields: dict[str, str], location: str
    ) -> HashRecord:
        def digest(name: str, nbytes: int) -> bytes | None:
            value = fields.get(name)
            return parse_hex(value, nbytes, self.path, location, name) if value else None

        extra: dict[str, object] = {"media": media, "deleted": deleted}
        for name, key in (
            ("id", "ncmec_id"),
            ("member", "member"),
            ("member_id", "member_id"),
            ("timestamp", "timestamp"),
            ("classification", "classification"),
        ):
            if fields.get(name):
                extra[key] = fields[name]
        return HashRecord(
            md5=digest("md5", 16),
            sha1=digest("sha1", 20),
            pdq=digest("pdq", 32),
            photodna=fields.get("pdna") or None,
            extra=extra,
        )


_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?queryResult[\s>/]")


def sniff(sample: Sample) -> bool:
    return sample.text.lstrip().startswith("<") and _ROOT.search(sample.text) is not None


FORMAT = HashSetFormat(
    name="ncmec",
    title="NCMEC hash-sharing API v2 XML",
    accepts="`<queryResult>` with `images/image`, `videos/video` (member, id, timestamp, "
            "classification, `fingerprints` MD5/SHA-1/PDQ/PhotoDNA) and `deletedImage`/"
            "`deletedVideo` withdrawals; `<feedback>` is not the uploader; any DTD is refused",
    open=opener(NcmecReader),
    sniff=sniff,
)
