"""Web workbench commands: serve, users and membership, audit verification, exports."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Annotated

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

user_app = typer.Typer(help="Web users and case membership.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
export_app = typer.Typer(help="Exports of reviewed cases.", no_args_is_help=True)
report_app = typer.Typer(help="Case reports.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")

CaseOpt = Annotated[str, typer.Option("--case", help="Case name.")]


@app.command()
def serve(
    workspace: WorkspaceOpt = DEFAULT_WS,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow binding to a non-loopback address (put TLS in front).")
    ] = False,
    idle_minutes: Annotated[int, typer.Option(help="Log out after this long idle.")] = 15,
    db: DbOpt = None,
) -> None:
    """Start the review workbench (loopback only unless --allow-remote)."""
    import uvicorn

    from cumberland.web import create_app
    from cumberland.web.security import WebConfig, is_loopback

    remote = not is_loopback(host)
    if remote and not allow_remote:
        fail(f"{host} is not a loopback address; pass --allow-remote to serve it beyond this "
             "machine (behind a TLS proxy)")
    config = WebConfig(idle_timeout=idle_minutes * 60, secure_cookies=remote)
    ws = open_workspace(workspace, db)
    console.print(f"Cumberland workbench on http://{host}:{port}/ (Ctrl+C stops)",
                  highlight=False)
    uvicorn.run(create_app(ws, config), host=host, port=port, log_level="warning",
                proxy_headers=False, server_header=False)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[str, typer.Option(help="admin|investigator|reviewer|auditor")] = "reviewer",
    password: Annotated[str | None, typer.Option(
        help="Password (default: $CUMBERLAND_PASSWORD, else asked).")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Create a user with an argon2-hashed password."""
    from cumberland.store import accounts, audit

    secret = password or os.environ.get("CUMBERLAND_PASSWORD")
    if not secret:
        secret = getpass.getpass("password: ")
        if secret != getpass.getpass("again: "):
            fail("the two passwords differ")
    ws = open_workspace(workspace, db)
    try:
        accounts.add_user(ws, name, role, secret)
    except accounts.AccountError as exc:
        fail(str(exc))
    audit.append(ws, "cli", "user-add", target=name, details={"role": role})
    console.print(f"user {name} ({role}) created", highlight=False)


@user_app.command("grant")
def user_grant(
    name: Annotated[str, typer.Argument(help="Login name.")],
    case: CaseOpt,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Make a user a member of a case (nobody else sees it)."""
    from cumberland.store import accounts, audit

    ws = open_workspace(workspace, db)
    try:
        accounts.grant(ws, name, case)
    except accounts.AccountError as exc:
        fail(str(exc))
    audit.append(ws, "cli", "grant", target=name, details={"case": case})
    console.print(f"{name} is a member of case {case}", highlight=False)


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[str | None, typer.Option(
        help="A last hash printed by an earlier verify: the chain must still reach it.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Walk the hash chain; exit 1 at the first edited or missing entry."""
    from cumberland.store import audit

    verdict = audit.verify(open_workspace(workspace, db), anchor=anchor)
    if not verdict.ok:
        console.print(f"[bold red]audit chain broken[/] at entry {verdict.bad_id}: "
                      f"{verdict.reason}", highlight=False)
        raise typer.Exit(1)
    console.print(f"audit chain intact: {verdict.rows:,} entries, last hash {verdict.last_hash}",
                  highlight=False, soft_wrap=True)


def _case(workspace: Path, db: str | None, case: str) -> tuple[object, int]:
    from cumberland.store.writer import case_id

    ws = open_workspace(workspace, db)
    try:
        return ws, case_id(ws, case, create=False)
    except LookupError as exc:
        fail(str(exc))


@export_app.command("vics")
def export_vics(
    case: CaseOpt,
    out: Annotated[Path, typer.Option("--out", help="File to write.")],
    profile: Annotated[str, typer.Option(help="VICS 2.0 profile: US or UK.")] = "US",
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Export the case's categorised media as a VICS 2.0 case file."""
    from cumberland.reports.vics_export import write_vics
    from cumberland.store import audit
    from cumberland.store.workspace import Workspace

    ws, cid = _case(workspace, db, case)
    assert isinstance(ws, Workspace)
    try:
        outcome = write_vics(ws, cid, out, profile)
    except (ValueError, OSError) as exc:
        fail(str(exc))
    audit.append(ws, "cli", "export-vics", cid, str(out),
                 {"media": outcome.media, "files": outcome.files, "scheme": outcome.scheme})
    console.print(f"{out}: {outcome.media:,} media, {outcome.files:,} files "
                  f"({outcome.scheme})", highlight=False)


@report_app.command("pdf")
def report_pdf(
    case: CaseOpt,
    out: Annotated[Path | None, typer.Option("--out", help="PDF to write.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Print the case report (with charts) to PDF through headless Chromium."""
    from cumberland.reports.pdf import PdfError, case_report_pdf
    from cumberland.store import audit
    from cumberland.store.workspace import Workspace

    ws, cid = _case(workspace, db, case)
    assert isinstance(ws, Workspace)
    target = out or (workspace / "reports" / case / "report.pdf")
    try:
        case_report_pdf(ws, cid, target)
    except PdfError as exc:
        fail(str(exc))
    audit.append(ws, "cli", "export-pdf", cid, str(target))
    console.print(f"report: {target}", highlight=False)
