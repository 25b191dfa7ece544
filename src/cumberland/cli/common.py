"""Shared pieces of the command line: the Typer app, consoles, options, error exit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from cumberland.store.workspace import Workspace

app = typer.Typer(help="Cumberland: triage seized media against known material.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
hashset_app = typer.Typer(help="Known-hash sets.", no_args_is_help=True)
case_app = typer.Typer(help="Cases in a workspace.", no_args_is_help=True)
demo_app = typer.Typer(help="Benign demo evidence.", no_args_is_help=True)
app.add_typer(hashset_app, name="hashset")
app.add_typer(case_app, name="case")
app.add_typer(demo_app, name="demo")

console = Console()
err = Console(stderr=True)

WorkspaceOpt = Annotated[Path, typer.Option(
    "--workspace", "-w", envvar="CUMBERLAND_WORKSPACE", help="Workspace directory.")]
DbOpt = Annotated[str | None, typer.Option(
    "--db", envvar="CUMBERLAND_DB", help="Database URL (default: SQLite in the workspace).")]
DEFAULT_WS = Path("cumberland-workspace")

# Options of every command that fingerprints and matches (triage, enrich, inspect, deconflict)
ActorOpt = Annotated[str, typer.Option("--actor", help="Who is acting (for the audit log).")]
ReportDirOpt = Annotated[Path | None, typer.Option(help="Where report.html/json go.")]
WorkersOpt = Annotated[int, typer.Option(help="Worker processes (0: one per core).")]
ClusterOpt = Annotated[str | None, typer.Option(
    help="Run on Dask: local:N (a local cluster) or tcp://HOST:8786 (a scheduler).")]
PdqDistanceOpt = Annotated[int, typer.Option(help="PDQ match radius in bits.")]
PdqQualityOpt = Annotated[int, typer.Option(help="Minimum PDQ quality to match.")]
LibraryOpt = Annotated[list[str] | None, typer.Option(
    "--library", help="Reference library for the full cascade (default: all).")]
TrustAnchorsOpt = Annotated[Path | None, typer.Option(
    help="PEM file of C2PA trust anchors.")]
PluginsOpt = Annotated[Path | None, typer.Option(
    help="Folder of ONNX plug-ins (each is a signal too).")]


def fail(message: str) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(2)


@contextmanager
def workspace_errors(path: Path) -> Iterator[None]:
    """A full disk under the workspace (or its database server) is one line naming the
    workspace, never a traceback that prints SQL and the values bound to it (hashes)."""
    try:
        yield
    except (typer.Exit, KeyboardInterrupt):
        raise
    except Exception as exc:
        from cumberland.store.workspace import storage_full

        why = storage_full(exc)
        if why is None:
            raise
        err.print(f"[bold red]error:[/] workspace {path.absolute()}: {why}; free space there "
                  "and run the same command again to resume", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


def open_workspace(path: Path, db: str | None) -> Workspace:
    """The workspace (imported here: the store and migrations cost ~0.4 s to load, which
    commands like --help need not pay)."""
    from cumberland.store.workspace import Workspace

    return Workspace(path, db)


