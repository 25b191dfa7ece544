"""Trace An Object: candidate objects, their approval by a second person, the public site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

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

objects_app = typer.Typer(help="Trace An Object: objects cut out of pictures, published.",
                          no_args_is_help=True)
app.add_typer(objects_app, name="objects")

UserOpt = Annotated[str, typer.Option("--user", help="Who is acting (a workbench user).")]
ObjectArg = Annotated[str, typer.Argument(metavar="ID", help="The object's public id.")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Why (kept in the audit log).")]


def say(text: str) -> None:
    console.print(text, highlight=False, soft_wrap=True)


@objects_app.command("add")
def add(
    case: Annotated[str, typer.Option("--case", help="Case name.")],
    media: Annotated[str, typer.Option("--media", help="SHA-256 of the picture.")],
    region: Annotated[str, typer.Option("--region", help="x,y,w,h in the upright picture.")],
    title: Annotated[str, typer.Option("--title", help="What the object is, for the public.")],
    category: Annotated[str, typer.Option(
        "--category", help="bag, clothing, toy, logo, packaging, furniture, view or other.")],
    user: UserOpt,
    polygon: Annotated[str | None, typer.Option(
        "--polygon", help="Corners x1,y1 x2,y2 ... around the object: outside is painted over."
    )] = None,
    fill: Annotated[str, typer.Option(
        "--fill", help="Outside the polygon: flat (grey) or blur (heavy).")] = "flat",
    hint: Annotated[list[str] | None, typer.Option(
        "--hint", help="A hint question shown with the object; repeatable.")] = None,
    language: Annotated[list[str] | None, typer.Option(
        "--language", help="Language of the title and hints (ISO 639); repeatable.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Cut a candidate object out of a case's picture, re-encoded with no metadata."""
    from cumberland.intel.trace.objects import Draft, ObjectError, add_object
    from cumberland.settings import Settings

    ws = open_workspace(workspace, db)
    draft = Draft(case=case, media=media.lower(), region=region, title=title,
                  category=category, polygon=polygon, fill=fill, hints=tuple(hint or ()),
                  languages=tuple(language or ("en",)))
    try:
        obj = add_object(ws, draft, user, Settings())
    except ObjectError as exc:
        fail(str(exc))
    checks = obj.checks
    say(f"object {obj.public_id} ({obj.width}x{obj.height}): candidate; faces: "
        f"{checks['faces']['status']}, alert sets: {checks['alerts']['status']}")
    if checks["faces"]["status"] != "clear":
        err.print(f"note: {checks['faces']['note']}", highlight=False, soft_wrap=True)


@objects_app.command("approve")
def approve_cmd(
    object_id: ObjectArg,
    user: UserOpt,
    override_faces: Annotated[bool, typer.Option(
        "--override-faces", help="Approve although the face check did not pass (you looked: "
        "no face is shown); needs --note.")] = False,
    note: NoteOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Approve someone else's candidate object for publishing (approver role)."""
    from cumberland.intel.trace.objects import ObjectError, approve
    from cumberland.settings import Settings

    ws = open_workspace(workspace, db)
    try:
        obj = approve(ws, object_id, user, Settings(), override_faces, note)
    except ObjectError as exc:
        fail(str(exc))
    say(f"object {obj.public_id} approved by {obj.approved_by}")


@objects_app.command("withdraw")
def withdraw_cmd(
    object_id: ObjectArg,
    user: UserOpt,
    note: NoteOpt = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Withdraw an object: the next publish leaves it out of the site and the feed."""
    from cumberland.intel.trace.objects import ObjectError, withdraw

    ws = open_workspace(workspace, db)
    try:
        obj = withdraw(ws, object_id, user, note)
    except ObjectError as exc:
        fail(str(exc))
    say(f"object {obj.public_id} withdrawn; publish again to take it off the site")


@objects_app.command("list")
def list_cmd(
    case: Annotated[str, typer.Option("--case", help="Case name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """The case's objects and where each stands."""
    from rich.table import Table

    from cumberland.intel.trace.objects import ObjectError, case_id, case_objects, summary

    ws = open_workspace(workspace, db)
    try:
        rows = [summary(o) for o in case_objects(ws, case_id(ws, case))]
    except ObjectError as exc:
        fail(str(exc))
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("id", "state", "category", "title", "faces", "alerts", "made by",
                  "approved by", "published")
    for r in rows:
        override = " (overridden)" if r["face_override"] else ""
        table.add_row(r["id"], r["state"], r["category"], r["title"], f"{r['faces']}{override}",
                      r["alerts"], r["created_by"], r["approved_by"] or "",
                      "yes" if r["published_at"] else "")
    console.print(table)


@objects_app.command("publish")
def publish_cmd(
    case: Annotated[list[str], typer.Option("--case", help="Case name; repeatable.")],
    out: Annotated[Path, typer.Option("--out", help="Folder of the site (replaced).")],
    tips_url: Annotated[str, typer.Option(
        "--tips-url", help="Where the tip forms post: the tips server's /tip URL.")],
    user: Annotated[str | None, typer.Option("--user", help="Who is publishing.")] = None,
    pow_bits: Annotated[int, typer.Option(
        "--pow-bits", help="Proof-of-work difficulty of the tip form (leading zero bits).")
    ] = 18,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Write the static site and its feed (objects.json) of the approved objects."""
    from cumberland.intel.trace.objects import ObjectError
    from cumberland.intel.trace.publish import publish
    from cumberland.intel.trace.site import SiteError
    from cumberland.settings import Settings

    ws = open_workspace(workspace, db)
    try:
        done = publish(ws, case, out, tips_url, user, Settings(), pow_bits)
    except (ObjectError, SiteError) as exc:
        fail(str(exc))
    for public_id, why in done.held:
        err.print(f"held back: {public_id}: {why}", highlight=False, soft_wrap=True)
    say(f"published {len(done.objects)} object(s) to {done.out} (objects.json SHA-256 "
        f"{done.feed_sha256})")
