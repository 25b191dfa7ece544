"""``cumberland find``: the media showing an object or a scene (region search)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from cumberland.cli.common import (
    DEFAULT_WS,
    DbOpt,
    WorkspaceOpt,
    app,
    console,
    err,
    fail,
    open_workspace,
    workspace_errors,
)
from cumberland.settings import Settings


@app.command()
def find(
    case: Annotated[str, typer.Option(help="Case the search starts from.")],
    media: Annotated[str | None, typer.Option(
        help="SHA-256 (hex) of an image of the case to draw the region on.")] = None,
    image: Annotated[Path | None, typer.Option(
        help="A picture brought to the case (a hotel room, a product) instead of --media.")
    ] = None,
    region: Annotated[str | None, typer.Option(
        help="x,y,w,h in pixels of the picture (default with --image: all of it).")] = None,
    user: Annotated[str | None, typer.Option(
        "--user", help="Search only the cases this user is a member of (login name).")] = None,
    limit: Annotated[int, typer.Option(help="At most this many results.")] = 50,
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Media of this case and every case you may see that show the region, ranked by the
    inliers of a verified match, each with the region's outline in it."""
    from cumberland.matching import scenes
    from cumberland.store.accounts import AccountError, user_id

    if (media is None) == (image is None):
        fail("give one of --media SHA256 or --image FILE")
    settings = Settings()
    note = None
    try:
        box = scenes.parse_region(region) if region is not None else None
        if media is not None and box is None:
            fail("--media needs --region x,y,w,h")
        with workspace_errors(workspace):
            ws = open_workspace(workspace, db)
            cases = scenes.cases_for(ws, case, user_id(ws, user) if user else None)
            if media is not None and box is not None:
                try:
                    digest = bytes.fromhex(media)
                except ValueError:
                    digest = b""
                if len(digest) != 32:
                    fail(f"--media {media!r} is not a SHA-256 (64 hex digits)")
                query, note = scenes.media_query(ws, case, digest, box, settings)
            else:
                assert image is not None
                query = scenes.image_query(image, box, settings)
            found = scenes.search(ws, query, cases, limit)
    except (scenes.SearchError, AccountError) as exc:
        fail(str(exc))
    if note:
        err.print(f"note: {note}", highlight=False, soft_wrap=True)
    if json_out:
        print(scenes.dumps(found, query))
        return
    console.print(f"{len(found.hits)} media show the region ({found.nominated} of "
                  f"{found.pictures:,} pictures verified; cases: {', '.join(found.cases)})",
                  highlight=False, soft_wrap=True)
    if not found.hits:
        return
    table = Table()
    for column in ("sha256", "kind", "inliers", "at", "cases", "outline"):
        table.add_column(column, no_wrap=column == "sha256")
    for h in found.hits:
        outline = " ".join(f"{x:.0f},{y:.0f}" for x, y in h.outline)
        table.add_row(h.sha256.hex(), h.kind, str(h.inliers),
                      "" if h.at is None else f"{h.at:.1f}s", ", ".join(h.cases), outline)
    console.print(table)
