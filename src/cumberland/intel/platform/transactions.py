"""Crypto wallets from an investigator's transaction export, by the common-input heuristic.

Addresses spent together as inputs of one transaction are taken to be controlled by one
wallet (Bitcoin-like chains need every input's key to sign). No blockchain node is needed:
the investigator supplies a CSV of transaction inputs and outputs (``txid, direction
(in|out), address[, amount][, label]``). Transactions that look like CoinJoins (three or
more outputs of one identical amount) are left out, since their inputs belong to different
people. A ``label`` names a known service (an exchange); a wallet holding a labelled
address is that service's, never one person's.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from cumberland.intel.platform.identifiers import normalise_crypto

COINJOIN_EQUAL_OUTPUTS = 3


class TransactionFileError(ValueError):
    """The transaction export cannot be read: one line, with file and line."""


@dataclass(slots=True)
class Wallets:
    """``wallet_of`` address -> wallet id; ``inputs`` txid -> its input addresses;
    ``labels`` wallet -> service names; ``coinjoins`` the transactions left out."""

    wallet_of: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, list[str]] = field(default_factory=dict)
    labels: dict[int, set[str]] = field(default_factory=dict)
    coinjoins: set[str] = field(default_factory=set)

    def members(self) -> dict[int, list[str]]:
        out: dict[int, list[str]] = defaultdict(list)
        for address, wallet in self.wallet_of.items():
            out[wallet].append(address)
        return out


def _find(parent: dict[str, str], key: str) -> str:
    root = key
    while parent[root] != root:
        root = parent[root]
    while parent[key] != root:
        parent[key], key = root, parent[key]
    return root


def read_wallets(path: Path) -> Wallets:
    inputs: dict[str, list[str]] = defaultdict(list)
    outputs: dict[str, list[str]] = defaultdict(list)
    labels: dict[str, str] = {}
    try:
        fh = path.open(encoding="utf-8", newline="")
    except OSError as exc:
        raise TransactionFileError(f"{path}: {exc.strerror}") from None
    with fh:
        reader = csv.DictReader(fh)
        missing = {"txid", "direction", "address"} - set(reader.fieldnames or [])
        if missing:
            raise TransactionFileError(f"{path}: line 1: missing column(s) "
                                       f"{', '.join(sorted(missing))}")
        try:
            for row in reader:
                txid = (row.get("txid") or "").strip().lower()
                direction = (row.get("direction") or "").strip().lower()
                address = normalise_crypto(row.get("address") or "")
                if not txid or not address or direction not in ("in", "out"):
                    raise TransactionFileError(
                        f"{path}: line {reader.line_num}: needs txid, direction in|out and "
                        "an address")
                (inputs if direction == "in" else outputs)[txid].append(address)
                if direction == "out":
                    outputs[txid][-1] = f"{address}\0{(row.get('amount') or '').strip()}"
                label = (row.get("label") or "").strip()
                if label:
                    labels[address] = label
        except (csv.Error, UnicodeDecodeError) as exc:
            raise TransactionFileError(f"{path}: line {reader.line_num}: {exc}") from None
    return cluster(dict(inputs), {t: [o.split("\0") for o in outs]
                                  for t, outs in outputs.items()}, labels)


def cluster(inputs: dict[str, list[str]], outputs: dict[str, list[list[str]]],
            labels: dict[str, str]) -> Wallets:
    parent: dict[str, str] = {}
    coinjoins = set()
    for txid, addresses in inputs.items():
        amounts = Counter(a for _, a in outputs.get(txid, []) if a)
        if amounts and max(amounts.values()) >= COINJOIN_EQUAL_OUTPUTS:
            coinjoins.add(txid)
            continue
        for address in addresses:
            parent.setdefault(address, address)
        first = _find(parent, addresses[0])
        for address in addresses[1:]:
            other = _find(parent, address)
            if other != first:
                parent[other] = first
    ids: dict[str, int] = {}
    wallet_of = {a: ids.setdefault(_find(parent, a), len(ids) + 1) for a in parent}
    by_wallet: dict[int, set[str]] = defaultdict(set)
    for address, label in labels.items():
        if address in wallet_of:
            by_wallet[wallet_of[address]].add(label)
    return Wallets(wallet_of, inputs, dict(by_wallet), coinjoins)
