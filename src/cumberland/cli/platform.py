"""``cumberland platform``: a seized platform's records, from the dump to country packages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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
            out = import_platform(ws, case_id(ws, case), dump, parsed, skip_bad_rows,
                                  lambda count: bar.advance(task, count))
    except PlatformImportError as exc:
        fail(str(exc))
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
