"""A seeded, generated platform dump with planted truth, for bench/platform.py and its test.

Fake names; e-mail domains example.org/.com/.net; IPs from the documentation ranges
(2001:db8::/32 homes in 16 country blocks, 192.0.2.0/24 + 198.51.100.0/24 VPN exits, 203.0.113.0/24
mobile carrier NAT). At scale 1: 2 M users, 20 M logins, 5 M payments, 10 M content events.

Planted: persons with 2-4 accounts joined by one kind of evidence each (an e-mail address
with dots and +tags, one card, one reused crypto address, addresses spent together, one
device plus the home IP); VPN exits and carrier NAT addresses shared by thousands of
strangers; an exchange's hot wallet paying for strangers; payments under a mother's name
(from a pool of common names shared by strangers); default device fingerprints seen on many
accounts. ``truth`` holds each account's person.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

COUNTRIES = ["DE", "FR", "GB", "ES", "IT", "PL", "SE", "AT", "BE", "CZ", "DK", "PT", "IE", "FI",
             "NO", "CH"]
WEIGHTS = np.array([14, 12, 12, 10, 9, 8, 5, 5, 5, 4, 3, 4, 3, 2, 2, 2], dtype=float)
PRIMARY = ["email", "card", "crypto", "wallet", "device"]
MOTHERS = [f"{first} Example" for first in ("Maria", "Anna", "Sofia", "Elena", "Laura",
                                            "Julia", "Sara", "Eva", "Ines", "Marta")]
T0 = 1_672_531_200  # 2023-01-01
YEAR = 365 * 86400

MAPPING = """
platform = "bench-board"
[email.providers]
"example.com" = { dots = true, plus = true }
[countries.processors]
"PayDE" = "DE"
"PayFR" = "FR"
[countries.exchanges]
"ExampleExchange" = "DE"

[tables.files]
kind = "files"
source = "files.csv"
columns = { id = "id", sha256 = "sha256", md5 = "md5", name = "name", size = "size" }

[tables.users]
kind = "accounts"
source = "users.csv"
[tables.users.columns]
id = "id"
username = "login"
email = "mail"
name = "name"
registered_at = "created"
registration_ip = "reg_ip"

[tables.logins]
kind = "logins"
source = "logins.csv"
columns = { id = "id", account = "user_id", at = "ts", ip = "ip", fingerprint = "device" }

[tables.payments]
kind = "payments"
source = "payments.csv"
[tables.payments.columns]
id = "id"
account = "user_id"
at = "ts"
method = "method"
amount = "amount"
currency = "currency"
processor = "processor"
reference = "card"
crypto_address = "address"
txid = "txid"
payer_name = "payer"

[tables.content]
kind = "content"
source = "content.csv"
columns = { id = "id", account = "user_id", at = "ts", action = "action", file = "file_id" }
"""


@dataclass(slots=True)
class Generated:
    folder: Path
    mapping: Path
    transactions: Path
    truth: np.ndarray  # account index (0-based, = user id - 1) -> person
    files: list[str]  # sha256 hex of every platform file (for planting case media)
    rows: dict[str, int]


def generate(folder: Path, scale: float = 1.0, seed: int = 18) -> Generated:
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    users = int(2_000_000 * scale)
    # persons and their accounts
    sizes = rng.choice([1, 2, 3, 4], size=users, p=[0.7, 0.2, 0.08, 0.02])
    ends = np.cumsum(sizes)
    persons = int(np.searchsorted(ends, users) + 1)
    sizes = sizes[:persons]
    sizes[-1] -= int(ends[persons - 1] - users)
    person_of_slot = np.repeat(np.arange(persons), sizes)
    order = rng.permutation(users)  # account index of each slot: a person's accounts spread
    truth = np.empty(users, dtype=np.int64)
    truth[order] = person_of_slot
    rank = np.empty(users, dtype=np.int64)  # k-th account of its person
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank[order] = np.arange(users) - np.repeat(starts, sizes)
    size_of = sizes[truth]
    country = rng.choice(len(COUNTRIES), size=persons, p=WEIGHTS / WEIGHTS.sum())
    primary = rng.choice(len(PRIMARY), size=persons, p=[0.3, 0.3, 0.15, 0.1, 0.15])
    primary[sizes == 1] = -1
    acc = np.arange(users)
    p_acc = truth
    kind = primary[p_acc]
    # a home IPv6 per person inside its country's /36 (decimal digits are valid hex digits)
    nibble = pl.Series(np.array([f"{c:x}" for c in range(16)])[country])
    homes = pl.DataFrame({"c": nibble, "a": rng.integers(0, 1000, persons),
                          "b": rng.integers(0, 10000, persons),
                          "d": rng.integers(1, 10000, persons)}).select(
        pl.format("2001:db8:{}{}:{}::{}", pl.col("c"), pl.col("a").cast(pl.String).str.zfill(3),
                  pl.col("b"), pl.col("d"))).to_series()

    def home_ip(person: np.ndarray) -> pl.Series:
        return homes.gather(person)

    ids = pl.Series(acc + 1)
    domain = np.array(["example.org", "example.com", "example.net"])[acc % 3]
    mail = pl.DataFrame({"i": acc + 1, "p": p_acc, "r": rank, "d": domain, "k": kind})
    mail = mail.select(pl.when(pl.col("k") == 0).then(
        pl.when(pl.col("r") == 0).then(pl.format("p{}x@example.com", pl.col("p")))
        .otherwise(pl.format("p{}.x+acct{}@example.com", pl.col("p"), pl.col("r"))))
        .otherwise(pl.format("u{}@{}", pl.col("i"), pl.col("d")))).to_series()
    reg_ip = home_ip(p_acc)
    pl.DataFrame({"id": ids, "p": p_acc, "mail": mail, "reg_ip": reg_ip,
                  "created": T0 + rng.integers(0, YEAR, users)}).select(
        pl.col("id"), pl.format("user{}", pl.col("id")).alias("login"), pl.col("mail"),
        pl.format("Person {}", pl.col("p")).alias("name"), pl.col("created"),
        pl.col("reg_ip")).write_csv(folder / "users.csv")
    rows = {"users": users}

    # logins: home (60 %), VPN exit (25 %), carrier NAT (15 %)
    n = int(20_000_000 * scale)
    who = rng.integers(0, users, n)
    where = rng.choice(3, size=n, p=[0.6, 0.25, 0.15])
    vpn = rng.integers(0, 512, n)
    cgn = rng.integers(0, 256, n)
    ip = home_ip(truth[who])
    vpn_ip = pl.DataFrame({"v": vpn}).select(pl.when(pl.col("v") < 256).then(
            pl.format("192.0.2.{}", pl.col("v"))).otherwise(
            pl.format("198.51.100.{}", pl.col("v") - 256))).to_series()
    cgn_ip = pl.DataFrame({"v": cgn}).select(pl.format("203.0.113.{}", pl.col("v"))).to_series()
    ip = pl.DataFrame({"w": where, "h": ip, "v": vpn_ip, "c": cgn_ip}).select(
        pl.when(pl.col("w") == 0).then(pl.col("h")).when(pl.col("w") == 1).then(pl.col("v"))
        .otherwise(pl.col("c"))).to_series()
    common = rng.random(n) < 0.02
    device = pl.DataFrame({"a": who + 1, "p": truth[who], "k": kind[who], "c": common,
                           "x": rng.integers(0, 10, n)}).select(
        pl.when(pl.col("c")).then(pl.format("fp-common-{}", pl.col("x")))
        .when(pl.col("k") == 4).then(pl.format("fp-p{}", pl.col("p")))
        .otherwise(pl.format("fp-a{}", pl.col("a")))).to_series()
    pl.DataFrame({"id": np.arange(1, n + 1), "user_id": who + 1,
                  "ts": T0 + rng.integers(0, YEAR, n), "ip": ip, "device": device}
                 ).write_csv(folder / "logins.csv")
    rows["logins"] = n

    # payments: card 70 %, crypto 30 % (a tenth of it from an exchange's hot wallet)
    n = int(5_000_000 * scale)
    who = rng.integers(0, users, n)
    crypto = rng.random(n) < 0.3
    # every account of a person planted by card, crypto address or wallet pays that way once
    need = np.flatnonzero(np.isin(kind, [1, 2, 3]))[:n]
    who[:len(need)] = need
    crypto[:len(need)] = kind[need] >= 2
    exchange = crypto & (rng.random(n) < 0.1)
    exchange[:len(need)] = False
    mother = ~crypto & (rng.random(n) < 0.05)
    k = kind[who]
    p = truth[who]
    card = pl.DataFrame({"k": k, "p": p, "a": who + 1, "c": crypto}).select(
        pl.when(pl.col("c")).then(None).when(pl.col("k") == 1).then(
            pl.format("CARD-P{}", pl.col("p"))).otherwise(pl.format("CARD-A{}", pl.col("a")))
    ).to_series()
    hot = rng.integers(0, 20, n)
    address = pl.DataFrame({"k": k, "p": p, "a": who + 1, "r": rank[who], "c": crypto,
                            "e": exchange, "h": hot}).select(
        pl.when(~pl.col("c")).then(None)
        .when(pl.col("e")).then(pl.format("bc1qhotwallet{}", pl.col("h")))
        .when(pl.col("k") == 2).then(pl.format("bc1qperson{}", pl.col("p")))
        .when(pl.col("k") == 3).then(pl.format("bc1qwallet{}n{}", pl.col("p"), pl.col("r")))
        .otherwise(pl.format("bc1qaccount{}", pl.col("a")))).to_series()
    txid = pl.DataFrame({"i": np.arange(1, n + 1), "c": crypto}).select(
        pl.when(pl.col("c")).then(pl.format("tx{}", pl.col("i")))).to_series()
    names = np.array(MOTHERS)[rng.integers(0, len(MOTHERS), n)]
    payer = pl.DataFrame({"m": mother, "n": names, "p": p}).select(
        pl.when(pl.col("m")).then(pl.col("n")).otherwise(pl.format("Person {}", pl.col("p")))
    ).to_series()
    cc = country[p]
    processor = pl.DataFrame({"c": crypto, "cc": cc}).select(
        pl.when(pl.col("c")).then(None).when(pl.col("cc") == 0).then(pl.lit("PayDE"))
        .when(pl.col("cc") == 1).then(pl.lit("PayFR")).otherwise(pl.lit("PayEU"))).to_series()
    pl.DataFrame({"id": np.arange(1, n + 1), "user_id": who + 1,
                  "ts": T0 + rng.integers(0, YEAR, n),
                  "method": np.where(crypto, "btc", "card"),
                  "amount": np.round(rng.uniform(1, 50, n), 2),
                  "currency": np.where(crypto, "BTC", "EUR"), "processor": processor,
                  "card": card, "address": address, "txid": txid, "payer": payer}
                 ).write_csv(folder / "payments.csv")
    rows["payments"] = n
    # the investigator's transaction export: inputs of every crypto payment's transaction
    idx = np.flatnonzero(crypto)
    tx = pl.DataFrame({"i": idx + 1, "a": address.gather(idx), "k": k[idx], "p": p[idx],
                       "r": rank[who[idx]], "s": size_of[who[idx]], "e": exchange[idx],
                       "h": (hot[idx] + 1) % 20})
    first = tx.select(pl.format("tx{}", pl.col("i")).alias("txid"), pl.lit("in").alias(
        "direction"), pl.col("a").alias("address"), pl.lit("").alias("amount"),
        pl.when(pl.col("e")).then(pl.lit("ExampleExchange")).otherwise(pl.lit("")).alias(
            "label"))
    second = tx.filter(pl.col("e") | (pl.col("k") == 3)).select(
        pl.format("tx{}", pl.col("i")).alias("txid"), pl.lit("in").alias("direction"),
        pl.when(pl.col("e")).then(pl.format("bc1qhotwallet{}", pl.col("h"))).otherwise(
            pl.format("bc1qwallet{}n{}", pl.col("p"), (pl.col("r") + 1) % pl.col("s")))
        .alias("address"), pl.lit("").alias("amount"),
        pl.when(pl.col("e")).then(pl.lit("ExampleExchange")).otherwise(pl.lit("")).alias(
            "label"))
    out = tx.select(pl.format("tx{}", pl.col("i")).alias("txid"), pl.lit("out").alias(
        "direction"), pl.format("bc1qdeposit{}", pl.col("i")).alias("address"),
        pl.lit("0.001").alias("amount"), pl.lit("").alias("label"))
    transactions = folder.parent / f"{folder.name}-transactions.csv"
    pl.concat([first, second, out]).write_csv(transactions)

    # files and content: every file uploaded once (by 1 % of accounts), then viewed/downloaded
    nfiles = max(int(100_000 * scale), 50)
    files = [hashlib.sha256(f"bench-file-{i}".encode()).hexdigest() for i in range(nfiles)]
    md5s = [hashlib.md5(f"bench-file-{i}".encode()).hexdigest() for i in range(nfiles)]
    pl.DataFrame({"id": np.arange(1, nfiles + 1), "sha256": files, "md5": md5s,
                  "name": [f"f{i}.mp4" for i in range(nfiles)],
                  "size": rng.integers(1 << 20, 1 << 28, nfiles)}).write_csv(
        folder / "files.csv")
    n = int(10_000_000 * scale)
    uploaders = rng.choice(users, size=max(users // 100, 1), replace=False)
    who = rng.integers(0, users, n)
    file_id = rng.integers(1, nfiles + 1, n)
    action = rng.choice(np.array(["view", "download"]), size=n, p=[0.8, 0.2]).astype(object)
    up = min(nfiles, n)
    who[:up] = rng.choice(uploaders, size=up)
    file_id[:up] = np.arange(1, up + 1)
    action[:up] = "upload"
    pl.DataFrame({"id": np.arange(1, n + 1), "user_id": who + 1,
                  "ts": T0 + rng.integers(0, YEAR, n), "action": action.astype(str),
                  "file_id": file_id}).write_csv(folder / "content.csv")
    rows["content"] = n
    mapping = folder.parent / f"{folder.name}-mapping.toml"
    mapping.write_text(MAPPING, encoding="utf-8")
    return Generated(folder, mapping, transactions, truth, files, rows)


def pair_scores(truth: np.ndarray, predicted: np.ndarray) -> tuple[float, float]:
    """Pairwise precision and recall of a clustering against the planted persons."""
    def pairs(counts: np.ndarray) -> int:
        return int((counts * (counts - 1) // 2).sum())

    _, truth_sizes = np.unique(truth, return_counts=True)
    _, pred_sizes = np.unique(predicted, return_counts=True)
    joint = truth.astype(np.int64) * (int(predicted.max()) + 1) + predicted
    _, both = np.unique(joint, return_counts=True)
    tp = pairs(both)
    predicted_pairs, true_pairs = pairs(pred_sizes), pairs(truth_sizes)
    precision = tp / predicted_pairs if predicted_pairs else 1.0
    recall = tp / true_pairs if true_pairs else 1.0
    return precision, recall
