"""Exact deconfliction between two workspaces: what the requester learns, what each side
records, and the releases a hit carries."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from cumberland.intel.deconflict import exchange
from cumberland.store.models import AuditEntry, DeconflictExchange

from .conftest import Agencies, sha


def _round(agencies: Agencies, **options: object) -> exchange.Finished:
    req = agencies.root / "req.bin"
    exchange.request(agencies.a, "op-alder", req, workers=1, **options)  # type: ignore[arg-type]
    done = exchange.respond(agencies.b, req, workers=1)
    resp = agencies.root / "resp.bin"
    resp.write_bytes(done.data)
    return exchange.finish(agencies.a, resp, "op-alder", workers=1)


def test_requester_learns_exactly_the_shared_media_with_released_references(
        agencies: Agencies) -> None:
    done = _round(agencies)
    assert done.responder == "Agency B" and done.asked == 40 and done.held == 10
    by_sha = {h.sha256: h for h in done.hits}
    assert set(by_sha) == {sha(n) for n in range(30, 40)}
    refs = {n: {r.reference for r in by_sha[sha(n)].releases} for n in range(30, 40)}
    assert refs[31] == {"B-2025-0042"}
    assert refs[35] == refs[36] == {"B-2025-0042", "B-2025-0077"}  # in two released cases
    # op-dogwood released nothing: media 38 is held there and in op-birch, which did
    assert refs[38] == {"B-2025-0042"}
    contact = {r.contact for r in by_sha[sha(35)].releases}
    assert contact == {"desk-b@agency-b.example", "cedar@agency-b.example"}
    assert by_sha[sha(30)].md5 and len(by_sha[sha(30)].sha1) == 20


def test_media_held_only_in_unreleased_cases_is_a_hit_without_reference(
        agencies: Agencies) -> None:
    from .conftest import add_media

    add_media(agencies.a, "op-alder", [300])  # B holds 300 only in op-dogwood
    done = _round(agencies)
    hit = next(h for h in done.hits if h.sha256 == sha(300))
    assert hit.releases == ()


def test_responder_can_answer_over_named_cases_only(agencies: Agencies) -> None:
    req = agencies.root / "req.bin"
    exchange.request(agencies.a, "op-alder", req, workers=1)
    done = exchange.respond(agencies.b, req, ["op-cedar"], workers=1)
    (agencies.root / "resp.bin").write_bytes(done.data)
    out = exchange.finish(agencies.a, agencies.root / "resp.bin", "op-alder", workers=1)
    assert {h.sha256 for h in out.hits} == {sha(35), sha(36)}


def test_count_only_gives_the_number_and_no_media(agencies: Agencies) -> None:
    done = _round(agencies, mode="count", pad_to=64)
    assert done.held == 10 and done.hits == [] and done.mode == "count"


def test_other_digests_and_padding(agencies: Agencies) -> None:
    for digest in ("md5", "sha1"):
        done = _round(agencies, digest=digest, pad_to=100)
        assert {h.sha256 for h in done.hits} == {sha(n) for n in range(30, 40)}


def test_both_sides_audit_with_counts_and_the_secret_is_wiped(agencies: Agencies) -> None:
    done = _round(agencies)
    with agencies.a.session() as s:
        actions = {e.action: e for e in s.scalars(select(AuditEntry))}
        assert actions["deconflict-request"].details["elements"] == 40
        assert actions["deconflict-finish"].details["held"] == 10
        assert actions["deconflict-finish"].details["references"] == 12
        row = s.get(DeconflictExchange, (done.exchange_id, "request"))
        assert row is not None and row.state is None and row.finished_at
    with agencies.b.session() as s:
        answered = next(e for e in s.scalars(select(AuditEntry))
                        if e.action == "deconflict-respond")
        assert answered.details["asked"] == 40 and answered.details["requester"] == "Agency A"
        assert answered.details["held_elements"] == 63  # its distinct media over all cases
        assert "held" not in answered.details  # the responder never learns the hits


def test_responder_cache_blinds_only_new_media(agencies: Agencies, tmp_path: Path) -> None:
    req = tmp_path / "r1.bin"
    exchange.request(agencies.a, "op-alder", req, workers=1)
    assert exchange.respond(agencies.b, req, workers=1).blinded_now == 63
    from .conftest import add_media

    add_media(agencies.b, "op-birch", [500, 501])
    exchange.request(agencies.a, "op-alder", req, workers=1)
    again = exchange.respond(agencies.b, req, workers=1)
    assert again.blinded_now == 2
    (tmp_path / "resp.bin").write_bytes(again.data)
    assert exchange.finish(agencies.a, tmp_path / "resp.bin", "op-alder", workers=1).held == 10
