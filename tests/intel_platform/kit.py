"""A tiny benign platform written in every dump format the importer reads.

Names are made up, e-mail domains are example.org/.com/.net (plus gmail.com to exercise its
dot/plus rules), IPs are from the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32), file hashes are digests of short benign strings.

Planted truth: alice has two accounts (one e-mail with Gmail's dots and +tag), bob two
(one card; the second paid under his mother's name), carol two (one reused BTC address),
dave two (addresses spent together in one transaction), erin two (one device, one home
IP), and six strangers who all used one VPN exit within an hour.
"""

from __future__ import annotations

import csv
import hashlib
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

T0 = 1_700_000_000  # 2023-11-14


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


USERS = ["id", "login", "mail", "real_name", "phone", "created", "reg_ip"]
SESSIONS = ["id", "user_id", "ts", "ip", "ua", "device"]
PAYMENTS = ["id", "user_id", "ts", "method", "amount", "currency", "processor", "card_ref",
            "btc_addr", "txid", "payer"]
FILES = ["id", "sha256", "md5", "name", "size"]
ACTIVITY = ["id", "user_id", "ts", "action", "file_id"]
MESSAGES = ["id", "user_id", "ts", "body"]

PERSONS = {  # person -> accounts (user ids)
    "alice": ["1", "2"], "bob": ["3", "4"], "carol": ["5", "6"], "dave": ["7", "8"],
    "erin": ["9", "10"],
    **{f"stranger{i}": [str(10 + i)] for i in range(1, 7)},
}


def tables() -> dict[str, tuple[list[str], list[list[Any]]]]:
    users = [
        ["1", "alice_a", "Alice.Example+board@gmail.com", "Alice Example", "+49 30 901820",
         "2023-11-01T10:00:00Z", "2001:db8:0:1::10"],
        ["2", "alice_b", "aliceexample@googlemail.com", "A. Example", None,
         "2023-11-02 11:00:00", "2001:db8:0:1::10"],
        ["3", "bob1", "bob@example.org", "Bob Sample", "+33 1 99 00 12 34", str(T0 - 86400),
         "2001:db8:1000::20"],
        ["4", "bob2", "b.sample@example.net", "Bob S", None, str((T0 - 3600) * 1000),
         "2001:db8:1000::21"],
        ["5", "carol", "carol@example.com", "Carol Test", None, "Tue, 14 Nov 2023 08:12:31 GMT",
         "198.51.100.7"],
        ["6", "carol2", "c.test@example.com", "Carol T", None, "14.11.2023 09:30",
         "198.51.100.8"],
        ["7", "dave", "dave@example.org", "Dave Demo", None, "2023-11-03T00:00:00+01:00",
         "203.0.113.5"],
        ["8", "dave2", "dd@example.net", "D Demo", None, "2023-11-04T00:00:00", "203.0.113.6"],
        ["9", "erin", "erin@example.com", "Erin Mock", None, "2023-11-05T00:00:00",
         "2001:db8:2000::9"],
        ["10", "erin2", "erin.m@example.org", "E Mock", None, "2023-11-06T00:00:00",
         "2001:db8:2000::9"],
        *[[str(10 + i), f"stranger{i}", f"s{i}@example.com", f"Stranger {i}", None,
           "2023-11-07T00:00:00", f"2001:db8:{3000 + i}::1"] for i in range(1, 7)],
    ]
    sessions: list[list[Any]] = []

    def login(user: str, ts: int, ip: str, device: str | None = None) -> None:
        sessions.append([str(len(sessions) + 1), user, str(ts), ip, "Mozilla/5.0", device])

    login("1", T0, "2001:db8:0:1::10")
    login("2", T0 + 600, "2001:db8:0:1::10")
    login("3", T0, "2001:db8:1000::20")
    login("4", T0 + 7200, "2001:db8:1000::21")
    login("9", T0, "2001:db8:2000::9", "fp-erin-laptop")
    login("10", T0 + 300, "2001:db8:2000::9", "fp-erin-laptop")
    for i in range(1, 7):  # the VPN exit, shared by strangers within one hour
        login(str(10 + i), T0 + 60 * i, "192.0.2.10")
        login(str(10 + i), T0 + 86400 * i, f"2001:db8:{3000 + i}::1")
    payments = [
        ["1", "3", str(T0), "card", "9.99", "EUR", "PayExample", "CARD-0001", None, None,
         "Bob Sample"],
        ["2", "4", str(T0 + 90000), "card", "9,99", "EUR", "PayExample", "card-0001", None,
         None, "Martha Sample"],
        ["3", "5", str(T0), "btc", "0.001", "BTC", None, None, "bc1qcarolwallet0000000000",
         "aa01", None],
        ["4", "6", str(T0 + 50), "btc", "0.002", "BTC", None, None,
         "BC1QCAROLWALLET0000000000", "aa02", None],
        ["5", "7", str(T0), "btc", "0.001", "BTC", None, None, "bc1qdeposit7000000000000",
         "bb01", None],
        ["6", "8", str(T0 + 10), "btc", "0.001", "BTC", None, None, "bc1qdeposit8000000000000",
         "bb02", None],
        ["7", "11", str(T0), "card", "5", "GBP", "UkPay", "CARD-S1", None, None, "Stranger 1"],
    ]
    files = [["100", sha("benign-landscape-1"), md5("benign-landscape-1"), "hills.jpg", "1234"],
             ["101", sha("benign-animal-2"), md5("benign-animal-2"), "cat.jpg", "2345"],
             ["102", sha("benign-object-3"), md5("benign-object-3"), "cup.jpg", "3456"]]
    activity = [["1", "1", str(T0 + 100), "U", "100"], ["2", "2", str(T0 + 200), "U", "101"],
                ["3", "3", str(T0 + 300), "V", "100"], ["4", "11", str(T0 + 400), "D", "102"],
                ["5", "5", str(T0 + 500), "V", "102"]]
    messages = [["1", "1", str(T0 + 50), "Hallo, wie geht es dir heute? Ich bin neu hier."],
                ["2", "3", str(T0 + 60), "Bonjour, je suis nouveau ici et je cherche."]]
    return {"users": (USERS, users), "sessions": (SESSIONS, sessions),
            "payments": (PAYMENTS, payments), "files": (FILES, files),
            "activity": (ACTIVITY, activity), "messages": (MESSAGES, messages)}


MAPPING = """
platform = "test-board"
date_formats = ["%d.%m.%Y %H:%M"]

[email.providers]
"example.net" = {{ dots = true, plus = true }}

[countries.processors]
"PayExample" = "FR"
"UkPay" = "GB"

[tables.users]
kind = "accounts"
source = "{users}"
[tables.users.columns]
id = "id"
username = "login"
email = "mail"
name = "real_name"
phone = "phone"
registered_at = "created"
registration_ip = "reg_ip"

[tables.sessions]
kind = "logins"
source = "{sessions}"
[tables.sessions.columns]
id = "id"
account = "user_id"
at = "ts"
ip = "ip"
user_agent = "ua"
fingerprint = "device"

[tables.payments]
kind = "payments"
source = "{payments}"
[tables.payments.columns]
id = "id"
account = "user_id"
at = "ts"
method = "method"
amount = "amount"
currency = "currency"
processor = "processor"
reference = "card_ref"
crypto_address = "btc_addr"
txid = "txid"
payer_name = "payer"

[tables.files]
kind = "files"
source = "{files}"
[tables.files.columns]
id = "id"
sha256 = "sha256"
md5 = "md5"
name = "name"
size = "size"

[tables.activity]
kind = "content"
source = "{activity}"
[tables.activity.columns]
id = "id"
account = "user_id"
at = "ts"
action = "action"
file = "file_id"
[tables.activity.values.action]
U = "upload"
V = "view"
D = "download"

[tables.messages]
kind = "messages"
source = "{messages}"
[tables.messages.columns]
id = "id"
account = "user_id"
at = "ts"
body = "body"
"""

TXS = """txid,direction,address,amount
aa01,in,bc1qcarolwallet0000000000,0.0011
bb01,in,bc1qdavesown1111111111111,0.0005
bb01,in,bc1qdavesown2222222222222,0.0006
bb01,out,bc1qdeposit7000000000000,0.001
bb02,in,bc1qdavesown2222222222222,0.0011
bb02,out,bc1qdeposit8000000000000,0.001
"""


def mapping_text(fmt: str) -> str:
    suffix = {"csv": ".csv", "jsonl": ".jsonl"}.get(fmt, "")
    return MAPPING.format(**{name: name + suffix for name in tables()})


def write_mapping(folder: Path, fmt: str, extra: str = "") -> Path:
    path = folder / f"map-{fmt}.toml"
    text = mapping_text(fmt)
    path.write_text(extra + text if extra else text, encoding="utf-8")
    return path


def write_csv(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables().items():
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            out = csv.writer(fh)
            out.writerow(header)
            out.writerows([["" if v is None else v for v in row] for row in rows])
    return folder


def write_jsonl(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (header, rows) in tables().items():
        with (folder / f"{name}.jsonl").open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(dict(zip(header, row, strict=True))) + "\n")
    return folder


def write_sqlite(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as db, db:
        for name, (header, rows) in tables().items():
            db.execute(f"CREATE TABLE {name} ({', '.join(header)})")
            marks = ", ".join("?" * len(header))
            db.executemany(f"INSERT INTO {name} VALUES ({marks})", rows)
    return path


def _sql_literal(value: Any, mysql: bool) -> str:
    if value is None:
        return "NULL"
    text = str(value).replace("'", "''")
    if mysql:
        text = text.replace("\\", "\\\\")
    return f"'{text}'"


def write_mysql_dump(path: Path) -> Path:
    lines = ["-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)", "--",
             "/*!40101 SET NAMES utf8mb4 */;"]
    for name, (header, rows) in sorted(tables().items()):  # mysqldump: alphabetical
        cols = ",\n".join(f"  `{h}` varchar(255) DEFAULT NULL" for h in header)
        lines += [f"DROP TABLE IF EXISTS `{name}`;", f"CREATE TABLE `{name}` (", cols + ",",
                  f"  PRIMARY KEY (`{header[0]}`)", ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;",
                  f"LOCK TABLES `{name}` WRITE;"]
        values = ",".join("(" + ",".join(_sql_literal(v, True) for v in row) + ")"
                          for row in rows)
        lines += [f"INSERT INTO `{name}` VALUES {values};", "UNLOCK TABLES;"]
    lines.append("-- Dump completed on 2024-01-01 12:00:00")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_pg_dump(path: Path, copy: bool = True) -> Path:
    lines = ["--", "-- PostgreSQL database dump", "--", "SET standard_conforming_strings = on;"]
    for name, (header, rows) in tables().items():
        lines += [f"CREATE TABLE public.{name} (",
                  ",\n".join(f"    {h} text" for h in header), ");"]
        if copy:
            lines.append(f"COPY public.{name} ({', '.join(header)}) FROM stdin;")
            for row in rows:
                lines.append("\t".join("\\N" if v is None else str(v).replace("\\", "\\\\")
                                       .replace("\t", "\\t") for v in row))
            lines.append("\\.")
        else:
            for row in rows:
                lines.append(f"INSERT INTO public.{name} ({', '.join(header)}) VALUES ("
                             + ", ".join(_sql_literal(v, False) for v in row) + ");")
    lines.append("-- PostgreSQL database dump complete")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_dump(tmp: Path, fmt: str) -> tuple[Path, Path]:
    """(dump, mapping) in one of csv, jsonl, sqlite, mysql, pg, pg-inserts."""
    kind = {"mysql": "sql", "pg": "sql", "pg-inserts": "sql"}.get(fmt, fmt)
    dump = {"csv": lambda: write_csv(tmp / "csv"), "jsonl": lambda: write_jsonl(tmp / "jsonl"),
            "sqlite": lambda: write_sqlite(tmp / "board.db"),
            "mysql": lambda: write_mysql_dump(tmp / "board-mysql.sql"),
            "pg": lambda: write_pg_dump(tmp / "board-pg.sql"),
            "pg-inserts": lambda: write_pg_dump(tmp / "board-pgi.sql", copy=False)}[fmt]()
    return dump, write_mapping(tmp, kind)
