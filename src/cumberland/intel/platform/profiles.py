"""Each person's role, activity counts and country, from the records of its accounts.

Roles rank who a referral lists first: ``uploader-unknown`` (uploaded material no hash set
knows), ``uploader``, ``payer``, ``viewer`` (viewed, downloaded or categorised), ``member``.
Everything here is recomputed from stored facts (identifier countries, message languages,
payment exchanges, the mappings' processor countries), so a reviewer's confirm or cut
rebuilds the persons without the GeoIP or transaction files.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import Connection, delete, select, text

from cumberland.intel.platform.attribution import attribute
from cumberland.store.platform_models import PlatformImport, PlatformPerson
from cumberland.store.sql import param_marker

ROLES = ("uploader-unknown", "uploader", "payer", "viewer", "member")
BATCH = 20_000


def _processor_countries(conn: Connection, case: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in conn.scalars(select(PlatformImport.mapping).where(
            PlatformImport.case_id == case)):
        for name, cc in ((raw or {}).get("countries", {}).get("processors", {})).items():
            out[str(name).strip().lower()] = str(cc).upper()
    return out


def _exchange_countries(conn: Connection, case: int) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in conn.scalars(select(PlatformImport.mapping).where(
            PlatformImport.case_id == case)):
        for name, cc in ((raw or {}).get("countries", {}).get("exchanges", {})).items():
            out[str(name).strip().lower()] = str(cc).upper()
    return out


def _per_account(conn: Connection, case: int) -> tuple[dict[int, dict[str, Any]],
                                                      dict[int, dict[str, Counter[str]]]]:
    stats: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    signals: dict[int, dict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
    q = {"case": case}
    for account, action, status, n in conn.execute(text(
            "SELECT c.account_id, c.action, f.status, count(*) FROM platform_content c "
            "LEFT JOIN platform_files f ON f.case_id = c.case_id AND f.identifier_id = "
            "c.file_id WHERE c.case_id = :case GROUP BY c.account_id, c.action, f.status"), q):
        s = stats[account]
        s[action] += n
        if action == "upload" and status == "unknown":
            s["upload_unknown"] += n
    for account, currency, n, total in conn.execute(text(
            "SELECT account_id, currency, count(*), sum(amount) FROM platform_payments "
            "WHERE case_id = :case GROUP BY account_id, currency"), q):
        s = stats[account]
        s["payments"] += n
        paid = s.setdefault("paid", {})
        if total is not None:
            paid[currency or "?"] = round(paid.get(currency or "?", 0.0) + float(total), 2)
    for account, n, first, last in conn.execute(text(
            "SELECT account_id, count(*), min(at), max(at) FROM platform_logins "
            "WHERE case_id = :case GROUP BY account_id"), q):
        s = stats[account]
        s["logins"] += n
        s["first"], s["last"] = first, last
    for account, country, n in conn.execute(text(
            "SELECT l.account_id, i.country, count(*) FROM platform_logins l JOIN "
            "platform_identifiers i ON i.id = l.ip_id WHERE l.case_id = :case AND i.country "
            "IS NOT NULL GROUP BY l.account_id, i.country"), q):
        signals[account]["ip"][country] += n
    for account, kind, country in conn.execute(text(
            "SELECT a.id, i.kind, i.country FROM platform_accounts a JOIN platform_identifiers "
            "i ON i.id IN (a.email_id, a.phone_id, a.reg_ip_id) WHERE a.case_id = :case AND "
            "i.country IS NOT NULL"), q):
        signals[account][kind][country] += 1
    processors = _processor_countries(conn, case)
    exchanges = _exchange_countries(conn, case)
    for account, processor, exchange, n in conn.execute(text(
            "SELECT account_id, processor, exchange, count(*) FROM platform_payments "
            "WHERE case_id = :case AND (processor IS NOT NULL OR exchange IS NOT NULL) "
            "GROUP BY account_id, processor, exchange"), q):
        if processor and processor.strip().lower() in processors:
            signals[account]["processor"][processors[processor.strip().lower()]] += n
        if exchange and exchange.strip().lower() in exchanges:
            signals[account]["exchange"][exchanges[exchange.strip().lower()]] += n
    for account, language, n in conn.execute(text(
            "SELECT account_id, language, count(*) FROM platform_messages WHERE case_id = "
            ":case AND language IS NOT NULL GROUP BY account_id, language"), q):
        signals[account]["language"][language] += n
    return stats, signals


def _role(s: dict[str, Any]) -> str:
    if s.get("upload_unknown"):
        return "uploader-unknown"
    if s.get("upload"):
        return "uploader"
    if s.get("payments"):
        return "payer"
    if s.get("view") or s.get("download") or s.get("categorise"):
        return "viewer"
    return "member"


def _merge(into: dict[str, Any], part: dict[str, Any]) -> None:
    for key, value in part.items():
        if key == "paid":
            paid = into.setdefault("paid", {})
            for cur, amount in value.items():
                paid[cur] = round(paid.get(cur, 0.0) + amount, 2)
        elif key == "first":
            if value is not None and (into.get("first") is None or value < into["first"]):
                into["first"] = value
        elif key == "last":
            if value is not None and (into.get("last") is None or value > into["last"]):
                into["last"] = value
        else:
            into[key] = into.get(key, 0) + value


def profile_persons(conn: Connection, case: int) -> dict[str, int]:
    """Rewrite the case's person rows (ids from ``platform_person_accounts``); returns the
    number of persons per role."""
    stats, signals = _per_account(conn, case)
    members: dict[int, list[int]] = defaultdict(list)
    for account, person in conn.execute(text(
            "SELECT account_id, person_id FROM platform_person_accounts WHERE case_id = :case "
            "ORDER BY account_id"), {"case": case}):
        members[int(person)].append(int(account))
    names = {int(a): (n or u or e) for a, n, u, e in conn.execute(text(
        "SELECT id, name, username, ext_id FROM platform_accounts WHERE case_id = :case"),
        {"case": case})}
    conn.execute(delete(PlatformPerson).where(PlatformPerson.case_id == case))
    marker = param_marker(conn)
    sql = ("INSERT INTO platform_persons (id, case_id, label, role, rank, country, confidence, "
           f"attribution, stats) VALUES ({', '.join([marker] * 9)})")
    roles: Counter[str] = Counter()
    rows = []
    for person, accounts in members.items():
        total: dict[str, Any] = {"accounts": len(accounts)}
        kinds: dict[str, Counter[str]] = defaultdict(Counter)
        for account in accounts:
            if account in stats:
                _merge(total, stats[account])
            for kind, counts in signals.get(account, {}).items():
                kinds[kind].update(counts)
        role = _role(total)
        roles[role] += 1
        found = attribute(kinds)
        rows.append((person, case, str(names.get(accounts[0]) or f"person {person}")[:200],
                     role, ROLES.index(role), found.country, found.confidence,
                     json.dumps(found.as_json()), json.dumps(total)))
        if len(rows) >= BATCH:
            conn.exec_driver_sql(sql, rows)
            rows.clear()
    if rows:
        conn.exec_driver_sql(sql, rows)
    return {r: roles.get(r, 0) for r in ROLES}
