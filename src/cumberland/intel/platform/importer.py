"""A platform dump into a case: streamed, in one transaction, every row traceable.

The whole import is one transaction: a malformed row stops it with a one-line error naming
the file, line and byte, and nothing is left behind; with ``skip_bad_rows`` such rows are
counted (the first ones kept, each as one line) and the rest goes in. Rows are written in
batches through the driver. Accounts and identifiers get their ids here, so a login can
name an account whose user row comes later in the dump (SQL dumps list tables
alphabetically); an account named but never defined is kept as a ``stub`` and counted.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, func, insert, select

from cumberland.intel.platform.bulk import big_cache
from cumberland.intel.platform.identifiers import (
    email_country,
    normalise_crypto,
    normalise_email,
    normalise_phone,
    normalise_reference,
)
from cumberland.intel.platform.mapping import ACTIONS, Mapping, TableMap
from cumberland.intel.platform.readers import BadRow, DumpError, detect_format, iter_dump, where
from cumberland.intel.platform.values import (
    parse_amount,
    parse_hash,
    parse_ip,
    text_or_none,
    time_parser,
)
from cumberland.store.platform_models import (
    PlatformAccount,
    PlatformFile,
    PlatformIdentifier,
    PlatformImport,
)
from cumberland.store.sql import param_marker
from cumberland.store.workspace import Workspace, transaction_lock

BATCH = 20_000
IP_CACHE = 4_000_000
KEEP_SKIPPED = 200  # skipped rows described in the import record (all are counted)
_IMPORT_LOCK = 0x504C4154

COLUMNS: dict[str, tuple[str, ...]] = {
    "logins": ("account_id", "at", "ip_id", "fingerprint_id", "user_agent"),
    "payments": ("account_id", "at", "method", "amount", "currency", "processor",
                 "reference_id", "crypto_id", "txid", "payer_name"),
    "credits": ("account_id", "at", "amount", "reason"),
    "content": ("account_id", "at", "action", "file_id", "label"),
    "messages": ("account_id", "at", "recipient", "body"),
    "accounts": ("id", "ext_id", "username", "name", "email", "email_id", "phone_id",
                 "registered_at", "reg_ip_id", "stub"),
}
TABLES = {"logins": "platform_logins", "payments": "platform_payments",
          "credits": "platform_credits", "content": "platform_content",
          "messages": "platform_messages", "accounts": "platform_accounts"}


class PlatformImportError(ValueError):
    """The import stopped; nothing of it was kept. The message is one line."""


@dataclass(slots=True)
class ImportOutcome:
    import_id: int
    rows: dict[str, int]
    skipped: int
    skipped_examples: list[str]
    stubs: int
    unusable: dict[str, int]
    seconds: float


class _Keys:
    """Primary keys seen in one table: a bitmap for small integers, a set for the rest."""

    def __init__(self) -> None:
        self.bits = bytearray()
        self.other: set[str] = set()

    def add(self, key: str) -> bool:
        """False when ``key`` was already there."""
        if key.isdigit() and len(key) < 10 and (key == "0" or key[0] != "0"):
            number = int(key)
            index, bit = number >> 3, 1 << (number & 7)
            if index >= len(self.bits):
                self.bits.extend(bytes(index + 1 - len(self.bits) + (len(self.bits) >> 1)))
            if self.bits[index] & bit:
                return False
            self.bits[index] |= bit
            return True
        if key in self.other:
            return False
        self.other.add(key)
        return True


@dataclass(slots=True)
class _Registry:
    """Ids of the case's identifiers and accounts, allocated here; new ones are written in
    batches."""

    conn: Connection
    case: int
    import_id: int
    next_identifier: int
    next_account: int
    identifiers: dict[str, dict[str, int]] = field(default_factory=dict)
    new_identifiers: list[tuple[Any, ...]] = field(default_factory=list)
    accounts: dict[str, int] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)
    first_reference: dict[str, tuple[int, int, int | None]] = field(default_factory=dict)
    existing_files: set[int] = field(default_factory=set)
    files: dict[int, list[Any]] = field(default_factory=dict)

    def identifier(self, kind: str, value: str, country: str | None = None) -> int:
        known = self.identifiers.setdefault(kind, {})
        found = known.get(value)
        if found is None:
            found = known[value] = self.next_identifier
            self.next_identifier += 1
            self.new_identifiers.append((found, self.case, kind, value, country))
        return found

    def account(self, ext: str, table: int, line: int, byte: int | None) -> int:
        found = self.accounts.get(ext)
        if found is None:
            found = self.accounts[ext] = self.next_account
            self.next_account += 1
            self.first_reference[ext] = (table, line, byte)
        return found

    def file(self, key: str, sha256: bytes | None = None, md5: bytes | None = None,
             sha1: bytes | None = None, name: str | None = None,
             size: int | None = None) -> int:
        ident = self.identifier("file", key)
        facts = self.files.setdefault(ident, [None, None, None, None, None])
        for i, value in enumerate((sha256, md5, sha1, name, size)):
            if value is not None:
                facts[i] = value
        return ident


class _Writer:
    def __init__(self, conn: Connection, case: int, import_id: int,
                 progress: Callable[[int], None] | None) -> None:
        self.conn, self.case, self.import_id = conn, case, import_id
        self.marker = param_marker(conn)
        self.buffers: dict[str, list[tuple[Any, ...]]] = {k: [] for k in TABLES}
        self.progress = progress

    def add(self, kind: str, row: tuple[Any, ...]) -> None:
        buffer = self.buffers[kind]
        buffer.append(row)
        if len(buffer) >= BATCH:
            self.flush(kind)

    def flush(self, kind: str) -> None:
        rows = self.buffers[kind]
        if not rows:
            return
        columns = ("case_id", "import_id", *COLUMNS[kind], "src_table", "src_line",
                   "src_byte")
        marks = ", ".join([self.marker] * len(columns))
        self.conn.exec_driver_sql(
            f"INSERT INTO {TABLES[kind]} ({', '.join(columns)}) VALUES ({marks})",
            [(self.case, self.import_id, *row) for row in rows])
        if self.progress:
            self.progress(len(rows))
        rows.clear()

    def identifiers(self, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            marks = ", ".join([self.marker] * 5)
            self.conn.exec_driver_sql(
                f"INSERT INTO platform_identifiers (id, case_id, kind, value, country) "
                f"VALUES ({marks})", rows)
            rows.clear()


class _Converter:
    """Turns one mapped row into a record tuple (raising ValueError on a bad field)."""

    def __init__(self, mapping: Mapping, reg: _Registry) -> None:
        self.mapping = mapping
        self.reg = reg
        self.time = time_parser(mapping.date_formats, mapping.zone)
        self.keys: dict[str, _Keys] = {}
        self.unusable: Counter[str] = Counter()
        self.ips: dict[str, int] = {}  # the dump's text of an IP -> its identifier

    def _ip(self, raw: Any) -> int | None:
        """Identifier of an IP as written in the dump; parsed once per distinct text (VPN
        exits and homes repeat across millions of logins)."""
        if raw is None:
            return None
        text = str(raw)
        found = self.ips.get(text)
        if found is None:
            ip = parse_ip(text)
            found = self.reg.identifier("ip", ip) if ip else 0
            if len(self.ips) < IP_CACHE:
                self.ips[text] = found
        return found or None

    def convert(self, table: TableMap, index: int, line: int, byte: int | None,
                values: list[Any]) -> tuple[str, tuple[Any, ...]] | None:
        row = dict(zip(table.columns, values, strict=True))
        for fld, mapped in table.values.items():
            raw = row.get(fld)
            if raw is not None and str(raw) in mapped:
                row[fld] = mapped[str(raw)]
        if table.primary_key and "id" in row and table.kind != "accounts":
            key = text_or_none(row["id"])
            if key is not None and not self.keys.setdefault(table.name, _Keys()).add(key):
                raise ValueError(f"duplicate primary key id={key[:60]!r} in {table.name}")
        kind = table.kind
        if kind == "files":
            self._files(row)
            return None
        if kind == "accounts":
            return kind, self._account(row, index, line, byte)
        ext = text_or_none(row["account"])
        if ext is None:
            raise ValueError("no account")
        account = self.reg.account(ext, index, line, byte)
        at = self.time(row.get("at"))
        if kind == "logins":
            fp = text_or_none(row.get("fingerprint"))
            return kind, (account, at, self._ip(row.get("ip")),
                          self.reg.identifier("fingerprint", fp) if fp else None,
                          text_or_none(row.get("user_agent")))
        if kind == "payments":
            return kind, self._payment(row, account, at)
        if kind == "credits":
            return kind, (account, at, parse_amount(row.get("amount")),
                          text_or_none(row.get("reason")))
        if kind == "content":
            return kind, self._content(table, row, account, at)
        return kind, (account, at, text_or_none(row.get("recipient")),
                      text_or_none(row.get("body")))

    def _account(self, row: dict[str, Any], index: int, line: int,
                 byte: int | None) -> tuple[Any, ...]:
        ext = text_or_none(row["id"])
        if ext is None:
            raise ValueError("no account id")
        if ext in self.reg.defined:
            raise ValueError(f"duplicate primary key id={ext[:60]!r} in accounts")
        self.reg.defined.add(ext)
        account = self.reg.account(ext, index, line, byte)
        email = text_or_none(row.get("email"))
        email_id = None
        if email:
            norm = normalise_email(email, self.mapping.providers)
            if norm is None:
                self.unusable["email"] += 1
            else:
                email_id = self.reg.identifier("email", norm, email_country(norm))
        phone_id = None
        phone = text_or_none(row.get("phone"))
        if phone:
            parsed = normalise_phone(phone, self.mapping.default_region)
            if parsed is None:
                self.unusable["phone"] += 1
            else:
                phone_id = self.reg.identifier("phone", parsed[0], parsed[1])
        return (account, ext, text_or_none(row.get("username")), text_or_none(row.get("name")),
                email, email_id, phone_id, self.time(row.get("registered_at")),
                self._ip(row.get("registration_ip")), False)

    def _payment(self, row: dict[str, Any], account: int, at: float | None) -> tuple[Any, ...]:
        processor = text_or_none(row.get("processor"))
        ref = text_or_none(row.get("reference"))
        address = text_or_none(row.get("crypto_address"))
        txid = text_or_none(row.get("txid"))
        currency = text_or_none(row.get("currency"))
        return (account, at, text_or_none(row.get("method")), parse_amount(row.get("amount")),
                currency.upper()[:16] if currency else None, processor,
                self.reg.identifier("payment", normalise_reference(ref, processor))
                if ref else None,
                self.reg.identifier("crypto", normalise_crypto(address)) if address else None,
                txid.lower() if txid else None, text_or_none(row.get("payer_name")))

    def _content(self, table: TableMap, row: dict[str, Any], account: int,
                 at: float | None) -> tuple[Any, ...]:
        action = text_or_none(row.get("action")) or table.action
        action = action.lower() if action else None
        if action == "categorize":
            action = "categorise"
        if action not in ACTIONS:
            raise ValueError(f"action {action!r} is not one of {', '.join(ACTIONS)} (map it "
                             "in [tables.NAME.values.action])")
        file_id = self._file_of(row)
        return account, at, action, file_id, text_or_none(row.get("label"))

    def _file_of(self, row: dict[str, Any]) -> int | None:
        sha256 = parse_hash(row.get("sha256"), "sha256")
        sha1 = parse_hash(row.get("sha1"), "sha1")
        md5 = parse_hash(row.get("md5"), "md5")
        for name, digest in (("sha256", sha256), ("sha1", sha1), ("md5", md5)):
            if digest is not None:
                return self.reg.file(f"{name}:{digest.hex()}", sha256, md5, sha1)
        ref = text_or_none(row.get("file"))
        return self.reg.file(f"file:{ref}") if ref else None

    def _files(self, row: dict[str, Any]) -> None:
        ref = text_or_none(row["id"])
        if ref is None:
            raise ValueError("no file id")
        if not self.keys.setdefault("\0files", _Keys()).add(ref):
            raise ValueError(f"duplicate primary key id={ref[:60]!r} in files")
        size = text_or_none(row.get("size"))
        if size is not None and not size.isdigit():
            raise ValueError(f"not a file size: {size[:30]!r}")
        self.reg.file(f"file:{ref}", parse_hash(row.get("sha256"), "sha256"),
                      parse_hash(row.get("md5"), "md5"), parse_hash(row.get("sha1"), "sha1"),
                      text_or_none(row.get("name")), int(size) if size else None)


def _registry(conn: Connection, case: int, import_id: int) -> _Registry:
    reg = _Registry(
        conn, case, import_id,
        next_identifier=int(conn.scalar(select(func.max(PlatformIdentifier.id))) or 0) + 1,
        next_account=int(conn.scalar(select(func.max(PlatformAccount.id))) or 0) + 1)
    for ident, kind, value in conn.execute(
            select(PlatformIdentifier.id, PlatformIdentifier.kind, PlatformIdentifier.value)
            .where(PlatformIdentifier.case_id == case)):
        reg.identifiers.setdefault(kind, {})[value] = ident
    reg.existing_files = set(conn.scalars(select(PlatformFile.identifier_id).where(
        PlatformFile.case_id == case)))
    return reg


def import_platform(ws: Workspace, case: int, dump: Path, mapping: Mapping,
                    skip_bad_rows: bool = False,
                    progress: Callable[[int], None] | None = None) -> ImportOutcome:
    """Import ``dump`` into ``case`` as ``mapping`` says; raises PlatformImportError (one
    line, nothing kept) on a fault, or on a bad row unless ``skip_bad_rows``."""
    started = time.time()
    tables = [t.name for t in mapping.tables]
    rows: Counter[str] = Counter()
    skipped: list[str] = []
    skipped_count = 0
    with ws.engine.begin() as conn, big_cache(conn):
        transaction_lock(conn, _IMPORT_LOCK)
        _bulk_mode(conn, True)
        import_id = int(conn.scalar(insert(PlatformImport).values(
            case_id=case, source=str(dump), platform=mapping.platform, mapping=mapping.raw,
            tables=tables, counts={}, skipped=[], started_at=started, finished_at=started)
            .returning(PlatformImport.id)) or 0)
        reg = _registry(conn, case, import_id)
        writer = _Writer(conn, case, import_id, progress)
        convert = _Converter(mapping, reg)
        index = {name: i for i, name in enumerate(tables)}
        try:
            unit = "row" if dump.is_file() and detect_format(dump) == "sqlite" else "line"
            for table, source, item in iter_dump(dump, mapping):
                if isinstance(item, BadRow):
                    reason = item.reason
                else:
                    try:
                        out = convert.convert(table, index[table.name], item.line, item.byte,
                                              item.values)
                    except ValueError as exc:
                        reason = str(exc)
                    else:
                        rows[table.name] += 1
                        if out is not None:
                            kind, record = out
                            writer.add(kind, (*record, index[table.name], item.line,
                                              item.byte))
                        continue
                message = f"{where(source, item.line, item.byte, unit)}: {reason}"
                if not skip_bad_rows:
                    raise PlatformImportError(message + " (nothing was imported; "
                                              "--skip-bad-rows counts and skips such rows)")
                skipped_count += 1
                if len(skipped) < KEEP_SKIPPED:
                    skipped.append(message)
            stubs = _finish(conn, reg, writer)
            _bulk_mode(conn, False)
        except DumpError as exc:
            raise PlatformImportError(f"{exc} (nothing was imported)") from None
        counts = {"rows": dict(rows), "skipped": skipped_count, "stubs": stubs,
                  "unusable": dict(convert.unusable)}
        conn.execute(PlatformImport.__table__.update().where(  # type: ignore[attr-defined]
            PlatformImport.id == import_id).values(
            counts=counts, skipped=skipped, finished_at=time.time()))
    return ImportOutcome(import_id, dict(rows), skipped_count, skipped, stubs,
                         dict(convert.unusable), time.time() - started)


# Secondary indexes of the record tables: dropped for the import and built again at its end
# (inside the same transaction). Inserted one by one in random account order they made SQLite
# rewrite index pages through its cache ~40 times over (7.7 GB written for a 200 MB WAL).
BULK_INDEXES = {f"ix_platform_{t}_account": f"platform_{t}" for t in (
    "logins", "payments", "credits", "content", "messages")}


def _bulk_mode(conn: Connection, on: bool) -> None:
    for index, table in BULK_INDEXES.items():
        if on:
            conn.exec_driver_sql(f"DROP INDEX IF EXISTS {index}")
        else:
            conn.exec_driver_sql(f"CREATE INDEX {index} ON {table} (account_id)")


def _finish(conn: Connection, reg: _Registry, writer: _Writer) -> int:
    stubs = 0
    for ext, account in reg.accounts.items():
        if ext not in reg.defined:
            table, line, byte = reg.first_reference[ext]
            writer.add("accounts", (account, ext, None, None, None, None, None, None, None,
                                    True, table, line, byte))
            stubs += 1
    for kind in TABLES:
        writer.flush(kind)
    # in index order: appended to the unique index's B-tree instead of scattered through it
    reg.new_identifiers.sort(key=lambda row: (row[2], row[3]))
    for lo in range(0, len(reg.new_identifiers), BATCH):
        writer.identifiers(reg.new_identifiers[lo:lo + BATCH])
    reg.new_identifiers.clear()
    new = [(ident, facts) for ident, facts in reg.files.items()
           if ident not in reg.existing_files]
    if new:
        conn.execute(insert(PlatformFile), [
            {"case_id": reg.case, "identifier_id": ident, "sha256": f[0], "md5": f[1],
             "sha1": f[2], "name": f[3], "size": f[4], "status": "unlinked"}
            for ident, f in new])
    for ident, facts in reg.files.items():
        if ident in reg.existing_files:
            values = {k: v for k, v in zip(("sha256", "md5", "sha1", "name", "size"), facts,
                                           strict=True) if v is not None}
            if values:
                conn.execute(PlatformFile.__table__.update().where(  # type: ignore[attr-defined]
                    PlatformFile.case_id == reg.case,
                    PlatformFile.identifier_id == ident).values(**values))
    return stubs
