"""``cumberland platform``: a seized platform's records, from the dump to country packages."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress as RichProgress
from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

from cumberland.cli.common import (
    DEFAULT_WS,
    DbOpt,
    WorkspaceOpt,
    app,
    console,
    err,
    fail,
    open_workspace,
)

if TYPE_CHECKING:
    from cumberland.store.workspace import Workspace

platform_app = typer.Typer(help="A seized platform's records: import, resolve, package.",
                           no_args_is_help=True)
app.add_typer(platform_app, name="platform")

CaseOpt = Annotated[str, typer.Option("--case", help="Case name.")]


@platform_app.command("import")
def platform_import(
    dump: Annotated[Path, typer.Argument(help="CSV/JSON Lines folder or file, SQLite file, "
                                              "or MySQL/PostgreSQL dump file.")],
    mapping: Annotated[Path, typer.Option("--mapping", help="TOML mapping file.")],
    case: CaseOpt,
    skip_bad_rows: Annotated[bool, typer.Option(
        "--skip-bad-rows", help="Skip and count malformed rows instead of stopping.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Import a platform's records into a case (streaming, one transaction)."""
    from cumberland.cli.main import RateColumn
    from cumberland.intel.platform.importer import PlatformImportError, import_platform
    from cumberland.intel.platform.mapping import MappingError, load_mapping
    from cumberland.store.writer import case_id

    try:
        parsed = load_mapping(mapping)
    except MappingError as exc:
        fail(str(exc))
    if not dump.exists():
        fail(f"{dump}: no such file or folder")
    ws = open_workspace(workspace, db)
    columns = (SpinnerColumn(), TextColumn("{task.description}"),
               TextColumn("{task.completed:,.0f} rows"), RateColumn("rows"),
               TimeElapsedColumn())
    try:
        with RichProgress(*columns, console=err, transient=True) as bar:
            task = bar.add_task(f"importing {dump.name}", total=None)
            out_case = case_id(ws, case)
            out = import_platform(ws, out_case, dump, parsed, skip_bad_rows,
                                  lambda count: bar.advance(task, count))
    except PlatformImportError as exc:
        fail(str(exc))
    from cumberland.store import audit

    audit.append(ws, _actor(), "platform-import", out_case, str(dump),
                 {"import_id": out.import_id, "rows": out.rows, "skipped": out.skipped,
                  "mapping": str(mapping)})
    for line in out.skipped_examples[:20]:
        err.print(f"skipped {line}", highlight=False, soft_wrap=True)
    total = sum(out.rows.values())
    detail = ", ".join(f"{name} {count:,}" for name, count in out.rows.items())
    console.print(f"import {out.import_id}: {total:,} rows ({detail}) in {out.seconds:.1f} s"
                  f"; {out.skipped:,} bad rows skipped; {out.stubs:,} accounts referenced "
                  "but not defined", highlight=False, soft_wrap=True)
    for field, count in out.unusable.items():
        console.print(f"  {count:,} {field} values not usable as identifiers (kept as text)",
                      highlight=False)


GeoipOpt = Annotated[Path | None, typer.Option(
    "--geoip", help="Offline GeoIP database (MaxMind or DB-IP .mmdb).")]


def _case(ws: Workspace, case: str) -> int:
    from cumberland.store.writer import case_id

    try:
        return case_id(ws, case, create=False)
    except LookupError as exc:
        fail(str(exc))


@platform_app.command("resolve")
def platform_resolve(
    case: CaseOpt,
    geoip: GeoipOpt = None,
    transactions: Annotated[Path | None, typer.Option(
        "--transactions", help="CSV of crypto transaction inputs and outputs (txid, "
                               "direction, address[, amount][, label]).")] = None,
    window_hours: Annotated[float, typer.Option(
        help="Two accounts on one IP count only within this many hours.")] = 24.0,
    engine: Annotated[str, typer.Option(help="Grouping engine: store|polars|duckdb|pandas."
                                        )] = "store",
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Link activity to the case's media, resolve accounts into persons, attribute
    countries."""
    from cumberland.intel.platform.analyse import analyse
    from cumberland.intel.platform.geo import GeoIPError
    from cumberland.intel.platform.resolution import Rules
    from cumberland.intel.platform.transactions import TransactionFileError

    ws = open_workspace(workspace, db)
    case_id = _case(ws, case)
    try:
        out = analyse(ws, case_id, geoip, transactions, Rules(window_hours=window_hours),
                      engine)
    except (GeoIPError, TransactionFileError, ValueError) as exc:
        fail(str(exc))
    res = out.resolution
    from cumberland.store import audit

    audit.append(ws, _actor(), "platform-resolve", case_id, None,
                 {"geoip": str(geoip) if geoip else None,
                  "transactions": str(transactions) if transactions else None,
                  "persons": res.persons, "links": res.links, "joined": res.merged})
    media = ", ".join(f"{k} {v:,}" for k, v in out.media.items())
    console.print(f"files: {media}", highlight=False)
    if out.geo:
        console.print(f"IPs located: {out.geo['located']:,} (unknown {out.geo['unknown']:,})",
                      highlight=False)
    hubs = ", ".join(f"{k} {v:,}" for k, v in res.hubs.items()) or "none"
    console.print(f"{res.accounts:,} accounts -> {res.persons:,} persons; {res.links:,} links "
                  f"({res.merged:,} joined); shared identifiers not used (hubs): {hubs}",
                  highlight=False)


def _actor() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@platform_app.command("link")
def platform_link(
    decision: Annotated[str, typer.Argument(help="confirm or cut.")],
    account_a: Annotated[int, typer.Argument(help="Account id (as `platform persons` shows).")],
    account_b: Annotated[int, typer.Argument(help="The other account id.")],
    case: CaseOpt,
    note: Annotated[str | None, typer.Option(help="Why (kept with the decision).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Confirm or cut the link between two accounts (audited; kept across re-runs)."""
    from cumberland.intel.platform.resolution import review_link
    from cumberland.store import audit

    if decision not in ("confirm", "cut"):
        fail("decision must be confirm or cut")
    ws = open_workspace(workspace, db)
    case_id = _case(ws, case)
    verdict = "confirmed" if decision == "confirm" else "cut"
    try:
        accounts, persons = review_link(ws, case_id, account_a, account_b, verdict, _actor(),
                                        note)
    except (LookupError, ValueError) as exc:
        fail(str(exc))
    audit.append(ws, _actor(), f"platform-link-{decision}", case_id,
                 f"accounts {min(account_a, account_b)}-{max(account_a, account_b)}",
                 {"note": note})
    console.print(f"link {account_a}-{account_b} {verdict}; {accounts:,} accounts -> "
                  f"{persons:,} persons", highlight=False)


@platform_app.command("packages")
def platform_packages(
    case: CaseOpt,
    out: Annotated[Path, typer.Option("--out", help="New folder for the packages.")],
    geoip: GeoipOpt = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Skip printing the PDFs.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Write one referral package per country (PDF, CSV/JSON records, i2 chart, VICS,
    prevention list, manifest)."""
    from cumberland.intel.platform.analyse import analyse
    from cumberland.intel.platform.geo import GeoIPError
    from cumberland.intel.platform.packages import PackageError, write_packages
    from cumberland.reports.pdf import PdfError
    from cumberland.store import audit
    from cumberland.store.platform_models import PlatformPerson

    ws = open_workspace(workspace, db)
    case_id = _case(ws, case)
    try:
        with ws.session() as session:
            resolved = session.query(PlatformPerson.id).filter(
                PlatformPerson.case_id == case_id).first() is not None
        if geoip is not None or not resolved:
            analyse(ws, case_id, geoip)
        outcome = write_packages(ws, case_id, out, pdf=not no_pdf)
    except (PackageError, GeoIPError, PdfError) as exc:
        fail(str(exc))
    audit.append(ws, _actor(), "platform-packages", case_id, str(out),
                 {"countries": outcome.countries})
    for folder, persons in sorted(outcome.countries.items()):
        console.print(f"{out / folder}: {persons:,} persons", highlight=False)
    console.print(f"{outcome.files:,} files, manifests with SHA-256 in each folder",
                  highlight=False)
