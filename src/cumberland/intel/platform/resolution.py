"""Accounts into persons, explainably: every link keeps what the two accounts share.

Evidence, strongest first: one normalised e-mail address, one phone number, one card or
processor reference, one crypto address, one wallet (the common-input heuristic over the
investigator's transaction export), one device fingerprint, one IP address used by both
within a time window. Each piece has a strength; a pair's strength is the noisy-OR of its
pieces, and pairs at or above ``merge_at`` are joined. One IP alone never reaches it (a
household, a café, a mobile carrier); three independent coincidences, or an IP with a device,
do.

An identifier shared by more accounts than its kind's ``hub`` limit (a VPN exit, a CGNAT
address, an exchange's deposit address, a default browser fingerprint) says nothing about
who is who: it links nobody, and is counted. Strangers behind one VPN exit stay apart.

A reviewer's ``confirmed`` joins a pair whatever its strength; ``cut`` separates it whatever
the evidence (``platform_reviews``, audited). Both survive re-runs.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, delete, insert, select, text

from cumberland.intel.platform.bulk import big_cache
from cumberland.intel.platform.engines import grouped_uses
from cumberland.intel.platform.profiles import profile_persons
from cumberland.intel.platform.transactions import Wallets
from cumberland.store.platform_models import (
    PlatformIdentifier,
    PlatformLink,
    PlatformPersonAccount,
    PlatformReview,
)
from cumberland.store.sql import in_chunks, param_marker
from cumberland.store.workspace import Workspace, transaction_lock

KINDS = ("email", "phone", "payment", "crypto", "wallet", "fingerprint", "ip")
_RESOLVE_LOCK = 0x52534C56
BATCH = 20_000


@dataclass(frozen=True, slots=True)
class Rules:
    window_hours: float = 24.0
    merge_at: float = 0.8
    strength: dict[str, float] = field(default_factory=lambda: {
        "email": 0.95, "phone": 0.9, "payment": 0.9, "crypto": 0.9, "wallet": 0.85,
        "fingerprint": 0.7, "ip": 0.5})
    hub: dict[str, int] = field(default_factory=lambda: {
        "email": 20, "phone": 5, "payment": 5, "crypto": 5, "wallet": 10, "fingerprint": 4,
        "ip": 5})


@dataclass(slots=True)
class Resolution:
    accounts: int = 0
    persons: int = 0
    links: int = 0
    merged: int = 0
    hubs: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


Pair = tuple[int, int]


def _strength(pieces: Iterable[dict[str, Any]]) -> float:
    missing = 1.0
    for piece in pieces:
        missing *= 1.0 - float(piece["strength"])
    return round(1.0 - missing, 4)


def _iso(ts: float | None) -> str:
    if ts is None:
        return "?"
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts))


class _Evidence:
    def __init__(self) -> None:
        self.pairs: dict[Pair, list[dict[str, Any]]] = defaultdict(list)
        self.hubs: dict[str, int] = defaultdict(int)

    def add(self, a: int, b: int, piece: dict[str, Any]) -> None:
        self.pairs[(a, b) if a < b else (b, a)].append(piece)


def _id_values(conn: Connection, keys: list[int]) -> dict[int, str]:
    query = select(PlatformIdentifier.id, PlatformIdentifier.value)
    return {int(i): str(v) for i, v in in_chunks(conn, query, PlatformIdentifier.id, keys)}


def _shared(conn: Connection, case: int, kind: str, rules: Rules, found: _Evidence,
            engine: str, services: frozenset[str] = frozenset()) -> None:
    """Links from identifiers of ``kind`` shared by 2..hub accounts; ``services``: addresses
    of labelled wallets (an exchange's), which say nothing about who paid."""
    rows = grouped_uses(conn, kind, case, engine)
    groups: dict[int, list[tuple[int, float | None, float | None, int]]] = defaultdict(list)
    hubs: set[int] = set()
    for ident, account, first, last, n, k in rows:
        if k > rules.hub[kind]:
            hubs.add(int(ident))
            continue
        groups[int(ident)].append((int(account), first, last, int(n)))
    found.hubs[kind] += len(hubs)
    live = {i: g for i, g in groups.items() if len(g) >= 2}
    values = _id_values(conn, list(live))
    for ident in [i for i in live if values.get(i) in services]:
        del live[ident]
        found.hubs[kind] += 1
    window = rules.window_hours * 3600.0
    for ident, uses in live.items():
        k = len(uses)
        strength = rules.strength[kind] if kind != "ip" or k == 2 else rules.strength[kind] * 0.7
        for i, (a, fa, la, na) in enumerate(uses):
            for b, fb, lb, nb in uses[i + 1:]:
                if kind == "ip":
                    if fa is None or la is None or fb is None or lb is None or \
                            fa - window > lb or fb - window > la:
                        continue
                    detail = (f"both used it within {rules.window_hours:g} h: account {a} "
                              f"{na}x {_iso(fa)}..{_iso(la)}, account {b} {nb}x "
                              f"{_iso(fb)}..{_iso(lb)}; {k} accounts used it")
                else:
                    detail = f"both used it ({na}x, {nb}x); {k} accounts used it"
                found.add(a, b, {"kind": kind, "value": values.get(ident, str(ident)),
                                 "detail": detail, "strength": strength})


def _wallet_links(conn: Connection, case: int, wallets: Wallets, rules: Rules,
                  found: _Evidence) -> None:
    rows = conn.execute(text(
        "SELECT p.account_id, p.txid, i.value FROM platform_payments p LEFT JOIN "
        "platform_identifiers i ON i.id = p.crypto_id WHERE p.case_id = :case AND "
        "(p.txid IS NOT NULL OR p.crypto_id IS NOT NULL)"), {"case": case}).all()
    by_wallet: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for account, txid, address in rows:
        for spent in wallets.inputs.get(txid or "", []):
            if spent in wallets.wallet_of:
                by_wallet[wallets.wallet_of[spent]][int(account)].add(
                    f"tx {txid} spent {spent}")
        if address and address in wallets.wallet_of:
            by_wallet[wallets.wallet_of[address]][int(account)].add(f"paid from {address}")
    for wallet, accounts in by_wallet.items():
        if len(accounts) < 2:
            continue
        if wallet in wallets.labels or len(accounts) > rules.hub["wallet"]:
            found.hubs["wallet"] += 1
            continue
        members = sorted(accounts)
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                detail = (f"common-input wallet: account {a}: {'; '.join(sorted(accounts[a]))}"
                          f" | account {b}: {'; '.join(sorted(accounts[b]))}")
                found.add(a, b, {"kind": "wallet", "value": f"wallet {wallet}",
                                 "detail": detail[:2000], "strength": rules.strength["wallet"]})


class _Sets:
    def __init__(self, items: Iterable[int]) -> None:
        self.parent = {i: i for i in items}

    def find(self, item: int) -> int:
        parent = self.parent
        root = item
        while parent[root] != root:
            root = parent[root]
        while parent[item] != root:
            parent[item], item = root, parent[item]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def resolve(ws: Workspace, case: int, rules: Rules | None = None,
            wallets: Wallets | None = None, engine: str = "store") -> Resolution:
    """Recompute the case's links and persons from its records and reviews."""
    rules = rules or Rules()
    out = Resolution()
    found = _Evidence()
    services = frozenset(a for a, w in wallets.wallet_of.items() if w in wallets.labels) \
        if wallets else frozenset()
    with ws.engine.connect() as conn, big_cache(conn):
        for kind in KINDS:
            started = time.perf_counter()
            if kind == "wallet":
                if wallets is not None:
                    _wallet_links(conn, case, wallets, rules, found)
            else:
                _shared(conn, case, kind, rules, found, engine, services)
            out.seconds[kind] = round(time.perf_counter() - started, 2)
        reviews = {(int(r.account_a), int(r.account_b)): r for r in conn.execute(
            select(PlatformReview).where(PlatformReview.case_id == case))}
    started = time.perf_counter()
    for pair, review in reviews.items():
        if pair not in found.pairs:
            found.pairs[pair] = []
        if review.decision == "confirmed":
            found.pairs[pair].append({"kind": "review", "value": review.reviewer,
                                      "detail": review.note or "confirmed by a reviewer",
                                      "strength": 1.0})
    with ws.engine.begin() as conn, big_cache(conn):
        transaction_lock(conn, _RESOLVE_LOCK)
        out.links, out.merged = _write_links(conn, case, found, reviews, rules)
        out.accounts, out.persons = write_persons(conn, case)
    out.hubs = dict(found.hubs)
    out.seconds["write"] = round(time.perf_counter() - started, 2)
    return out


def _write_links(conn: Connection, case: int, found: _Evidence, reviews: dict[Pair, Any],
                 rules: Rules) -> tuple[int, int]:
    conn.execute(delete(PlatformLink).where(PlatformLink.case_id == case))
    marker = param_marker(conn)
    rows = []
    merged = 0
    for (a, b), pieces in found.pairs.items():
        strength = _strength(pieces)
        review = reviews.get((a, b))
        status = review.decision if review is not None else "auto"
        joined = status == "confirmed" or (status != "cut" and strength >= rules.merge_at)
        merged += joined
        rows.append((case, a, b, strength, joined, status, _json(pieces)))
    sql = (f"INSERT INTO platform_links (case_id, account_a, account_b, strength, merged, "
           f"status, evidence) VALUES ({', '.join([marker] * 7)})")
    for lo in range(0, len(rows), BATCH):
        conn.exec_driver_sql(sql, rows[lo:lo + BATCH])
    return len(rows), merged


def _json(pieces: list[dict[str, Any]]) -> str:
    import json

    return json.dumps(sorted(pieces, key=lambda p: -float(p["strength"])), ensure_ascii=False)


def write_persons(conn: Connection, case: int) -> tuple[int, int]:
    """Persons as the connected components of the case's joined links (every account is in
    exactly one), profiled; returns (accounts, persons)."""
    accounts = [int(a) for a in conn.scalars(text(
        "SELECT id FROM platform_accounts WHERE case_id = :case ORDER BY id"), {"case": case})]
    sets = _Sets(accounts)
    for a, b in conn.execute(select(PlatformLink.account_a, PlatformLink.account_b).where(
            PlatformLink.case_id == case, PlatformLink.merged.is_(True))):
        if a in sets.parent and b in sets.parent:
            sets.union(int(a), int(b))
    conn.execute(delete(PlatformPersonAccount).where(PlatformPersonAccount.case_id == case))
    roots = sorted({sets.find(a) for a in accounts})
    first_id = int(conn.scalar(text("SELECT coalesce(max(id), 0) FROM platform_persons"))
                   or 0) + 1
    person_of = {root: first_id + i for i, root in enumerate(roots)}
    marker = param_marker(conn)
    members = [(a, person_of[sets.find(a)], case) for a in accounts]
    for lo in range(0, len(members), BATCH):
        conn.exec_driver_sql(
            "INSERT INTO platform_person_accounts (account_id, person_id, case_id) VALUES "
            f"({marker}, {marker}, {marker})", members[lo:lo + BATCH])
    profile_persons(conn, case)
    return len(accounts), len(roots)


def review_link(ws: Workspace, case: int, account_a: int, account_b: int, decision: str,
                reviewer: str, note: str | None = None) -> tuple[int, int]:
    """Record a reviewer's ``confirmed`` or ``cut`` for a pair, apply it to the link and
    rebuild the persons (the caller writes the audit entry). Returns (accounts, persons)."""
    if decision not in ("confirmed", "cut"):
        raise ValueError("decision must be confirmed or cut")
    a, b = sorted((int(account_a), int(account_b)))
    if a == b:
        raise ValueError("a link joins two different accounts")
    with ws.engine.begin() as conn:
        known = conn.execute(text(
            "SELECT count(*) FROM platform_accounts WHERE case_id = :case AND id IN (:a, :b)"),
            {"case": case, "a": a, "b": b}).scalar()
        if known != 2:
            raise LookupError(f"accounts {a} and {b} are not both in this case")
        conn.execute(delete(PlatformReview).where(
            PlatformReview.case_id == case, PlatformReview.account_a == a,
            PlatformReview.account_b == b))
        conn.execute(insert(PlatformReview).values(
            case_id=case, account_a=a, account_b=b, decision=decision, reviewer=reviewer,
            note=note, decided_at=time.time()))
        link = conn.execute(select(PlatformLink).where(
            PlatformLink.case_id == case, PlatformLink.account_a == a,
            PlatformLink.account_b == b)).first()
        piece = {"kind": "review", "value": reviewer,
                 "detail": note or "confirmed by a reviewer", "strength": 1.0}
        if link is None:
            conn.execute(insert(PlatformLink).values(
                case_id=case, account_a=a, account_b=b, strength=1.0 if decision ==
                "confirmed" else 0.0, merged=decision == "confirmed", status=decision,
                evidence=[piece] if decision == "confirmed" else []))
        else:
            evidence = [p for p in link.evidence if p.get("kind") != "review"]
            if decision == "confirmed":
                evidence.append(piece)
            conn.execute(PlatformLink.__table__.update().where(  # type: ignore[attr-defined]
                PlatformLink.id == link.id).values(
                status=decision, merged=decision == "confirmed", evidence=evidence))
        return write_persons(conn, case)
