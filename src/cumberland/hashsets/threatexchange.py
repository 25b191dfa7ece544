"""Signal lists printed by python-threatexchange's ``tx`` (``threatexchange``) command.

The forms, as ``threatexchange/cli/dataset_cmd.py`` and ``hash_cmd.py`` print them (and as
their own tests, ``cli/tests/dataset_cmd_test.py`` and ``hash_cmd_test.py``, pin them):

* ``tx dataset -P``: ``[<signal_type> ]<signal_str>[ '<collab>'] <CATEGORY>[ <tag>,<tag>]``;
  the type is left out when one type was chosen (``-s pdq``), the collaboration (a Python
  ``repr``) when one was chosen (``-c``); releases before 2023 printed the collaboration
  first. CATEGORY is the aggregate opinion: NEGATIVE_CLASS, INVESTIGATION_SEED,
  POSITIVE_CLASS or DISPUTED.
* ``tx dataset -P -S``: ``[<signal_type> ]<signal_str>``.
* ``tx dataset -P --csv``: a header ``signal_type,signal_str,collab,category,tags`` (older
  releases: ``collab,signal_type,signal_str,category,tags``), CSV rows (a ``raw_text`` value
  may span lines inside quotes).
* ``tx hash photo``: ``pdq <hex>``; with ``--photo-preprocess=rotations`` each line starts
  with the rotation (``ORIGINAL pdq <hex>``, ``ROTATE90 pdq <hex>`` …), with ``unletterbox``
  with a space. Only the original orientation is stored (Cumberland computes every query's
  variants itself); the rotated ones are counted.

Kept: ``pdq`` (PDQ), ``video_md5`` (MD5) and ``video_sha256`` (SHA-256). The other signal
types (``url``, ``url_md5``, ``raw_text``, ``trend_query``, ``vpdq``) are not media digests:
they are counted in ``skipped`` and named in a note. A
line without a type holds a PDQ hash when it has 64 hex digits (a ``-s video_sha256``
listing must be imported with ``--format sha256``) and a video MD5 when it has 32. The
category is stored as its number in tx's own enumeration (0 negative, 1 investigation seed,
2 positive, 3 disputed) under the category scheme ``threatexchange``.
"""

from __future__ import annotations

import ast
import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from ._text import TextReader, csv_header
from .base import HashRecord, HashSetError, HashSetFormat, HashSetInfo, Sample, opener, parse_hex

CATEGORIES = {"NEGATIVE_CLASS": 0, "INVESTIGATION_SEED": 1, "POSITIVE_CLASS": 2, "DISPUTED": 3}
"""tx's AggregateSignalOpinionCategory, by name, with its own numbers."""
KEPT = {"pdq": ("pdq", 32), "video_md5": ("md5", 16), "video_sha256": ("sha256", 32)}
OTHER_TYPES = frozenset({"url", "url_md5", "raw_text", "trend_query", "vpdq"})
ROTATIONS = frozenset({"ORIGINAL", "ROTATE90", "ROTATE180", "ROTATE270", "FLIPX", "FLIPY",
                       "FLIPPLUS1", "FLIPMINUS1"})
_QUOTED = r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\""
_OLD_COLLAB = re.compile(rf"^(?:{_QUOTED}) ")
_REST = re.compile(rf"^(?:(?P<collab>{_QUOTED}) )?(?P<category>[A-Z_]+)(?: (?P<tags>\S.*))?$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
_CSV_COLUMNS = {"signal_type", "signal_str"}


class _Line:
    """One ``tx dataset -P`` / ``tx hash`` line taken apart (no validation of the value)."""

    def __init__(self, line: str) -> None:
        rest = line.strip()
        self.collab: str | None = None
        if old := _OLD_COLLAB.match(rest):
            self.collab, rest = _unquote(old.group(0)[:-1]), rest[old.end():]
        words = rest.split(" ", 1)
        self.rotation = words[0] if words[0] in ROTATIONS else None
        if self.rotation:
            rest = words[1] if len(words) > 1 else ""
            words = rest.split(" ", 1)
        self.type = words[0] if words[0] in KEPT or words[0] in OTHER_TYPES else None
        if self.type:
            rest = words[1] if len(words) > 1 else ""
            words = rest.split(" ", 1)
        self.value = words[0]
        self.rest = words[1] if len(words) > 1 else ""
        self.tail = _REST.match(self.rest) if self.rest else None
        if self.tail and self.tail["category"] not in CATEGORIES:
            self.tail = None

    @property
    def marked(self) -> bool:
        """Whether the line carries something only tx prints (a type, rotation, category)."""
        return bool(self.type or self.rotation or self.tail)


class TxReader(TextReader):
    """Streams a ``tx`` listing (see the module docstring)."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, HashSetInfo(format="tx", category_scheme="threatexchange"))
        head = self._head(1)
        self.csv = bool(head) and csv_header(head[0], self.label).keys() >= _CSV_COLUMNS
        self.others: Counter[str] = Counter()
        self.rotated = 0

    def _records(self) -> Iterator[HashRecord]:
        if not self.csv:
            yield from super()._records()
            return
        with self._open() as stream:
            text = io.TextIOWrapper(stream, "utf-8", errors="replace", newline="")
            rows = csv.reader(text, strict=True)
            try:
                header = [name.strip().lower() for name in next(rows)]
                for row in rows:
                    if not any(cell.strip() for cell in row):
                        continue
                    location = f"line {rows.line_num}"
                    if len(row) != len(header):
                        raise HashSetError(self.label, location,
                                           f"{len(row)} fields, header has {len(header)}")
                    cells = dict(zip(header, row, strict=True))
                    yield from self._signal(cells["signal_type"].strip(),
                                            cells["signal_str"].strip(),
                                            cells.get("category", "").strip() or None,
                                            cells.get("collab") or None,
                                            cells.get("tags") or None, location)
            except csv.Error as exc:
                raise HashSetError(self.label, f"line {rows.line_num}",
                                   f"bad CSV: {exc}") from None
        self._note()

    def _parse(self, lines: Iterator[tuple[int, str]]) -> Iterator[HashRecord]:
        for number, line in lines:
            if not line.strip():
                continue
            location = f"line {number}"
            parts = _Line(line)
            if parts.type in OTHER_TYPES:  # the value may hold spaces: nothing more to read
                yield from self._signal(parts.type, parts.value, None, None, None, location)
                continue
            if parts.rest and parts.tail is None:
                raise HashSetError(self.label, location, f"not a tx line: {line[:80]!r}")
            if parts.rotation not in (None, "ORIGINAL"):
                self.rotated += 1
                continue
            tail = parts.tail
            kind = parts.type or {64: "pdq", 32: "video_md5"}.get(len(parts.value), "pdq")
            collab = _unquote(tail["collab"]) if tail and tail["collab"] else parts.collab
            yield from self._signal(kind, parts.value, tail["category"] if tail else None,
                                    collab, tail["tags"] if tail else None, location)
        self._note()

    def _signal(self, kind: str, value: str, category: str | None, collab: str | None,
                tags: str | None, location: str) -> Iterator[HashRecord]:
        if kind not in KEPT:
            if kind not in OTHER_TYPES:
                raise HashSetError(self.label, location, f"unknown signal type {kind[:40]!r}")
            self.others[kind] += 1
            self.skipped += 1
            return
        field, nbytes = KEPT[kind]
        record = HashRecord()
        setattr(record, field, parse_hex(value, nbytes, self.label, location, kind))
        if category is not None:
            if category not in CATEGORIES:
                raise HashSetError(self.label, location, f"unknown category {category[:40]!r}")
            record.category = CATEGORIES[category]
        record.extra = {k: v for k, v in (("collab", collab), ("tags", tags)) if v}
        yield record

    def _note(self) -> None:
        """What was read but not stored, said after the import."""
        if self.others:
            self.info.notes["signal types"] = "signals that are not media digests skipped: " + (
                ", ".join(f"{kind} {count:,}" for kind, count in sorted(self.others.items())))
        if self.rotated:
            self.info.notes["rotations"] = (
                f"{self.rotated:,} rotated-image lines not stored: the variants of every "
                f"query are computed")


def _unquote(text: str) -> str:
    """A collaboration name as tx wrote it (Python's ``repr`` of the name)."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return text[1:-1]
    return value if isinstance(value, str) else text[1:-1]


def sniff(sample: Sample) -> bool:
    if csv_header(sample.first, sample.path).keys() >= _CSV_COLUMNS:
        return True
    if not sample.lines:
        return False
    parts = _Line(sample.first)
    if parts.type in OTHER_TYPES:
        return True
    return parts.marked and bool(_HEX.match(parts.value)) and (not parts.rest or bool(parts.tail))


FORMAT = HashSetFormat(
    name="tx",
    title="python-threatexchange `tx` listings",
    accepts="`tx dataset -P` (`[<type> ]<value>[ '<collab>'] <CATEGORY>[ <tags>]`, older "
            "collaboration-first lines too), `-P -S`, `-P --csv` (both column orders) and "
            "`tx hash photo` (`pdq <hex>`, rotations); `pdq`, `video_md5` and `video_sha256` "
            "kept, other signal types counted as skipped",
    open=opener(TxReader),
    sniff=sniff,
)
