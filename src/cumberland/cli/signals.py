"""``cumberland signals list`` and ``cumberland enrich``: what is computed for each media,
and computing what an existing case is missing."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from cumberland.cli.common import (
    DEFAULT_WS,
    ClusterOpt,
    DbOpt,
    LibraryOpt,
    PdqDistanceOpt,
    PdqQualityOpt,
    PluginsOpt,
    ReportDirOpt,
    TrustAnchorsOpt,
    WorkersOpt,
    WorkspaceOpt,
    app,
    console,
    err,
    fail,
    workspace_errors,
)
from cumberland.cli.common import open_workspace as _open_workspace
from cumberland.settings import Settings

signals_app = typer.Typer(help="Registered signals.", no_args_is_help=True)
app.add_typer(signals_app, name="signals")

@signals_app.command("list")
def signals_list(
    json_out: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    plugins: PluginsOpt = None,
) -> None:
    """Every signal: name, version, media kinds, what it consumes, what it needs."""
    from cumberland.signals import registry
    from cumberland.signals.plugins import PluginError

    try:
        signals = registry.active(Settings(plugins_dir=str(plugins) if plugins else None))
    except PluginError as exc:
        fail(str(exc))
    if json_out:
        for s in signals:
            print(json.dumps({"name": s.name, "version": s.version, "kinds": sorted(s.kinds),
                              "consumes": sorted(s.consumes), "needs": list(s.needs),
                              "from_thumbnail": s.from_thumbnail, "summary": s.summary}))
        return
    table = Table()
    for column in ("signal", "version", "kinds", "consumes", "needs"):
        table.add_column(column, no_wrap=column == "signal")
    table.add_column("what", ratio=1)
    for s in signals:
        table.add_row(s.name, str(s.version), ", ".join(sorted(s.kinds)),
                      ", ".join(sorted(s.consumes)), ", ".join(s.needs), s.summary)
    console.print(table)


@app.command()
def enrich(
    case: Annotated[str, typer.Option(help="Case name.")],
    signal: Annotated[list[str] | None, typer.Option(
        "--signal", help="Only this signal (and what reads it); repeatable. Default: all.")
    ] = None,
    workspace: WorkspaceOpt = DEFAULT_WS,
    report_dir: ReportDirOpt = None,
    workers: WorkersOpt = 0,
    cluster: ClusterOpt = None,
    pdq_distance: PdqDistanceOpt = 31,
    pdq_quality: PdqQualityOpt = 50,
    library: LibraryOpt = None,
    trust_anchors: TrustAnchorsOpt = None,
    plugins: PluginsOpt = None,
    db: DbOpt = None,
) -> None:
    """Compute a case's missing or stale signals, re-reading evidence read-only, then
    refresh its matches, stacks, review queue and report. Resumable: run it again."""
    from cumberland.cli.main import Stopped, progress_bar, stop_on_sigterm, stopped
    from cumberland.matching.library import LibraryError
    from cumberland.pipeline.enrich import EnrichError, EnrichRequest
    from cumberland.pipeline.enrich import enrich as run_enrich
    from cumberland.pipeline.executors import ClusterError
    from cumberland.signals.models import ModelError
    from cumberland.signals.plugins import PluginError

    settings = Settings(pdq_max_distance=pdq_distance, pdq_min_quality=pdq_quality,
                        workers=workers,
                        trust_anchors=str(trust_anchors.absolute()) if trust_anchors else None,
                        plugins_dir=str(plugins.absolute()) if plugins else None)
    request = EnrichRequest(case, list(signal) if signal else None, settings, workers or None,
                            cluster, list(library or []),
                            report_dir or (workspace / "reports" / case))
    try:
        with workspace_errors(workspace), stop_on_sigterm():
            ws = _open_workspace(workspace, db)
            with progress_bar() as sink:
                done = run_enrich(ws, request, sink)
    except (LookupError, EnrichError, ClusterError, LibraryError, PluginError,
            ModelError) as exc:
        fail(str(exc))
    except (Stopped, KeyboardInterrupt) as exc:
        stopped(exc)
    out = done.outcome
    console.print(f"{out.planned:,} of {out.media:,} media had missing or stale signals",
                  highlight=False)
    for name, count in sorted(out.computed.items()):
        console.print(f"  computed {name}: {count:,} media", highlight=False)
    console.print(f"  decodes: {out.decodes:,}", highlight=False)
    if out.sources["thumbnail"]:
        console.print(f"  {out.sources['thumbnail']:,} media computed from their stored "
                      "thumbnail (the original could not be read)", highlight=False,
                      soft_wrap=True)
    for note, count in sorted(out.notes.items()):
        console.print(f"  {count:,} media: {note}", highlight=False, soft_wrap=True)
    for name, count in sorted(out.left.items()):
        err.print(f"  left stale, needs the original: {name} ({count:,} media)",
                  highlight=False, soft_wrap=True)
    for problem in out.failed[:10]:
        err.print(f"  [red]failed:[/] {problem}", highlight=False, soft_wrap=True)
    if done.report_html:
        console.print(f"report: {done.report_html}\n        {done.report_json}",
                      highlight=False, soft_wrap=True)
