"""Trace An Object's tips: the public tips server, and tips brought into the case."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from cumberland.cli.common import (
    DEFAULT_WS,
    DbOpt,
    WorkspaceOpt,
    app,
    console,
    fail,
    open_workspace,
)

if TYPE_CHECKING:
    from cumberland.store.workspace import Workspace

tips_app = typer.Typer(help="Trace An Object: the tips server and tips from the public.",
                       no_args_is_help=True)
app.add_typer(tips_app, name="tips")

UserOpt = Annotated[str, typer.Option("--user", help="Who is acting (a workbench user).")]
TipsDbOpt = Annotated[Path, typer.Option(
    "--db", help="The tips server's database (never a case workspace's).")]


@tips_app.command("serve")
def serve(
    site: Annotated[Path, typer.Option("--site", help="A site written by objects publish.")],
    db: TipsDbOpt,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on.")] = 8080,
    plain_per_minute: Annotated[float, typer.Option(
        "--plain-per-minute", help="Tips a minute, all senders together, accepted without "
        "the proof of work (browsers without JavaScript).")] = 6.0,
    pow_per_second: Annotated[float, typer.Option(
        "--pow-per-second", help="Tips a second, all senders together, accepted with it.")
    ] = 2000.0,
) -> None:
    """Serve the site and take its tips (no addresses, user agents or cookies kept)."""
    from cumberland.tips.db import TipsDbError
    from cumberland.tips.feed import FeedError
    from cumberland.tips.server import Limits
    from cumberland.tips.server import serve as run

    if plain_per_minute <= 0 or pow_per_second <= 0:
        fail("rates must be positive")
    limits = Limits(pow_rate=pow_per_second, pow_burst=max(1.0, pow_per_second),
                    plain_rate=plain_per_minute / 60, plain_burst=max(1.0, plain_per_minute / 2))
    try:
        run(site, db, host, port, limits)
    except (FeedError, TipsDbError) as exc:
        fail(str(exc))


@tips_app.command("export")
def export(
    db: TipsDbOpt,
    out: Annotated[Path, typer.Option("--out", help="JSON Lines file to write.")],
) -> None:
    """Write the waiting tips to a file, for a tips server outside the agency network
    (bring the file in and run tips pull --file)."""
    from cumberland.tips.db import TipsDbError, export_lines, read_tips

    try:
        tips = read_tips(db)
    except TipsDbError as exc:
        fail(str(exc))
    with out.open("x", encoding="utf-8") as fh:
        fh.writelines(export_lines(tips))
    console.print(f"{len(tips)} tip(s) written to {out}", highlight=False)


def _read_file(path: Path) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    row = json.loads(line)
                    if not isinstance(row, dict):
                        raise ValueError("a line that is not a JSON object")
                    rows.append(row)
    except (OSError, UnicodeError, ValueError) as exc:
        fail(f"{path}: not a tips export (line {len(rows) + 1}: {str(exc)[:100]})")
    return rows


@tips_app.command("pull")
def pull(
    case: Annotated[str, typer.Option("--case", help="Case name.")],
    user: UserOpt,
    db: Annotated[Path | None, typer.Option(
        "--db", help="The tips server's database: pulled tips are moved out of it.")] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", help="A file written by tips export (instead of --db).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    ws_db: Annotated[str | None, typer.Option(
        "--workspace-db", envvar="CUMBERLAND_DB",
        help="The workspace's database URL (default: SQLite in the workspace).")] = None,
) -> None:
    """Bring new tips for the case's objects into the case (kept once, duplicates marked)."""
    from cumberland.intel.trace.objects import ObjectError
    from cumberland.intel.trace.tips import pull as take
    from cumberland.tips.db import TipsDbError, forget, read_tips

    if (db is None) == (file is None):
        fail("give the tips database (--db) or an exported file (--file)")
    try:
        rows = read_tips(db) if db is not None else _read_file(file)  # type: ignore[arg-type]
    except TipsDbError as exc:
        fail(str(exc))
    ws = open_workspace(workspace, ws_db)
    try:
        done = take(ws, case, rows, user)
    except ObjectError as exc:
        fail(str(exc))
    moved = forget(db, done.taken) if db is not None else 0
    for problem in done.refused:
        console.print(f"skipped: {problem}", highlight=False)
    console.print(f"{done.added} new tip(s), {done.duplicates} duplicate(s), {done.known} "
                  f"pulled before, {done.other_cases} for other cases"
                  + (f"; {moved} moved out of {db}" if db is not None else ""), highlight=False)


@tips_app.command("list")
def list_cmd(
    case: Annotated[str, typer.Option("--case", help="Case name.")],
    object_id: Annotated[str | None, typer.Option("--object", help="Only this object's.")
                         ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON, for the partner country.")
                       ] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="CSV, for the partner country.")
                      ] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """The case's tips with their state and notes."""
    from rich.table import Table

    from cumberland.intel.trace.objects import ObjectError
    from cumberland.intel.trace.tips import tips_of_case

    ws = open_workspace(workspace, db)
    try:
        rows = tips_of_case(ws, case, object_id)
    except ObjectError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if as_csv:
        writer = csv.writer(sys.stdout)
        writer.writerow(["uid", "object", "object_title", "media", "received", "lang", "state",
                         "duplicate_of", "text", "contact", "notes"])
        for r in rows:
            writer.writerow([r["uid"], r["object"], r["object_title"], r["media"],
                             r["received"], r["lang"], r["state"], r["duplicate_of"] or "",
                             r["text"], r["contact"] or "",
                             " | ".join(f"{n['author']}: {n['text']}" for n in r["notes"])])
        return
    table = Table("tip", "object", "received", "state", "text", "notes")
    for r in rows:
        state = r["state"] + (f" (repeats {r['duplicate_of'][:8]})" if r["duplicate_of"] else "")
        table.add_row(r["uid"][:8], r["object"], r["received"], state, r["text"][:200],
                      str(len(r["notes"])))
    console.print(table)


TipArg = Annotated[str, typer.Argument(metavar="TIP", help="The tip's id.")]


def _on_tip(workspace: Path, db: str | None, change: Callable[[Workspace], None],
            done: str) -> None:
    """Apply one audited change to a tip; a tip or value the store refuses is one line."""
    from cumberland.intel.trace.objects import ObjectError

    ws = open_workspace(workspace, db)
    try:
        change(ws)
    except ObjectError as exc:
        fail(str(exc))
    console.print(done, highlight=False)


@tips_app.command("state")
def state_cmd(
    uid: TipArg,
    state: Annotated[str, typer.Argument(help="new, useful, not-useful or passed-on.")],
    user: UserOpt,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Set a tip's state (audited)."""
    from cumberland.intel.trace.tips import set_state

    _on_tip(workspace, db, lambda ws: set_state(ws, uid, state, user), f"tip {uid}: {state}")


@tips_app.command("note")
def note_cmd(
    uid: TipArg,
    text: Annotated[str, typer.Argument(help="The note.")],
    user: UserOpt,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Add a note to a tip (audited)."""
    from cumberland.intel.trace.tips import add_note

    _on_tip(workspace, db, lambda ws: add_note(ws, uid, text, user), f"note added to tip {uid}")
