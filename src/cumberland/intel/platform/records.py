"""The records of a case's platform tables, readable one table at a time with identifier
values and the place in the dump each row came from. Packages, the web pages and the
CLI all read records through here."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, text

# name -> (SQL of its rows for a case, column names). Every row starts with account_id.
QUERIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "accounts": (
        "SELECT a.id, a.ext_id, a.username, a.name, a.email, e.value, p.value, "
        "a.registered_at, r.value, a.stub, a.import_id, a.src_table, a.src_line, a.src_byte "
        "FROM platform_accounts a LEFT JOIN platform_identifiers e ON e.id = a.email_id "
        "LEFT JOIN platform_identifiers p ON p.id = a.phone_id LEFT JOIN "
        "platform_identifiers r ON r.id = a.reg_ip_id WHERE a.case_id = :case",
        ("account_id", "platform_id", "username", "name", "email", "email_normalised",
         "phone", "registered_at", "registration_ip", "stub", "import_id", "src_table",
         "src_line", "src_byte")),
    "logins": (
        "SELECT l.account_id, l.id, l.at, i.value, i.country, f.value, l.user_agent, "
        "l.import_id, l.src_table, l.src_line, l.src_byte FROM platform_logins l "
        "LEFT JOIN platform_identifiers i ON i.id = l.ip_id LEFT JOIN platform_identifiers f "
        "ON f.id = l.fingerprint_id WHERE l.case_id = :case",
        ("account_id", "login_id", "at", "ip", "ip_country", "fingerprint", "user_agent",
         "import_id", "src_table", "src_line", "src_byte")),
    "payments": (
        "SELECT p.account_id, p.id, p.at, p.method, p.amount, p.currency, p.processor, "
        "r.value, c.value, p.txid, p.payer_name, p.exchange, p.import_id, p.src_table, "
        "p.src_line, p.src_byte FROM platform_payments p LEFT JOIN platform_identifiers r "
        "ON r.id = p.reference_id LEFT JOIN platform_identifiers c ON c.id = p.crypto_id "
        "WHERE p.case_id = :case",
        ("account_id", "payment_id", "at", "method", "amount", "currency", "processor",
         "reference", "crypto_address", "txid", "payer_name", "exchange", "import_id",
         "src_table", "src_line", "src_byte")),
    "credits": (
        "SELECT account_id, id, at, amount, reason, import_id, src_table, src_line, src_byte "
        "FROM platform_credits WHERE case_id = :case",
        ("account_id", "credit_id", "at", "amount", "reason", "import_id", "src_table",
         "src_line", "src_byte")),
    "content": (
        "SELECT c.account_id, c.id, c.at, c.action, i.value, f.status, f.media_sha256, "
        "c.label, c.import_id, c.src_table, c.src_line, c.src_byte FROM platform_content c "
        "LEFT JOIN platform_identifiers i ON i.id = c.file_id LEFT JOIN platform_files f ON "
        "f.case_id = c.case_id AND f.identifier_id = c.file_id WHERE c.case_id = :case",
        ("account_id", "content_id", "at", "action", "file", "file_status", "media_sha256",
         "label", "import_id", "src_table", "src_line", "src_byte")),
    "messages": (
        "SELECT account_id, id, at, recipient, language, import_id, src_table, src_line, "
        "src_byte FROM platform_messages WHERE case_id = :case",
        ("account_id", "message_id", "at", "recipient", "language", "import_id", "src_table",
         "src_line", "src_byte")),
}
"""Message bodies stay in the workspace: packages and pages carry who wrote when, in what
language, to whom; the text itself is read in the workspace on purpose."""

FETCH = 50_000


def table_names(conn: Connection, case: int) -> dict[tuple[int, int], str]:
    """(import id, src_table) -> the table's name in the mapping."""
    out = {}
    for import_id, tables in conn.execute(text(
            "SELECT id, tables FROM platform_imports WHERE case_id = :case"), {"case": case}):
        names = tables if isinstance(tables, list) else json.loads(tables)
        for index, name in enumerate(names):
            out[(int(import_id), index)] = str(name)
    return out


def iter_records(conn: Connection, kind: str, case: int, where: str = "",
                 params: dict[str, Any] | None = None) -> Iterator[tuple[Any, ...]]:
    sql, _ = QUERIES[kind]
    result = conn.execute(text(sql + where), {"case": case, **(params or {})})
    while batch := result.fetchmany(FETCH):
        yield from (tuple(r) for r in batch)
