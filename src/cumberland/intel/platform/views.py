"""What the web pages show of a case's platform records: countries, ranked persons, one
person with accounts, identifiers, links and their evidence. Reads only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text

from cumberland.intel.platform.packages import UNATTRIBUTED
from cumberland.intel.platform.records import QUERIES, iter_records, table_names
from cumberland.store.platform_models import PlatformImport, PlatformPerson
from cumberland.store.workspace import Workspace

PAGE = 100
EVENTS = 200


def countries(ws: Workspace, case: int) -> list[dict[str, Any]]:
    """Per country (``unattributed`` last): persons by role and by confidence."""
    with ws.engine.connect() as conn:
        rows = conn.execute(select(PlatformPerson.country, PlatformPerson.role,
                                   PlatformPerson.confidence, func.count())
                            .where(PlatformPerson.case_id == case)
                            .group_by(PlatformPerson.country, PlatformPerson.role,
                                      PlatformPerson.confidence)).all()
    out: dict[str, dict[str, Any]] = {}
    for country, role, confidence, n in rows:
        entry = out.setdefault(country or UNATTRIBUTED, {
            "country": country or UNATTRIBUTED, "persons": 0, "roles": {}, "confidence": {}})
        entry["persons"] += n
        entry["roles"][role] = entry["roles"].get(role, 0) + n
        entry["confidence"][confidence] = entry["confidence"].get(confidence, 0) + n
    return sorted(out.values(), key=lambda e: (e["country"] == UNATTRIBUTED, -e["persons"],
                                               e["country"]))


def imports(ws: Workspace, case: int) -> list[PlatformImport]:
    with ws.session() as session:
        return list(session.scalars(select(PlatformImport).where(
            PlatformImport.case_id == case).order_by(PlatformImport.id)))


@dataclass(frozen=True, slots=True)
class PersonPage:
    persons: list[PlatformPerson]
    page: int
    more: bool


def persons(ws: Workspace, case: int, country: str | None = None, page: int = 0,
            role: str | None = None) -> PersonPage:
    """Persons ranked as a referral ranks them (role, then uploads of unknown material)."""
    query = select(PlatformPerson).where(PlatformPerson.case_id == case)
    if country == UNATTRIBUTED:
        query = query.where(PlatformPerson.country.is_(None))
    elif country:
        query = query.where(PlatformPerson.country == country)
    if role:
        query = query.where(PlatformPerson.role == role)
    query = query.order_by(PlatformPerson.rank, PlatformPerson.id).offset(page * PAGE) \
        .limit(PAGE + 1)
    with ws.session() as session:
        rows = list(session.scalars(query))
    return PersonPage(rows[:PAGE], page, len(rows) > PAGE)


def person(ws: Workspace, case: int, person_id: int) -> dict[str, Any] | None:
    """One person of the case with its records, or None (also for another case's person)."""
    with ws.session() as session:
        found = session.scalar(select(PlatformPerson).where(
            PlatformPerson.case_id == case, PlatformPerson.id == person_id))
    if found is None:
        return None
    with ws.engine.connect() as conn:
        accounts = [int(a) for a in conn.scalars(text(
            "SELECT account_id FROM platform_person_accounts WHERE case_id = :case AND "
            "person_id = :person ORDER BY account_id"), {"case": case, "person": person_id})]
        sources = table_names(conn, case)
        ids = ", ".join(str(a) for a in accounts) or "NULL"  # integers read from the store
        records: dict[str, list[dict[str, Any]]] = {}
        for kind, column in (("accounts", "a.id"), ("logins", "l.account_id"),
                             ("payments", "p.account_id"), ("content", "c.account_id"),
                             ("messages", "account_id")):
            clause = f" AND {column} IN ({ids})"
            if kind != "accounts":
                clause += f" ORDER BY 3 LIMIT {EVENTS}"  # column 3 is the time
            rows = []
            for values in iter_records(conn, kind, case, clause):
                row = dict(zip(QUERIES[kind][1], values, strict=True))
                row["source"] = sources.get((row["import_id"], row["src_table"]), "?")
                rows.append(row)
            records[kind] = rows
        links = [dict(r._mapping) for r in conn.execute(text(
            "SELECT l.account_a, l.account_b, l.strength, l.merged, l.status, l.evidence, "
            "pa.person_id AS person_a, pb.person_id AS person_b FROM platform_links l "
            "JOIN platform_person_accounts pa ON pa.account_id = l.account_a "
            "JOIN platform_person_accounts pb ON pb.account_id = l.account_b "
            "WHERE l.case_id = :case AND (pa.person_id = :person OR pb.person_id = :person) "
            "ORDER BY l.strength DESC"), {"case": case, "person": person_id})]
        reviews = {(int(r.account_a), int(r.account_b)): r for r in conn.execute(text(
            "SELECT account_a, account_b, decision, reviewer, note, decided_at FROM "
            "platform_reviews WHERE case_id = :case"), {"case": case})}
    for link in links:
        if isinstance(link["evidence"], str):
            link["evidence"] = json.loads(link["evidence"])
        link["review"] = reviews.get((int(link["account_a"]), int(link["account_b"])))
    return {"person": found, "accounts": accounts, "records": records, "links": links}
