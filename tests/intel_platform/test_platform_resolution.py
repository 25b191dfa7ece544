"""Entity resolution, media links and country attribution on the planted test platform."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Text, cast, select

from cumberland.intel.platform.analyse import analyse
from cumberland.intel.platform.attribution import attribute
from cumberland.intel.platform.resolution import review_link
from cumberland.store.platform_models import (
    PlatformAccount,
    PlatformLink,
    PlatformPerson,
    PlatformPersonAccount,
)
from cumberland.store.workspace import Workspace
from intel_platform import kit


def _persons(ws: Workspace, case: int) -> list[list[str]]:
    with ws.session() as s:
        rows = s.execute(select(PlatformPersonAccount.person_id, PlatformAccount.ext_id).join(
            PlatformAccount, PlatformAccount.id == PlatformPersonAccount.account_id).where(
            PlatformPersonAccount.case_id == case)).all()
    groups: dict[int, list[str]] = {}
    for person, ext in rows:
        groups.setdefault(person, []).append(ext)
    return sorted(sorted(g, key=int) for g in groups.values())


def test_planted_persons_are_found_and_strangers_stay_apart(
        analysed: tuple[Workspace, int]) -> None:
    ws, case = analysed
    assert _persons(ws, case) == sorted([*(sorted(a, key=int) for a in kit.PERSONS.values())])


def _link(ws: Workspace, a: str, b: str) -> PlatformLink:
    with ws.session() as s:
        ids = {r[0]: r[1] for r in s.execute(select(PlatformAccount.ext_id, PlatformAccount.id))}
        lo, hi = sorted((ids[a], ids[b]))
        return s.execute(select(PlatformLink).where(PlatformLink.account_a == lo,
                                                    PlatformLink.account_b == hi)).scalar_one()


def test_every_link_names_its_evidence(analysed: tuple[Workspace, int]) -> None:
    ws, _ = analysed
    alice = _link(ws, "1", "2")
    assert alice.merged and alice.evidence[0]["kind"] == "email"
    assert alice.evidence[0]["value"] == "aliceexample@gmail.com"
    bob = _link(ws, "3", "4")
    assert [p["kind"] for p in bob.evidence] == ["payment"]
    assert bob.evidence[0]["value"] == "payexample:CARD-0001"
    dave = _link(ws, "7", "8")
    assert dave.evidence[0]["kind"] == "wallet"
    assert "tx bb01 spent bc1qdavesown2222222222222" in dave.evidence[0]["detail"]
    erin = _link(ws, "9", "10")
    assert sorted(p["kind"] for p in erin.evidence) == ["fingerprint", "ip"]
    assert erin.strength == pytest.approx(1 - 0.3 * 0.5)
    with ws.session() as s:  # the VPN exit links no stranger to another
        assert s.scalar(select(PlatformLink.id).where(
            cast(PlatformLink.evidence, Text).contains("192.0.2.10"))) is None


def test_roles_and_attribution_with_conflicts(analysed: tuple[Workspace, int]) -> None:
    ws, case = analysed
    with ws.session() as s:
        people = {p.label: p for p in s.scalars(select(PlatformPerson).where(
            PlatformPerson.case_id == case))}
    alice = people["Alice Example"]
    assert alice.role == "uploader-unknown" and alice.rank == 0
    assert alice.stats["upload_unknown"] == 1 and alice.stats["accounts"] == 2
    assert (alice.country, alice.confidence) == ("DE", "high")
    assert alice.attribution["agree"] == ["ip", "phone", "language"]
    bob = people["Bob Sample"]
    assert bob.role == "payer" and bob.stats["paid"] == {"EUR": 19.98}
    assert (bob.country, bob.confidence) == ("FR", "high")
    assert bob.attribution["agree"] == ["ip", "phone", "processor", "language"]
    stranger = people["Stranger 1"]
    assert stranger.country == "ES" and stranger.confidence == "low"
    assert stranger.attribution["disagree"] == ["processor"]
    assert stranger.attribution["signals"]["ip"] == {"ES": 2, "NL": 1}
    assert stranger.attribution["conflict"] is True
    assert people["Stranger 3"].role == "member"


def test_review_cut_and_confirm_survive_a_rerun(analysed: tuple[Workspace, int],
                                               tmp_path: Path) -> None:
    ws, case = analysed
    with ws.session() as s:
        ids = {r[0]: r[1] for r in s.execute(select(PlatformAccount.ext_id, PlatformAccount.id))}
    review_link(ws, case, ids["1"], ids["2"], "cut", "rev1", "different writing style")
    review_link(ws, case, ids["11"], ids["12"], "confirmed", "rev1", "same selfie hash")
    expected = [g for g in _persons(ws, case)]
    assert ["1"] in expected and ["2"] in expected and ["11", "12"] in expected
    analyse(ws, case)  # re-run without GeoIP or transactions: decisions still hold
    again = _persons(ws, case)
    assert ["1"] in again and ["11", "12"] in again
    assert _link(ws, "1", "2").status == "cut" and not _link(ws, "1", "2").merged
    with pytest.raises(LookupError):
        review_link(ws, case, ids["1"], 999_999, "cut", "rev1")


def test_attribution_rules() -> None:
    from collections import Counter

    none = attribute({})
    assert none.country is None and none.confidence == "none"
    lone = attribute({"email": Counter({"AT": 1})})
    assert (lone.country, lone.confidence) == ("AT", "medium")
    split = attribute({"ip": Counter({"DE": 5}), "phone": Counter({"PL": 1})})
    assert split.country == "DE" and split.confidence == "low"
    assert split.disagree == ["phone"]
    german = attribute({"language": Counter({"de": 3}), "email": Counter({"AT": 1})})
    assert (german.country, german.confidence) == ("AT", "high")
