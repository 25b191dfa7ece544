"""One referral package per country: everything a national team needs, never any media.

``write_packages`` fills ``OUT/<CC>/`` (``unattributed/`` for persons without a country):

- ``referral.pdf`` (and its ``referral.html``): the case in brief, persons ranked
  (uploaders of unknown material, then uploaders, payers, viewers), each with identifiers,
  an activity timeline, payment evidence, the country signals for and against, and counts
  of linked media by category and AI level;
- ``persons.csv`` / ``persons.json`` (every person of the country, with accounts, links and
  their evidence) and ``records/<table>.csv`` + ``.jsonl`` (every record behind them, each
  naming its import, table, line and byte in the dump);
- ``chart.anx`` (i2 Analyst's Notebook: persons, accounts, shared identifiers, links);
- ``media-vics.json`` (the linked media as VICS 2.0: hashes and paths only) and
  ``media-hashes.csv`` (also the hash-only files the case holds no copy of);
- ``prevention.csv`` / ``.json``: payers and viewers for the prevention campaign (who, why,
  on what evidence, suggested measure);
- ``manifest.json`` and ``SHA256SUMS``: the SHA-256 of every file.

Packages are written into a fresh folder that is renamed into place at the end.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import Connection, select, text

from cumberland import __version__
from cumberland.analysis.review import load_schemes
from cumberland.intel.platform.bulk import big_cache
from cumberland.intel.platform.records import QUERIES, iter_records, table_names
from cumberland.reports.pdf import CHROMIUM, html_to_pdf
from cumberland.reports.vics_export import write_vics
from cumberland.store.models import Case
from cumberland.store.platform_models import PlatformPerson
from cumberland.store.workspace import Workspace

UNATTRIBUTED = "unattributed"
TOP = 200  # persons in the chart and the PDF's ranked table; the CSV/JSON hold all
DETAILED = 50  # persons described in full in the PDF
TIMELINE = 20
PAYMENTS_SHOWN = 15
CAMPAIGN_ROLES = ("payer", "viewer")
CAMPAIGN_EVIDENCE = 5  # records cited per kind for a person of the prevention list
# what the prevention list needs of persons outside the PDF's top (kept small: 100 k+ persons)
BRIEF = {"accounts": ("account_id", "username", "email"),
         "payments": ("payment_id", "source", "src_line"),
         "content": ("action", "content_id", "source", "src_line")}
LINK_FIELDS = ("account_a", "account_b", "person_a", "person_b", "strength", "merged",
               "status", "evidence")

_env = Environment(loader=PackageLoader("cumberland.intel.platform", "templates"),
                   autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


class PackageError(ValueError):
    """Packages cannot be written (the folder exists, nothing is resolved): one line."""


@dataclass(slots=True)
class PackagesOutcome:
    root: Path
    countries: dict[str, int] = field(default_factory=dict)  # folder -> persons
    files: int = 0
    seconds: dict[str, float] = field(default_factory=dict)


def _iso(ts: Any) -> str:
    if ts is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(float(ts)))


class _Tables:
    """Open CSV and JSON Lines writers for one record table, one pair per country."""

    def __init__(self, stack: ExitStack, root: Path, name: str, columns: tuple[str, ...]):
        self.stack, self.root, self.name, self.columns = stack, root, name, columns
        self.writers: dict[str, tuple[Any, IO[str]]] = {}

    def write(self, folder: str, row: dict[str, Any]) -> None:
        pair = self.writers.get(folder)
        if pair is None:
            base = self.root / folder / "records"
            base.mkdir(parents=True, exist_ok=True)
            out = self.stack.enter_context((base / f"{self.name}.csv").open(
                "w", newline="", encoding="utf-8"))
            lines = self.stack.enter_context((base / f"{self.name}.jsonl").open(
                "w", encoding="utf-8"))
            writer = csv.DictWriter(out, fieldnames=list(row))
            writer.writeheader()
            pair = self.writers[folder] = (writer, lines)
        pair[0].writerow({k: _cell(v) for k, v in row.items()})
        pair[1].write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")


def _cell(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(type(value).__name__)


@dataclass(slots=True)
class _Case:
    case: int
    name: str
    persons: dict[int, Any]  # id -> PlatformPerson
    person_of: dict[int, int]  # account -> person
    folder_of: dict[int, str]  # person -> folder
    sources: dict[tuple[int, int], str]

    def folder(self, account: int) -> str:
        return self.folder_of[self.person_of[account]]


def _load(conn: Connection, ws: Workspace, case: int) -> _Case:
    name = conn.scalar(select(Case.name).where(Case.id == case))
    if name is None:
        raise PackageError(f"no case with id {case}")
    with ws.session() as session:
        persons = {p.id: p for p in session.scalars(select(PlatformPerson).where(
            PlatformPerson.case_id == case))}
    if not persons:
        raise PackageError(f"case {name!r} has no resolved persons: run `cumberland platform "
                           "import` and `cumberland platform resolve` first")
    person_of = {int(a): int(p) for a, p in conn.execute(text(
        "SELECT account_id, person_id FROM platform_person_accounts WHERE case_id = :case"),
        {"case": case})}
    folder_of = {pid: p.country or UNATTRIBUTED for pid, p in persons.items()}
    return _Case(case, str(name), persons, person_of, folder_of, table_names(conn, case))


def _records(conn: Connection, ctx: _Case, root: Path, stack: ExitStack,
             progress: Callable[[int], None] | None) -> dict[str, dict[int, list[dict[str,
                                                                                    Any]]]]:
    """Every record into its country's files; returns the rows kept for the PDF (persons
    ranked into its top)."""
    top = _top(ctx)
    campaign = {p.id for p in ctx.persons.values() if p.role in CAMPAIGN_ROLES}
    kept: dict[str, dict[int, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for kind, (_, columns) in QUERIES.items():
        tables = _Tables(stack, root, kind, ("person_id", *columns, "source"))
        for count, values in enumerate(iter_records(conn, kind, ctx.case), 1):
            row = dict(zip(columns, values, strict=True))
            account = int(row["account_id"])
            person = ctx.person_of.get(account)
            if person is None:
                continue
            row = {"person_id": person, **row,
                   "source": ctx.sources.get((row["import_id"], row["src_table"]), "?")}
            if "at" in row:
                row["at_utc"] = _iso(row["at"])
            tables.write(ctx.folder_of[person], row)
            if person in top:
                kept[kind][person].append(row)
            elif person in campaign and kind in BRIEF:
                held = kept[kind][person]
                if kind == "accounts" or len(held) < CAMPAIGN_EVIDENCE:
                    held.append({k: row[k] for k in BRIEF[kind]})
            if progress and count % 100_000 == 0:
                progress(100_000)
    return kept


def _top(ctx: _Case) -> set[int]:
    by_folder: dict[str, list[Any]] = defaultdict(list)
    for person in ctx.persons.values():
        by_folder[ctx.folder_of[person.id]].append(person)
    top: set[int] = set()
    for people in by_folder.values():
        people.sort(key=_order)
        top.update(p.id for p in people[:TOP] if p.role != "member")
    return top


def _order(person: Any) -> tuple[Any, ...]:
    stats = person.stats or {}
    return (person.rank, -int(stats.get("upload_unknown", 0)), -int(stats.get("upload", 0)),
            -int(stats.get("payments", 0)), -int(stats.get("view", 0) + stats.get("download", 0)),
            person.id)


def _links(conn: Connection, ctx: _Case, root: Path, stack: ExitStack) -> dict[int, list[
        dict[str, Any]]]:
    tables = _Tables(stack, root, "links", LINK_FIELDS)
    by_person: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for a, b, strength, merged, status, evidence in conn.execute(text(
            "SELECT account_a, account_b, strength, merged, status, evidence FROM "
            "platform_links WHERE case_id = :case"), {"case": ctx.case}):
        pa, pb = ctx.person_of.get(int(a)), ctx.person_of.get(int(b))
        if pa is None or pb is None:
            continue
        pieces = evidence if isinstance(evidence, list) else json.loads(evidence)
        row = {"account_a": a, "account_b": b, "person_a": pa, "person_b": pb,
               "strength": strength, "merged": bool(merged), "status": status,
               "evidence": pieces}
        for folder in {ctx.folder_of[pa], ctx.folder_of[pb]}:
            tables.write(folder, row)
        by_person[pa].append(row)
        if pb != pa:
            by_person[pb].append(row)
    return by_person


def _media_counts(conn: Connection, ws: Workspace, ctx: _Case) -> tuple[
        dict[int, dict[str, dict[str, int]]], dict[str, set[bytes]], dict[str, list[Any]]]:
    """Per person: linked media by category and AI level; per folder: linked media SHA-256s
    and the rows of media-hashes.csv."""
    schemes = load_schemes(ws)
    categories: dict[bytes, str] = {}
    for sha, scheme, category in conn.execute(text(
            "SELECT media_sha256, scheme, category FROM decisions WHERE case_id = :case"),
            {"case": ctx.case}):
        label = schemes[scheme].labels.get(category, str(category)) if scheme in schemes \
            else str(category)
        categories[bytes(sha)] = f"{scheme}: {label}"
    for sha, category, name in conn.execute(text(
            "SELECT m.media_sha256, m.category, h.name FROM matches m JOIN hashsets h ON "
            "h.id = m.hashset_id WHERE m.category IS NOT NULL")):
        categories.setdefault(bytes(sha), f"{name}: {category}")
    levels = {bytes(sha): level for sha, level in conn.execute(text(
        "SELECT DISTINCT m.sha256, m.ai_level FROM media m JOIN platform_files f ON "
        "f.media_sha256 = m.sha256 WHERE f.case_id = :case"), {"case": ctx.case})}
    per_person: dict[int, dict[str, dict[str, int]]] = defaultdict(
        lambda: {"category": Counter(), "ai_level": Counter(), "status": Counter()})
    seen: set[tuple[int, bytes | str]] = set()
    linked: dict[str, set[bytes]] = defaultdict(set)
    hashes: dict[str, list[Any]] = defaultdict(list)
    hash_seen: set[tuple[str, str]] = set()
    for account, sha, status, value, sha256, md5 in conn.execute(text(
            "SELECT DISTINCT c.account_id, f.media_sha256, f.status, i.value, f.sha256, f.md5 "
            "FROM platform_content c JOIN platform_files f ON f.case_id = c.case_id AND "
            "f.identifier_id = c.file_id JOIN platform_identifiers i ON i.id = c.file_id "
            "WHERE c.case_id = :case"), {"case": ctx.case}):
        person = ctx.person_of.get(int(account))
        if person is None:
            continue
        folder = ctx.folder_of[person]
        key: bytes | str = bytes(sha) if sha is not None else str(value)
        if (person, key) not in seen:
            seen.add((person, key))
            counts = per_person[person]
            counts["status"][status] += 1
            if sha is not None:
                counts["category"][categories.get(bytes(sha), "not categorised")] += 1
                counts["ai_level"][levels.get(bytes(sha)) or "not assessed"] += 1
        if sha is not None:
            linked[folder].add(bytes(sha))
        if (folder, str(value)) not in hash_seen:
            hash_seen.add((folder, str(value)))
            hashes[folder].append([value, status, bytes(sha256).hex() if sha256 else "",
                                   bytes(md5).hex() if md5 else "",
                                   bytes(sha).hex() if sha else ""])
    return per_person, linked, hashes


def _chart(path: Path, people: list[Any], accounts: dict[int, list[dict[str, Any]]],
           links: dict[int, list[dict[str, Any]]]) -> None:
    from anxwritter import ANXChart

    chart = ANXChart()
    shown: set[str] = set()

    def icon(ident: str, kind: str, label: str, **attributes: Any) -> None:
        if ident not in shown:
            shown.add(ident)
            chart.add_icon(id=ident, type=kind, label=label[:120],
                           attributes={k: str(v) for k, v in attributes.items() if v})

    for person in people:
        pid = f"person-{person.id}"
        icon(pid, "Person", person.label, Role=person.role, Country=person.country or "",
             Confidence=person.confidence)
        for row in accounts.get(person.id, []):
            aid = f"account-{row['account_id']}"
            icon(aid, "Account", row.get("username") or str(row["platform_id"]),
                 PlatformId=row["platform_id"], Email=row.get("email") or "")
            chart.add_link(from_id=pid, to_id=aid, type="Holds", label="account")
        for link in links.get(person.id, []):
            a, b = f"account-{link['account_a']}", f"account-{link['account_b']}"
            if a not in shown or b not in shown:
                continue
            kinds = ", ".join(sorted({p["kind"] for p in link["evidence"]}))
            chart.add_link(from_id=a, to_id=b, type="Same person?" if not link["merged"]
                           else "Same person", label=f"{kinds} ({link['strength']:.2f})")
    path_str = str(path.with_suffix(""))
    chart.to_anx(path_str)


def _prevention(person: Any, accounts: list[dict[str, Any]], payments: list[dict[str, Any]],
                content: list[dict[str, Any]]) -> dict[str, Any]:
    stats = person.stats or {}
    why = []
    if stats.get("payments"):
        paid = ", ".join(f"{v:g} {k}" for k, v in (stats.get("paid") or {}).items())
        why.append(f"paid {stats['payments']} time(s){f' ({paid})' if paid else ''}")
    watched = sum(int(stats.get(k, 0)) for k in ("view", "download", "categorise"))
    if watched:
        why.append(f"viewed/downloaded/categorised {watched} file(s)")
    evidence = [f"payment {p['payment_id']} ({p['source']} line {p['src_line']})"
                for p in payments[:CAMPAIGN_EVIDENCE]]
    evidence += [f"{c['action']} {c['content_id']} ({c['source']} line {c['src_line']})"
                 for c in content[:CAMPAIGN_EVIDENCE]]
    measure = "knock-and-talk" if person.role == "payer" and person.confidence in (
        "high", "medium") else "warning letter"
    return {"person_id": person.id, "who": person.label,
            "usernames": sorted({a["username"] for a in accounts if a.get("username")}),
            "emails": sorted({a["email"] for a in accounts if a.get("email")}),
            "role": person.role, "why": "; ".join(why), "evidence": evidence,
            "country_confidence": person.confidence, "suggested_measure": measure}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _manifest(folder: Path, about: dict[str, Any]) -> int:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    entries = [{"path": p.relative_to(folder).as_posix(), "size": p.stat().st_size,
                "sha256": _sha256(p)} for p in files]
    (folder / "manifest.json").write_text(json.dumps(
        {**about, "files": entries}, indent=1, ensure_ascii=False), encoding="utf-8")
    (folder / "SHA256SUMS").write_text("".join(f"{e['sha256']}  {e['path']}\n"
                                               for e in entries), encoding="utf-8")
    return len(entries) + 2


def write_packages(ws: Workspace, case: int, out: Path, pdf: bool = True,
                   chromium: str = CHROMIUM,
                   progress: Callable[[int], None] | None = None) -> PackagesOutcome:
    if out.exists() and any(out.iterdir()):
        raise PackageError(f"{out}: exists and is not empty; packages go into a new folder")
    staging = out.with_name(f".{out.name}.partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    outcome = PackagesOutcome(out)
    clock = time.perf_counter()
    try:
        with ws.engine.connect() as conn, big_cache(conn), ExitStack() as stack:
            ctx = _load(conn, ws, case)
            kept = _records(conn, ctx, staging, stack, progress)
            links = _links(conn, ctx, staging, stack)
            stack.close()
            outcome.seconds["records"] = round(time.perf_counter() - clock, 2)
            media, linked, hashes = _media_counts(conn, ws, ctx)
        outcome.seconds["media"] = round(time.perf_counter() - clock, 2)
        by_folder: dict[str, list[Any]] = defaultdict(list)
        for person in ctx.persons.values():
            by_folder[ctx.folder_of[person.id]].append(person)
        for folder, people in sorted(by_folder.items()):
            people.sort(key=_order)
            _country(ws, ctx, staging / folder, folder, people, kept, links, media,
                     linked.get(folder, set()), hashes.get(folder, []), pdf, chromium)
            outcome.countries[folder] = len(people)
        outcome.seconds["countries"] = round(time.perf_counter() - clock, 2)
        for folder in outcome.countries:
            outcome.files += _manifest(staging / folder, {
                "case": ctx.name, "country": folder, "generator": f"Cumberland {__version__}",
                "written_at": _iso(time.time())})
        (staging / "index.json").write_text(json.dumps({
            "case": ctx.name, "countries": outcome.countries}, indent=1), encoding="utf-8")
        outcome.files += _manifest(staging, {"case": ctx.name, "generator":
                                             f"Cumberland {__version__}"})
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    outcome.seconds["total"] = round(time.perf_counter() - clock, 2)
    return outcome


def _country(ws: Workspace, ctx: _Case, folder: Path, name: str, people: list[Any],
             kept: dict[str, dict[int, list[dict[str, Any]]]],
             links: dict[int, list[dict[str, Any]]], media: dict[int, dict[str, Any]],
             linked: set[bytes], hashes: list[Any], pdf: bool, chromium: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    accounts = kept["accounts"]
    with (folder / "persons.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["rank", "person_id", "label", "role", "country", "confidence",
                      "accounts", "uploads_unknown", "uploads", "payments", "views",
                      "downloads", "logins", "first_seen", "last_seen", "conflicting_signals"])
        for rank, p in enumerate(people, 1):
            s = p.stats or {}
            out.writerow([rank, p.id, p.label, p.role, p.country or "", p.confidence,
                          s.get("accounts", 0), s.get("upload_unknown", 0), s.get("upload", 0),
                          s.get("payments", 0), s.get("view", 0), s.get("download", 0),
                          s.get("logins", 0), _iso(s.get("first")), _iso(s.get("last")),
                          ", ".join((p.attribution or {}).get("disagree", []))])
    with (folder / "persons.json").open("w", encoding="utf-8") as fh:
        fh.write("[\n")
        for i, p in enumerate(people):
            counts = media.get(p.id)
            record = {"rank": i + 1, "person_id": p.id, "label": p.label, "role": p.role,
                      "country": p.country, "confidence": p.confidence,
                      "attribution": p.attribution, "stats": p.stats,
                      "accounts": [a["account_id"] for a in accounts.get(p.id, [])] or None,
                      "links": links.get(p.id, []),
                      "linked_media": {k: dict(v) for k, v in counts.items()} if counts
                      else {}}
            fh.write(("," if i else "") + json.dumps(record, ensure_ascii=False,
                                                      default=_json_default) + "\n")
        fh.write("]\n")
    top = [p for p in people[:TOP] if p.role != "member"]
    campaign = [_prevention(p, accounts.get(p.id, []), kept["payments"].get(p.id, []),
                            kept["content"].get(p.id, []))
                for p in people if p.role in CAMPAIGN_ROLES]
    (folder / "prevention.json").write_text(json.dumps(campaign, indent=1, ensure_ascii=False),
                                            encoding="utf-8")
    with (folder / "prevention.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["person_id", "who", "usernames", "emails", "role", "why", "evidence",
                      "country_confidence", "suggested_measure"])
        for c in campaign:
            out.writerow([c["person_id"], c["who"], "; ".join(c["usernames"]),
                          "; ".join(c["emails"]), c["role"], c["why"], " | ".join(c["evidence"]),
                          c["country_confidence"], c["suggested_measure"]])
    with (folder / "media-hashes.csv").open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["platform_file", "status", "sha256", "md5", "case_media_sha256"])
        out.writerows(hashes)
    write_vics(ws, ctx.case, folder / "media-vics.json", only=linked)
    _chart(folder / "chart.anx", top, accounts, links)
    html = _env.get_template("referral.html").render(
        case=ctx.name, country=name, people=top[:DETAILED], ranked=top, total=len(people),
        kept=kept, links=links,
        media=media, linked=len(linked), hashes=len(hashes), campaign=len(campaign),
        roles=Counter(p.role for p in people), iso=_iso, timeline=TIMELINE,
        payments_shown=PAYMENTS_SHOWN, generated=_iso(time.time()), version=__version__)
    (folder / "referral.html").write_text(html, encoding="utf-8")
    if pdf:
        html_to_pdf(html, folder / "referral.pdf", chromium)
