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
from cumberland.records import Role

user_app = typer.Typer(help="Web users and case membership.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
export_app = typer.Typer(help="Exports of reviewed cases.", no_args_is_help=True)
report_app = typer.Typer(help="Case reports.", no_args_is_help=True)
app.add_typer(user_app, name="user")
app.add_typer(audit_app, name="audit")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")

CaseOpt = Annotated[str, typer.Option("--case", help="Case name.")]
_KEY_HELP = "The agency's Ed25519 audit key, kept outside the workspace (signs anchors)."
_ANCHORS_HELP = "The signed anchors file (default: KEY.anchors.jsonl beside the key)."
KeyOpt = Annotated[Path | None, typer.Option("--key", envvar="CUMBERLAND_AUDIT_KEY",
                                             help=_KEY_HELP + " For verify, KEY.pub will do.")]
AnchorsOpt = Annotated[Path | None, typer.Option("--anchors", envvar="CUMBERLAND_AUDIT_ANCHORS",
                                                 help=_ANCHORS_HELP)]
AuditKeyOpt = Annotated[Path | None, typer.Option("--audit-key", envvar="CUMBERLAND_AUDIT_KEY",
                                                  help=_KEY_HELP)]
AuditAnchorsOpt = Annotated[Path | None, typer.Option(
    "--audit-anchors", envvar="CUMBERLAND_AUDIT_ANCHORS", help=_ANCHORS_HELP)]


@app.command()
def serve(
    workspace: WorkspaceOpt = DEFAULT_WS,
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    allow_remote: Annotated[bool, typer.Option(
        "--allow-remote", help="Allow binding to a non-loopback address (put TLS in front).")
    ] = False,
    allowed_host: Annotated[list[str] | None, typer.Option(
        "--allowed-host", help="A host name browsers use to reach the server (the proxy's "
        "public name); repeatable. Loopback names are always allowed.")] = None,
    trusted_proxy: Annotated[list[str] | None, typer.Option(
        "--trusted-proxy", help="Address or network of a reverse proxy whose X-Forwarded-For "
        "and X-Forwarded-Proto are believed; repeatable.")] = None,
    secure_cookies: Annotated[bool | None, typer.Option(
        "--secure-cookies/--no-secure-cookies", help="Mark cookies Secure (default: on for a "
        "non-loopback bind or behind a trusted proxy; requests over https always get it).")
    ] = None,
    idle_minutes: Annotated[int, typer.Option(help="Log out after this long idle.")] = 15,
    audit_key: AuditKeyOpt = None,
    audit_anchors: AuditAnchorsOpt = None,
    anchor_minutes: Annotated[int, typer.Option(
        help="Write a signed anchor this often while the log grows.")] = 60,
    db: DbOpt = None,
) -> None:
    """Start the review workbench (loopback only unless --allow-remote)."""
    import uvicorn

    from cumberland.web import create_app
    from cumberland.web.security import LOOPBACK_NAMES, WebConfig, is_loopback

    remote = not is_loopback(host)
    if remote and not allow_remote:
        fail(f"{host} is not a loopback address; pass --allow-remote to serve it beyond this "
             "machine (behind a TLS proxy)")
    names = [*LOOPBACK_NAMES, *(allowed_host or [])]
    if remote and host not in ("0.0.0.0", "::"):
        names.append(host)
    proxies = tuple(trusted_proxy or ())
    if remote and host in ("0.0.0.0", "::") and not allowed_host:
        fail(f"binding {host} needs --allowed-host NAME: the name browsers use to reach it")
    ws = open_workspace(workspace, db)
    if audit_key is not None:
        from cumberland.store.anchors import AnchorError, check_outside, signing_key

        try:
            check_outside(audit_key, ws.root)
            signing_key(audit_key)
        except AnchorError as exc:
            fail(str(exc))
    config = WebConfig(
        idle_timeout=idle_minutes * 60, allowed_hosts=tuple(dict.fromkeys(names)),
        trusted_proxies=proxies,
        secure_cookies=(remote or bool(proxies)) if secure_cookies is None else secure_cookies,
        audit_key=audit_key, audit_anchors=audit_anchors, anchor_interval=anchor_minutes * 60)
    console.print(f"Cumberland workbench on http://{host}:{port}/ (Ctrl+C stops); answering "
                  f"for {', '.join(config.allowed_hosts)}", highlight=False)
    # Proxy headers are read by the app itself, from the proxies named here only.
    uvicorn.run(create_app(ws, config), host=host, port=port, log_level="warning",
                proxy_headers=False, server_header=False)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Login name.")],
    role: Annotated[Role, typer.Option(help="What the user may do.")] = Role.REVIEWER,
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
    audit.append(ws, "cli", "user-add", target=name, details={"role": role.value})
    console.print(f"user {name} ({role.value}) created", highlight=False)


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
        help="ID:HASH (or HASH) printed by an earlier verify: the chain must still hold it.")
    ] = None,
    key: KeyOpt = None,
    anchors: AnchorsOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Check the hash chain, the decisions against it and, with --key, the signed anchors;
    exit 1 naming what was found."""
    from cumberland.store.anchors import AnchorError, verify_all

    ws = open_workspace(workspace, db)
    try:
        report = verify_all(ws, anchor, key, anchors)
    except AnchorError as exc:
        fail(str(exc))
    if not report.ok:
        for finding in report.findings:
            console.print(f"[bold red]audit check failed:[/] {finding}", highlight=False,
                          soft_wrap=True)
        raise typer.Exit(1)
    signed = "" if report.anchors is None else f", {report.anchors:,} signed anchor(s) match"
    console.print(f"audit chain intact: {report.rows:,} entries, decisions match the log"
                  f"{signed}; last entry {report.last_id}, last hash {report.last_hash} "
                  f"(keep {report.last_id}:{report.last_hash} for --anchor)",
                  highlight=False, soft_wrap=True)


@audit_app.command("keygen")
def audit_keygen(
    out: Annotated[Path, typer.Option("--out", help="Private key to write (and OUT.pub).")],
    workspace: WorkspaceOpt = DEFAULT_WS,
) -> None:
    """Create the agency's Ed25519 audit key; keep it outside the workspace."""
    from cumberland.store.anchors import AnchorError, check_outside, generate_key

    try:
        check_outside(out, workspace.expanduser().resolve())
        pub = generate_key(out)
    except AnchorError as exc:
        fail(str(exc))
    console.print(f"private key {out} (mode 0600), public key {pub}", highlight=False)


@audit_app.command("anchor")
def audit_anchor(
    key: KeyOpt = None,
    anchors: AnchorsOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Sign an anchor of the chain's tail (run it from cron; the server and exports do too)."""
    from cumberland.store.anchors import AnchorError, write_anchor

    if key is None:
        fail("--key (or $CUMBERLAND_AUDIT_KEY) is needed to sign an anchor")
    try:
        done = write_anchor(open_workspace(workspace, db), key, anchors, "manual")
    except AnchorError as exc:
        fail(str(exc))
    console.print(f"anchored entry {done.entry} ({done.row_hash}) at {done.at}",
                  highlight=False)


def anchor_after_export(ws: object, key: Path | None, anchors: Path | None,
                        reason: str) -> None:
    """Every export ends with a signed anchor covering its own audit entry (with a key)."""
    from cumberland.store.anchors import AnchorError, write_anchor
    from cumberland.store.workspace import Workspace

    if key is None:
        return
    assert isinstance(ws, Workspace)
    try:
        done = write_anchor(ws, key, anchors, reason)
    except AnchorError as exc:
        fail(str(exc))
    console.print(f"audit anchored at entry {done.entry}", highlight=False)


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
    audit_key: AuditKeyOpt = None,
    anchors: AuditAnchorsOpt = None,
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
    anchor_after_export(ws, audit_key, anchors, "export-vics")


@report_app.command("pdf")
def report_pdf(
    case: CaseOpt,
    out: Annotated[Path | None, typer.Option("--out", help="PDF to write.")] = None,
    audit_key: AuditKeyOpt = None,
    anchors: AuditAnchorsOpt = None,
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
    anchor_after_export(ws, audit_key, anchors, "export-pdf")
