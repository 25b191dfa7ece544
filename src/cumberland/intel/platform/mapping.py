"""The mapping file: which table of a dump holds what, and which column is which field.

Platforms differ, so nothing about a dump's layout is assumed. A mapping is TOML::

    platform = "example-board"
    encoding = "utf-8"
    timezone = "UTC"
    date_formats = ["%d.%m.%Y %H:%M"]

    [tables.users]
    kind = "accounts"
    source = "users"            # table name (SQLite, SQL dump) or file (CSV, JSON Lines)
    [tables.users.columns]
    id = "id"
    email = "mail"

Every key is checked: an unknown key, kind or field is an error (a typo must not silently
drop a column). See docs/platform.md for the full reference.
"""

from __future__ import annotations

import codecs
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, timezone
from pathlib import Path
from typing import Any

from cumberland.intel.platform.identifiers import Provider
from cumberland.intel.platform.values import parse_zone

ACTIONS = ("upload", "download", "view", "categorise")

# kind -> (required fields, optional fields)
KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "accounts": (("id",), ("username", "name", "email", "phone", "registered_at",
                           "registration_ip")),
    "logins": (("account",), ("id", "at", "ip", "user_agent", "fingerprint")),
    "payments": (("account",), ("id", "at", "method", "amount", "currency", "processor",
                                "reference", "crypto_address", "txid", "payer_name")),
    "credits": (("account",), ("id", "at", "amount", "reason")),
    "content": (("account",), ("id", "at", "action", "sha256", "md5", "sha1", "file",
                               "label")),
    "files": (("id",), ("sha256", "md5", "sha1", "name", "size")),
    "messages": (("account",), ("id", "at", "recipient", "body")),
}
ORDER = ("files", "accounts", "logins", "payments", "credits", "content", "messages")
"""Tables of a multi-file dump are read in this order (SQL dumps in their own order)."""

TOP_KEYS = {"platform", "encoding", "timezone", "date_formats", "default_region",
            "max_field_bytes", "tables", "email", "countries"}
TABLE_KEYS = {"kind", "source", "format", "columns", "values", "action", "delimiter",
              "header", "encoding", "primary_key"}
FORMATS = ("csv", "jsonl", "sqlite", "sql")


class MappingError(ValueError):
    """The mapping file is malformed or names something that is not there."""


@dataclass(frozen=True, slots=True)
class TableMap:
    name: str
    kind: str
    source: str
    columns: dict[str, str | int]  # field -> column name (or 1-based position without header)
    values: dict[str, dict[str, str]]  # field -> raw value -> canonical value
    action: str | None = None
    format: str | None = None
    delimiter: str = ","
    header: bool = True
    encoding: str | None = None
    primary_key: bool = True  # duplicate ``id`` values are bad rows


@dataclass(frozen=True, slots=True)
class Mapping:
    platform: str
    tables: list[TableMap]
    encoding: str = "utf-8"
    zone: timezone = UTC
    date_formats: list[str] = field(default_factory=list)
    default_region: str | None = None
    max_field_bytes: int = 16 << 20
    providers: dict[str, Provider] = field(default_factory=dict)
    processor_countries: dict[str, str] = field(default_factory=dict)
    exchange_countries: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)

    def table(self, name: str) -> TableMap:
        return next(t for t in self.tables if t.name == name)


def _check_keys(where: str, found: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(found) - allowed)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)} "
                           f"(allowed: {', '.join(sorted(allowed))})")


def _encoding(name: str, where: str) -> str:
    try:
        return codecs.lookup(name).name
    except LookupError:
        raise MappingError(f"{where}: unknown encoding {name!r}") from None


def _table(name: str, spec: Any, path: Path) -> TableMap:
    where = f"{path}: [tables.{name}]"
    if not isinstance(spec, dict):
        raise MappingError(f"{where} must be a table")
    _check_keys(where, spec, TABLE_KEYS)
    kind = spec.get("kind")
    if kind not in KINDS:
        raise MappingError(f"{where}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    required, optional = KINDS[kind]
    columns = spec.get("columns") or {}
    if not isinstance(columns, dict):
        raise MappingError(f"{where}: columns must be a table of field = column")
    _check_keys(f"{where}.columns", columns, set(required) | set(optional))
    for wanted in required:
        if wanted not in columns:
            raise MappingError(f"{where}: kind {kind} needs a column for {wanted!r}")
    for fld, col in columns.items():
        if not isinstance(col, str | int) or isinstance(col, bool) or col == "":
            raise MappingError(f"{where}.columns.{fld}: a column name or position")
    action = spec.get("action")
    if kind == "content" and "action" not in columns and action not in ACTIONS:
        raise MappingError(f"{where}: content needs an action column or action = one of "
                           f"{', '.join(ACTIONS)}")
    values = spec.get("values") or {}
    if not isinstance(values, dict) or not all(isinstance(v, dict) for v in values.values()):
        raise MappingError(f"{where}.values: a table per field of raw = canonical values")
    _check_keys(f"{where}.values", values, set(columns))
    for mapped in values.get("action", {}).values():
        if mapped not in ACTIONS:
            raise MappingError(f"{where}.values.action: {mapped!r} is not one of "
                               f"{', '.join(ACTIONS)}")
    fmt = spec.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise MappingError(f"{where}: format must be one of {', '.join(FORMATS)}")
    header = spec.get("header", True)
    if not header and not all(isinstance(c, int) for c in columns.values()):
        raise MappingError(f"{where}: without a header row, columns are 1-based positions")
    delimiter = spec.get("delimiter", ",")
    if not isinstance(delimiter, str) or len(delimiter) != 1:
        raise MappingError(f"{where}: delimiter must be one character")
    encoding = spec.get("encoding")
    return TableMap(
        name=name, kind=kind, source=str(spec.get("source", name)), columns=dict(columns),
        values={k: {str(a): str(b) for a, b in v.items()} for k, v in values.items()},
        action=action, format=fmt, delimiter=delimiter, header=bool(header),
        encoding=_encoding(encoding, where) if encoding else None,
        primary_key=bool(spec.get("primary_key", True)))


def _providers(spec: Any, path: Path) -> dict[str, Provider]:
    providers = (spec or {}).get("providers", {})
    out: dict[str, Provider] = {}
    for domain, rules in providers.items():
        if not isinstance(rules, dict):
            raise MappingError(f"{path}: [email.providers] {domain} = {{dots = ..., plus = ...}}")
        _check_keys(f"{path}: email.providers.{domain}", rules, {"dots", "plus", "tag",
                                                                 "alias_of"})
        tag = rules.get("tag", "+" if rules.get("plus") else None)
        out[domain.lower()] = Provider(dots=bool(rules.get("dots")), tag=tag,
                                       alias_of=rules.get("alias_of"))
    return out


def _countries(spec: Any, key: str) -> dict[str, str]:
    table = (spec or {}).get(key, {})
    return {str(name).strip().lower(): str(cc).upper() for name, cc in table.items()}


def load_mapping(path: Path) -> Mapping:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MappingError(f"{path}: no such mapping file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise MappingError(f"{path}: not valid TOML: {exc}") from None
    _check_keys(str(path), raw, TOP_KEYS)
    tables = raw.get("tables")
    if not isinstance(tables, dict) or not tables:
        raise MappingError(f"{path}: no [tables.NAME] sections")
    parsed = [_table(name, spec, path) for name, spec in tables.items()]
    if not any(t.kind == "accounts" for t in parsed):
        raise MappingError(f"{path}: no table of kind accounts (the users)")
    parsed.sort(key=lambda t: ORDER.index(t.kind))
    formats = raw.get("date_formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise MappingError(f"{path}: date_formats must be a list of strptime formats")
    countries = raw.get("countries") or {}
    _check_keys(f"{path}: [countries]", countries, {"processors", "exchanges"})
    email = raw.get("email") or {}
    _check_keys(f"{path}: [email]", email, {"providers"})
    try:
        zone = parse_zone(str(raw.get("timezone", "UTC")))
    except ValueError as exc:
        raise MappingError(f"{path}: {exc}") from None
    return Mapping(
        platform=str(raw.get("platform", path.stem)), tables=parsed,
        encoding=_encoding(str(raw.get("encoding", "utf-8")), str(path)), zone=zone,
        date_formats=formats, default_region=raw.get("default_region"),
        max_field_bytes=int(raw.get("max_field_bytes", 16 << 20)),
        providers=_providers(email, path),
        processor_countries=_countries(countries, "processors"),
        exchange_countries=_countries(countries, "exchanges"), raw=raw)
