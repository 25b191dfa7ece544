"""Country packages: every file listed with its SHA-256, links traceable to records, no media."""

from __future__ import annotations

import csv
import hashlib
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.intel.platform.packages import PackageError, write_packages
from cumberland.store.workspace import Workspace


@pytest.fixture()
def packages(analysed: tuple[Workspace, int], tmp_path: Path) -> Path:
    ws, case = analysed
    out = tmp_path / "packages"
    outcome = write_packages(ws, case, out)
    assert outcome.countries == {"DE": 2, "ES": 6, "FR": 2, "GB": 1}
    return out


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_every_file_is_in_the_manifest_with_its_sha256(packages: Path) -> None:
    for folder in [packages, *(p for p in packages.iterdir() if p.is_dir())]:
        manifest = json.loads((folder / "manifest.json").read_text())
        listed = {e["path"]: e["sha256"] for e in manifest["files"]}
        on_disk = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        assert set(listed) == on_disk - {"manifest.json", "SHA256SUMS"}
        for path, digest in listed.items():
            assert hashlib.sha256((folder / path).read_bytes()).hexdigest() == digest
        assert (folder / "SHA256SUMS").read_text().count("\n") == len(listed)
    assert not list(packages.parent.glob(".packages.partial-*"))


def test_german_package_ranks_the_uploader_of_unknown_material(packages: Path) -> None:
    de = packages / "DE"
    assert {p.name for p in de.iterdir()} >= {
        "referral.pdf", "referral.html", "persons.csv", "persons.json", "records", "chart.anx",
        "media-vics.json", "media-hashes.csv", "prevention.csv", "prevention.json"}
    assert (de / "referral.pdf").read_bytes().startswith(b"%PDF")
    person = _rows(de / "persons.csv")[0]
    assert (person["label"], person["role"], person["uploads_unknown"]) == \
        ("Alice Example", "uploader-unknown", "1")
    html = (de / "referral.html").read_text()
    assert "Alice Example" in html and "aliceexample@gmail.com" in html
    assert "<img" not in html and "data:image" not in html  # never media
    vics = json.loads((de / "media-vics.json").read_text())
    media = vics["value"][0]["Media"]
    assert [m["AlternativeHashes"][0]["HashValue"] for m in media] == [
        hashlib.sha256(b"benign-landscape-1").hexdigest()]
    statuses = {r["status"] for r in _rows(de / "media-hashes.csv")}
    assert statuses == {"unknown", "hash-only"}
    chart = ET.fromstring((de / "chart.anx").read_bytes().decode("utf-16"))
    assert chart.tag == "Chart" and "Alice Example" in (de / "chart.anx").read_bytes(
        ).decode("utf-16")


def test_links_in_a_package_trace_to_its_records(packages: Path) -> None:
    fr = packages / "FR"
    links = [r for r in _rows(fr / "records" / "links.csv") if r["account_a"] == "3"]
    evidence = json.loads(links[0]["evidence"])
    assert evidence[0]["kind"] == "payment"
    payments = [p for p in _rows(fr / "records" / "payments.csv") if p["reference"]]
    assert {p["reference"] for p in payments} == {evidence[0]["value"]}
    assert {p["source"] for p in payments} == {"payments"}
    assert sorted(p["src_line"] for p in payments) == ["2", "3"]  # lines of payments.csv
    assert {p["payer_name"] for p in payments} == {"Bob Sample", "Martha Sample"}
    html = (fr / "referral.html").read_text()
    assert "Martha Sample" in html and "not the account name" in html
    prevention = json.loads((fr / "prevention.json").read_text())
    assert [p["who"] for p in prevention] == ["Bob Sample", "Dave Demo"]
    assert prevention[0]["suggested_measure"] == "knock-and-talk"
    assert any("payments line 2" in e for e in prevention[0]["evidence"])


def test_prevention_list_holds_every_payer_beyond_the_pdf(analysed: tuple[Workspace, int],
                                                          tmp_path: Path) -> None:
    from cumberland.intel.platform import packages as module

    ws, case = analysed
    original = module.TOP
    module.TOP = 1  # only the first person per country in the PDF's ranking
    try:
        write_packages(ws, case, tmp_path / "small", pdf=False)
    finally:
        module.TOP = original
    fr = json.loads((tmp_path / "small" / "FR" / "prevention.json").read_text())
    assert [p["who"] for p in fr] == ["Bob Sample", "Dave Demo"]  # Dave is not in the top 1
    dave = fr[1]
    assert dave["why"].startswith("paid 2 time(s)") and dave["usernames"] == ["dave", "dave2"]
    assert dave["evidence"] == ["payment 5 (payments line 6)", "payment 6 (payments line 7)"]


def test_conflicting_signals_are_shown(packages: Path) -> None:
    es = _rows(packages / "ES" / "persons.csv")
    stranger = next(r for r in es if r["label"] == "Stranger 1")
    assert stranger["confidence"] == "low" and stranger["conflicting_signals"] == "processor"
    people = json.loads((packages / "ES" / "persons.json").read_text())
    first = next(p for p in people if p["label"] == "Stranger 1")
    assert first["attribution"]["signals"]["processor"] == {"GB": 1}


def test_packages_refuse_a_used_folder(analysed: tuple[Workspace, int], tmp_path: Path) -> None:
    ws, case = analysed
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("keep")
    with pytest.raises(PackageError, match="not empty"):
        write_packages(ws, case, tmp_path / "used", pdf=False)
    assert (tmp_path / "used" / "x").read_text() == "keep"


def test_cli_end_to_end(tmp_path: Path) -> None:
    from intel_platform import kit
    from intel_platform.mmdb import write_mmdb

    dump, mapping = kit.write_dump(tmp_path, "pg")
    ws = ["--workspace", str(tmp_path / "ws")]
    runner = CliRunner()
    done = runner.invoke(app, ["platform", "import", str(dump), "--mapping", str(mapping),
                               "--case", "op", *ws])
    assert done.exit_code == 0, done.output
    txs = tmp_path / "txs.csv"
    txs.write_text(kit.TXS)
    geoip = write_mmdb(tmp_path / "g.mmdb")
    done = runner.invoke(app, ["platform", "resolve", "--case", "op", "--geoip", str(geoip),
                               "--transactions", str(txs), *ws])
    assert done.exit_code == 0, done.output
    assert "16 accounts -> 11 persons" in done.output and "ip 1" in done.output
    done = runner.invoke(app, ["platform", "link", "cut", "1", "2", "--case", "op",
                               "--note", "test", *ws])
    assert done.exit_code == 0 and "-> 12 persons" in done.output, done.output
    done = runner.invoke(app, ["platform", "packages", "--case", "op", "--out",
                               str(tmp_path / "out"), "--no-pdf", *ws])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "out" / "DE" / "persons.csv").is_file()
    done = runner.invoke(app, ["audit", "verify", *ws])
    assert done.exit_code == 0 and "4 entries" in done.output, done.output
