"""The analysis of an imported platform, in order: media links, IP countries, message
languages, exchanges, entity resolution, person profiles."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update

from cumberland.intel.platform.geo import locate_ips
from cumberland.intel.platform.language import detect
from cumberland.intel.platform.media import link_media
from cumberland.intel.platform.resolution import Resolution, Rules, resolve
from cumberland.intel.platform.transactions import Wallets, read_wallets
from cumberland.store.platform_models import PlatformMessage, PlatformPayment
from cumberland.store.workspace import Workspace

BATCH = 5_000


@dataclass(slots=True)
class Analysis:
    media: dict[str, int]
    geo: dict[str, int] | None
    languages: int
    exchanges: int
    resolution: Resolution
    seconds: dict[str, float] = field(default_factory=dict)


def detect_languages(ws: Workspace, case: int) -> int:
    """Language of every message not yet looked at; returns how many were recognised."""
    found = 0
    after = 0
    stmt = update(PlatformMessage).where(PlatformMessage.id == bindparam("b_id")).values(
        language=bindparam("b_lang"))
    while True:
        with ws.engine.begin() as conn:
            rows = conn.execute(select(PlatformMessage.id, PlatformMessage.body).where(
                PlatformMessage.case_id == case, PlatformMessage.language.is_(None),
                PlatformMessage.id > after).order_by(PlatformMessage.id).limit(BATCH)).all()
            if not rows:
                return found
            updates = [{"b_id": i, "b_lang": lang} for i, body in rows
                       if (lang := detect(body))]
            if updates:
                conn.execute(stmt, updates)
            found += len(updates)
            after = rows[-1].id


def mark_exchanges(ws: Workspace, case: int, wallets: Wallets) -> int:
    """Name the exchange on payments whose coins came from a labelled wallet."""
    if not wallets.labels:
        return 0
    with ws.engine.begin() as conn:
        rows = conn.execute(select(PlatformPayment.id, PlatformPayment.txid).where(
            PlatformPayment.case_id == case, PlatformPayment.txid.is_not(None))).all()
        updates: list[dict[str, Any]] = []
        for pid, txid in rows:
            labels = {label for address in wallets.inputs.get(txid or "", [])
                      for label in wallets.labels.get(wallets.wallet_of.get(address, -1), ())}
            if labels:
                updates.append({"b_id": pid, "b_ex": ", ".join(sorted(labels))})
        if updates:
            conn.execute(update(PlatformPayment).where(
                PlatformPayment.id == bindparam("b_id")).values(exchange=bindparam("b_ex")),
                updates)
    return len(updates)


def analyse(ws: Workspace, case: int, geoip: Path | None = None,
            transactions: Path | None = None, rules: Rules | None = None,
            engine: str = "store") -> Analysis:
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        seconds[name] = round(now - clock, 2)
        clock = now

    wallets = read_wallets(transactions) if transactions else None
    media = link_media(ws, case)
    lap("media")
    geo = locate_ips(ws, case, geoip) if geoip else None
    lap("geoip")
    languages = detect_languages(ws, case)
    lap("languages")
    exchanges = mark_exchanges(ws, case, wallets) if wallets else 0
    lap("exchanges")
    resolution = resolve(ws, case, rules, wallets, engine)
    lap("resolution")
    return Analysis(media, geo, languages, exchanges, resolution, seconds)
