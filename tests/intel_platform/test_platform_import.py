"""Importing a platform's records: every format, and every kind of bad input."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cumberland.intel.platform.importer import PlatformImportError, import_platform
from cumberland.intel.platform.mapping import MappingError, load_mapping
from cumberland.store.platform_models import (
    PlatformAccount,
    PlatformIdentifier,
    PlatformLogin,
    PlatformPayment,
)
from cumberland.store.workspace import Workspace
from cumberland.store.writer import case_id
from intel_platform import kit

FORMATS = ["csv", "jsonl", "sqlite", "mysql", "pg", "pg-inserts"]
PLATFORM_TABLES = ("platform_accounts", "platform_logins", "platform_payments",
                   "platform_content", "platform_messages", "platform_identifiers",
                   "platform_files", "platform_imports")


def _import(ws: Workspace, dump: Path, mapping: Path, skip: bool = False):  # type: ignore[no-untyped-def]
    return import_platform(ws, case_id(ws, "op"), dump, load_mapping(mapping), skip)


def _count(ws: Workspace, table: str) -> int:
    with ws.engine.connect() as conn:
        return int(conn.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_gives_the_same_records(tmp_path: Path, workspace: Workspace,
                                             fmt: str) -> None:
    dump, mapping = kit.write_dump(tmp_path, fmt)
    out = _import(workspace, dump, mapping)
    assert out.rows == {"files": 3, "users": 16, "sessions": 18, "payments": 7,
                        "activity": 5, "messages": 2}
    assert out.skipped == 0 and out.stubs == 0
    with workspace.session() as s:
        emails = dict(s.execute(select(PlatformAccount.ext_id, PlatformIdentifier.value).join(
            PlatformIdentifier, PlatformIdentifier.id == PlatformAccount.email_id)).all())
        # Gmail: dots and +tags ignored, googlemail.com is gmail.com -> one address
        assert emails["1"] == emails["2"] == "aliceexample@gmail.com"
        assert emails["4"] == "bsample@example.net"  # the mapping's provider rule
        times = {r[0]: r[1] for r in s.execute(
            select(PlatformAccount.ext_id, PlatformAccount.registered_at))}
        # five date formats: ISO Z, MySQL naive, epoch s, epoch ms, RFC 2822, declared
        assert times["1"] == 1698832800.0
        assert times["2"] == 1698922800.0
        assert times["3"] == kit.T0 - 86400 and times["4"] == kit.T0 - 3600
        assert times["5"] == 1699949551.0
        assert times["6"] == 1699954200.0
        assert times["7"] == 1698966000.0  # +01:00
        refs = s.scalars(select(PlatformIdentifier.value).join(
            PlatformPayment, PlatformPayment.reference_id == PlatformIdentifier.id)).all()
        assert sorted(set(refs)) == ["payexample:CARD-0001", "ukpay:CARD-S1"]
        amounts = sorted(a for a in s.scalars(select(PlatformPayment.amount)) if a)
        assert amounts[-2:] == [9.99, 9.99]  # "9,99" read as a decimal comma
        ip = s.scalar(select(PlatformIdentifier.value).where(
            PlatformIdentifier.kind == "ip", PlatformIdentifier.value.like("2001:db8:0:1%")))
        assert ip == "2001:db8:0:1::10"
        line = s.execute(select(PlatformLogin.src_table, PlatformLogin.src_line)
                         .order_by(PlatformLogin.id).limit(1)).one()
        assert line.src_table == 2  # sessions is the third table (files, users, sessions)
        assert line.src_line > 0


def test_sqlite_evidence_is_opened_read_only(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "sqlite")
    before = (hashlib.sha256(dump.read_bytes()).hexdigest(), os.stat(dump).st_mtime_ns)
    _import(workspace, dump, mapping)
    assert (hashlib.sha256(dump.read_bytes()).hexdigest(), os.stat(dump).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("board")) == \
        ["board.db"]  # no -wal, -shm or -journal beside it


def test_a_second_import_into_the_case_reuses_identifiers(tmp_path: Path,
                                                          workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    _import(workspace, dump, mapping)
    first = _count(workspace, "platform_identifiers")
    _import(workspace, dump, mapping)
    assert _count(workspace, "platform_identifiers") == first
    assert _count(workspace, "platform_accounts") == 32


def _nothing_left(ws: Workspace) -> None:
    assert [_count(ws, t) for t in PLATFORM_TABLES] == [0] * len(PLATFORM_TABLES)


def test_a_mapping_naming_a_missing_column_stops_before_anything(
        tmp_path: Path, workspace: Workspace) -> None:
    dump = kit.write_csv(tmp_path / "csv")
    mapping = tmp_path / "m.toml"
    mapping.write_text(kit.mapping_text("csv").replace('email = "mail"', 'email = "e_mail"'))
    with pytest.raises(PlatformImportError, match=r"users\.email names column 'e_mail'.*"
                                                  r"columns: id, login, mail"):
        _import(workspace, dump, mapping)
    _nothing_left(workspace)


@pytest.mark.parametrize("fmt", ["sqlite", "mysql", "jsonl"])
def test_missing_columns_in_other_formats(tmp_path: Path, workspace: Workspace,
                                          fmt: str) -> None:
    dump, mapping = kit.write_dump(tmp_path, fmt)
    mapping.write_text(mapping.read_text().replace('ip = "ip"', 'ip = "ip_addr"'))
    with pytest.raises(PlatformImportError, match="ip_addr"):
        _import(workspace, dump, mapping)
    _nothing_left(workspace)


def test_mapping_typos_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text(kit.mapping_text("csv").replace("registration_ip =", "registraton_ip ="))
    with pytest.raises(MappingError, match=r"unknown key.*registraton_ip"):
        load_mapping(path)
    path.write_text(kit.mapping_text("csv").replace('kind = "logins"', 'kind = "login"'))
    with pytest.raises(MappingError, match="kind must be one of"):
        load_mapping(path)
    path.write_text(kit.mapping_text("csv").replace('U = "upload"', 'U = "uplaod"'))
    with pytest.raises(MappingError, match="'uplaod' is not one of"):
        load_mapping(path)


def _corrupt(path: Path, old: bytes, new: bytes) -> None:
    data = path.read_bytes()
    assert old in data
    path.write_bytes(data.replace(old, new, 1))


def test_wrong_encoding_names_line_and_byte(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    users = dump / "users.csv"
    _corrupt(users, b"Bob Sample", "Bob S\xe4mple".encode("latin-1"))
    offset = users.read_bytes().index(b"\xe4")
    with pytest.raises(PlatformImportError) as caught:
        _import(workspace, dump, mapping)
    assert f"users.csv: line 4, byte {offset:,}: bytes that are not valid utf-8" in \
        str(caught.value)
    _nothing_left(workspace)
    out = _import(workspace, dump, mapping, skip=True)
    assert out.skipped == 1 and out.rows["users"] == 15
    assert out.stubs == 1  # bob1's sessions and payment name an account never defined
    # the same file declared as Latin-1 reads whole
    ws2 = Workspace(tmp_path / "ws2")
    mapping.write_text('encoding = "latin-1"\n' + mapping.read_text())
    assert _import(ws2, dump, mapping).rows["users"] == 16
    ws2.close()


@pytest.mark.parametrize("fmt", ["csv", "jsonl", "mysql", "pg"])
def test_truncated_dumps(tmp_path: Path, workspace: Workspace, fmt: str) -> None:
    dump, mapping = kit.write_dump(tmp_path, fmt)
    target = dump / {"csv": "messages.csv", "jsonl": "messages.jsonl"}[fmt] \
        if dump.is_dir() else dump
    data = target.read_bytes()
    if fmt == "csv":
        target.write_bytes(data + b'3,1,1700000000,"a message cut in the mid')
    else:
        target.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(PlatformImportError, match=r"truncated\?"):
        _import(workspace, dump, mapping)
    _nothing_left(workspace)


def test_truncated_sql_dump_between_statements(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "mysql")
    data = dump.read_bytes()
    dump.write_bytes(data[: data.index(b"-- Dump completed")])
    with pytest.raises(PlatformImportError, match="completion line"):
        _import(workspace, dump, mapping)
    out = _import(workspace, dump, mapping, skip=True)
    assert out.skipped == 1 and out.rows["users"] == 16


def test_duplicate_primary_keys(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    with (dump / "users.csv").open("a") as fh:
        fh.write("3,imposter,imp@example.com,Imp,,2023-11-01T00:00:00Z,192.0.2.1\n")
    with (dump / "payments.csv").open("a") as fh:
        fh.write("2,4,1700000000,card,1,EUR,PayExample,X,,,\n")
    with pytest.raises(PlatformImportError, match=r"users\.csv: line 18.*duplicate primary "
                                                  r"key id='3'"):
        _import(workspace, dump, mapping)
    out = _import(workspace, dump, mapping, skip=True)
    assert out.skipped == 2
    assert any("payments.csv: line 9" in s and "id='2'" in s for s in out.skipped_examples)
    with workspace.session() as s:  # the first row with the key stands
        assert s.scalar(select(PlatformAccount.username).where(
            PlatformAccount.ext_id == "3")) == "bob1"


def test_an_ambiguous_date_is_refused_not_guessed(tmp_path: Path,
                                                  workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    _corrupt(dump / "users.csv", b"2023-11-05T00:00:00", b"05/11/2023")
    with pytest.raises(PlatformImportError, match="unrecognised date '05/11/2023'"):
        _import(workspace, dump, mapping)


def test_huge_fields_are_bad_rows(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "jsonl")
    with (dump / "messages.jsonl").open("a") as fh:  # a 100 MB message
        fh.write('{"id": "9", "user_id": "1", "ts": "1700000000", "body": "')
        block = "x" * (1 << 20)
        for _ in range(100):
            fh.write(block)
        fh.write('"}\n{"id": "10", "user_id": "2", "ts": "1700000000", "body": "after"}\n')
    with pytest.raises(PlatformImportError, match=r"messages\.jsonl: line 3.*longer than "
                                                  r"16,777,216 bytes"):
        _import(workspace, dump, mapping)
    out = _import(workspace, dump, mapping, skip=True)
    assert out.skipped == 1 and out.rows["messages"] == 3  # the row after it is read


def test_huge_csv_field_with_small_limit(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    mapping.write_text("max_field_bytes = 4096\n" + mapping.read_text())
    with (dump / "messages.csv").open("a") as fh:
        fh.write('3,1,1700000000,"' + "y" * 10_000 + '"\n4,2,1700000000,tail\n')
    out = _import(workspace, dump, mapping, skip=True)
    assert out.skipped == 1 and out.rows["messages"] == 3
    assert "longer than 4,096 bytes" in out.skipped_examples[0]


def test_unknown_accounts_become_counted_stubs(tmp_path: Path, workspace: Workspace) -> None:
    dump, mapping = kit.write_dump(tmp_path, "csv")
    with (dump / "sessions.csv").open("a") as fh:
        fh.write("99,777,1700000000,192.0.2.99,ua,\n")
    out = _import(workspace, dump, mapping)
    assert out.stubs == 1
    with workspace.session() as s:
        stub = s.execute(select(PlatformAccount).where(PlatformAccount.ext_id == "777")
                         ).scalar_one()
        assert stub.stub and stub.src_line == 20
        assert s.scalar(select(func.count()).select_from(PlatformLogin).where(
            PlatformLogin.account_id == stub.id)) == 1


def test_cli_import_and_one_line_error(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from cumberland.cli import app

    dump, mapping = kit.write_dump(tmp_path, "mysql")
    ws = str(tmp_path / "ws")
    done = CliRunner().invoke(app, ["platform", "import", str(dump), "--mapping", str(mapping),
                                    "--case", "op", "--workspace", ws])
    assert done.exit_code == 0, done.output
    assert "51 rows" in done.output and "0 bad rows skipped" in done.output
    dump.write_bytes(dump.read_bytes()[:1500])
    bad = CliRunner().invoke(app, ["platform", "import", str(dump), "--mapping", str(mapping),
                                   "--case", "op2", "--workspace", ws])
    assert bad.exit_code == 2
    assert "error:" in bad.output and "truncated?" in bad.output
