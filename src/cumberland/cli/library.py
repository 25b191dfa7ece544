"""Reference libraries: images the agency holds, matched with the full robust cascade."""

from __future__ import annotations

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

library_app = typer.Typer(help="Reference libraries (regime b of robust matching).",
                          no_args_is_help=True)
app.add_typer(library_app, name="library")


@library_app.command("add")
def library_add(
    folder: Annotated[Path, typer.Argument(help="Folder of reference images.")],
    name: Annotated[str, typer.Option(help="Library name.")],
    category: Annotated[int | None, typer.Option(help="Category of every image added.")] = None,
    category_scheme: Annotated[str | None, typer.Option(help="Category scheme.")] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Store FOLDER's images (hashes, region hashes, keypoints); re-adding adds only new ones."""
    from cumberland.matching.library import LibraryError, add_library

    if not folder.is_dir():
        fail(f"{folder}: no such folder")
    try:
        out = add_library(open_workspace(workspace, db), folder, name, category, category_scheme)
    except LibraryError as exc:
        fail(str(exc))
    for problem in out.problems:
        err.print(f"skipped {problem}", highlight=False, soft_wrap=True)
    console.print(f"library {out.name}: {out.added:,} images added, {out.already:,} already "
                  f"present, {len(out.problems):,} skipped", highlight=False)
