"""Core commands: triage, items, hash sets, cases, demo evidence."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Table
from rich.text import Text

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
    case_app,
    console,
    demo_app,
    err,
    fail,
    hashset_app,
    open_workspace,
    workspace_errors,
)
from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.formats import FORMATS, FormatChoice
from cumberland.records import Purpose, Storage
from cumberland.settings import Settings


class Stopped(BaseException):
    """SIGTERM arrived: unwinds the run like Ctrl-C does (workers ended, run interrupted)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextmanager
def stop_on_sigterm() -> Iterator[None]:
    """SIGTERM's default ends the process on the spot, leaving the run ``running`` and its
    workers busy; raised as an exception, it stops the run as cleanly as SIGINT."""

    def stop(signum: int, _frame: object) -> None:
        raise Stopped(signum)

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


class RateColumn(ProgressColumn):
    """Things (files, records) per second of the current phase."""

    def __init__(self, unit: str = "files") -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.1f} {self.unit}/s" if speed else "", style="progress.data.speed")


class RichSink:
    """Adapts the core's Progress protocol to a Rich progress bar."""

    def __init__(self, progress: RichProgress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def phase(self, name: str, total: int | None) -> None:
        if self.task is not None:
            previous = self.progress.tasks[-1]
            self.progress.update(self.task, total=previous.total or previous.completed or 1,
                                 completed=previous.completed or previous.total or 1)
            self.progress.stop_task(self.task)
        self.task = self.progress.add_task(name, total=total)

    def advance(self, count: int = 1, nbytes: int = 0) -> None:
        if self.task is not None:
            self.progress.advance(self.task, count)


def stopped(exc: BaseException) -> NoReturn:
    """A run stopped by SIGTERM or Ctrl-C: say so, exit 128 + the signal."""
    signum = exc.signum if isinstance(exc, Stopped) else signal.SIGINT
    err.print(f"stopped by {signal.Signals(signum).name}: the run is recorded as "
              "interrupted; run the same command again to resume", highlight=False)
    raise typer.Exit(128 + signum) from None


@contextmanager
def progress_bar() -> Iterator[RichSink]:
    """A Rich bar on stderr per phase of a long job (files/s, elapsed)."""
    columns = (SpinnerColumn(), TextColumn("{task.description:<15}"), BarColumn(),
               MofNCompleteColumn(), RateColumn(), TimeElapsedColumn())
    with RichProgress(*columns, console=err, transient=False) as bar:
        yield RichSink(bar)


def _summary_table(summary: dict[str, object]) -> Table:
    table = Table(title=f"Case {summary['case']}", show_header=False)
    table.add_column(style="bold")
    table.add_column(justify="right")
    items = summary["items"]
    assert isinstance(items, dict)
    rows = [
        ("files seen", summary["files_seen"]),
        *((f"  {k}", v) for k, v in items.items() if v),
        ("unique media", summary["unique_media"]),
        ("matches (alert sets)", len(summary["matches"])),  # type: ignore[arg-type]
        ("media matching alert sets", summary["matched_media"]),
        ("known-good media", summary["known_good"]),
        ("unknown images/videos", summary["unknown_media"]),
        ("other media, unmatched", summary["other_media"]),
        *((f"  AI: {k}", v) for k, v in summary["ai_levels"].items()  # type: ignore[attr-defined]
          if k in ("declared-ai", "strong", "weak") and v),
        ("extension mismatches", summary["extension_mismatches"]),
    ]
    for label, value in rows:
        table.add_row(label, f"{value:,}" if isinstance(value, int) else str(value))
    return table


@app.command()
def triage(
    sources: Annotated[list[Path], typer.Argument(help="Folders or files of seized evidence.")],
    hashset: Annotated[list[Path] | None, typer.Option(
        "--hashset", help=f"Alert hash set ({', '.join(FORMATS)}: detected from its bytes)."),
    ] = None,
    ignore_set: Annotated[list[Path] | None, typer.Option(
        "--ignore-set", help="Known-good set (NSRL): matching files leave review counts.")] = None,
    case: Annotated[str, typer.Option(help="Case name.")] = "default",
    workspace: WorkspaceOpt = DEFAULT_WS,
    report_dir: ReportDirOpt = None,
    workers: WorkersOpt = 0,
    cluster: ClusterOpt = None,
    pdq_distance: PdqDistanceOpt = 31,
    pdq_quality: PdqQualityOpt = 50,
    library: LibraryOpt = None,
    trust_anchors: TrustAnchorsOpt = None,
    plugins: PluginsOpt = None,
    spool_dir: Annotated[Path | None, typer.Option(
        help="Where archive members too large for memory are spooled while decoded "
             "(default: the workspace's spool/ folder).")] = None,
    volume_keys: Annotated[Path | None, typer.Option(
        help="File of keys for encrypted volumes, one a line: BitLocker recovery passwords "
             "or passwords, LUKS passphrases (only the path is recorded).")] = None,
    catalogue: Annotated[Path | None, typer.Option(
        help="An agency's own catalogue of path rules (TOML), added to the built-in one "
             "(docs/artefacts.md).")] = None,
    db: DbOpt = None,
) -> None:
    """Ingest SOURCES read-only, match against the hash sets, write the report."""
    from cumberland.matching.library import LibraryError
    from cumberland.pipeline.executors import ClusterError
    from cumberland.pipeline.ingest import SourceError
    from cumberland.pipeline.triage import TriageRequest
    from cumberland.pipeline.triage import triage as run_triage
    from cumberland.signals.models import ModelError
    from cumberland.signals.plugins import PluginError
    from cumberland.sources.artefacts.catalogue import CatalogueError

    for src in sources:
        if not os.path.lexists(src):
            fail(f"{src}: no such file or folder")
    settings = Settings(pdq_max_distance=pdq_distance, pdq_min_quality=pdq_quality,
                        workers=workers,
                        trust_anchors=str(trust_anchors.absolute()) if trust_anchors else None,
                        plugins_dir=str(plugins.absolute()) if plugins else None,
                        volume_keys=str(volume_keys.absolute()) if volume_keys else None,
                        catalogue=str(catalogue.absolute()) if catalogue else None)
    report_dir = report_dir or (workspace / "reports" / case)
    request = TriageRequest(
        sources=list(sources), case=case, alert_sets=list(hashset or []),
        ignore_sets=list(ignore_set or []), report_dir=report_dir, settings=settings,
        workers=workers or None, cluster=cluster, libraries=list(library or []),
        spool_root=spool_dir.absolute() if spool_dir else None,
    )
    try:
        with workspace_errors(workspace), stop_on_sigterm():
            ws = open_workspace(workspace, db)
            with progress_bar() as sink:
                outcome = run_triage(ws, request, sink)
    except (HashSetError, SourceError, ClusterError, LibraryError, PluginError,
            CatalogueError, ModelError) as exc:
        fail(str(exc))
    except (Stopped, KeyboardInterrupt) as exc:
        stopped(exc)
    for imp in outcome.imports:
        state = "unchanged, not re-imported" if imp.unchanged else f"{imp.entries:,} entries"
        console.print(f"hash set [bold]{imp.name}[/]: {state}", highlight=False)
        for note in imp.notes:
            console.print(f"  note: {note}", highlight=False, markup=False)
    console.print(_summary_table(outcome.summary))
    console.print(f"report: {outcome.report_html}\n        {outcome.report_json}",
                  highlight=False, soft_wrap=True)


@app.command()
def items(
    case: Annotated[str, typer.Option(help="Case name.")] = "default",
    jsonl: Annotated[bool, typer.Option("--jsonl", help="One JSON object per line.")] = False,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Stream every item of a case: path, status, reason, sha256, type, matches."""
    from cumberland.reports.items import iter_items
    from cumberland.store.writer import case_id

    ws = open_workspace(workspace, db)
    try:
        cid = case_id(ws, case, create=False)
    except LookupError as exc:
        fail(str(exc))
    out = sys.stdout
    for item in iter_items(ws, cid):
        if jsonl:
            out.write(json.dumps(item, ensure_ascii=False) + "\n")
        else:
            out.write(f"{item['status']:<9} {item['type'] or '':<26} {item['path']}"
                      f"{'  (' + item['reason'] + ')' if item['reason'] else ''}\n")


@hashset_app.command("import")
def hashset_import(
    file: Annotated[Path, typer.Argument(help="Hash-set file.")],
    name: Annotated[str | None, typer.Option(help="Set name (default: file name).")] = None,
    purpose: Annotated[Purpose, typer.Option(help="What the set is for.")] = Purpose.ALERT,
    format: Annotated[FormatChoice, typer.Option(
        "--format", help="The file's format (auto: detected from its bytes; see the README).",
    )] = "auto",
    category_scheme: Annotated[str | None, typer.Option(
        help="Override the category scheme.")] = None,
    storage: Annotated[Storage, typer.Option(
        help="entries (a row per record), index (digests only, for large known-good sets) "
             "or auto (index for --purpose ignore sets of digest-only formats).")] = Storage.AUTO,
    workers: Annotated[int, typer.Option(
        help="Processes reading an RDS v3 file into an index (0: one per core).")] = 0,
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Import a hash set (streaming; nothing is kept of a malformed file)."""
    from cumberland.store.hashset_import import import_hashset

    if not file.is_file():
        fail(f"{file}: no such file")
    columns = (SpinnerColumn(), TextColumn("{task.description}"), TextColumn(
        "{task.completed:,.0f} records"), RateColumn("records"), TimeElapsedColumn())
    try:
        with workspace_errors(workspace):
            ws = open_workspace(workspace, db)
            with RichProgress(*columns, console=err, transient=True) as bar:
                task = bar.add_task(f"importing {file.name}", total=None)
                out = import_hashset(ws, file, name, purpose, format, category_scheme,
                                     storage, workers, lambda count: bar.advance(task, count))
    except (HashSetError, ValueError) as exc:
        fail(str(exc))
    state = "unchanged, not re-imported" if out.unchanged else "imported"
    skipped = (f", {out.skipped_records:,} records without a usable hash skipped"
               if out.skipped_records else "")
    console.print(f"{out.name}: {state}, {out.entries:,} entries ({out.storage}){skipped}",
                  highlight=False)
    for note in out.notes:
        console.print(f"  note: {note}", highlight=False, markup=False)


JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@hashset_app.command("remove")
def hashset_remove(
    name: Annotated[str, typer.Argument(help="Set name (as `hashset list` shows it).")],
    workspace: WorkspaceOpt = DEFAULT_WS,
    db: DbOpt = None,
) -> None:
    """Remove a hash set, its entries and its matches (cases re-match on their next triage)."""
    from cumberland.store.hashset_import import remove_hashset

    try:
        entries = remove_hashset(open_workspace(workspace, db), name)
    except LookupError as exc:
        fail(str(exc))
    console.print(f"{name}: removed ({entries:,} entries)", highlight=False)


@hashset_app.command("list")
def hashset_list(json_out: JsonOpt = False, workspace: WorkspaceOpt = DEFAULT_WS,
                 db: DbOpt = None) -> None:
    """Imported hash sets."""
    from cumberland.store.hashset_import import list_hashsets, set_facts, storage_of

    sets = list_hashsets(open_workspace(workspace, db))
    if json_out:
        for s in sets:
            print(json.dumps(set_facts(s)))
        return
    table = Table("name", "purpose", "format", "entries", "storage", "category scheme",
                  "release", "SHA-256 (of)")
    for s in sets:
        facts = set_facts(s)
        table.add_row(s.name, s.purpose, f"{s.format} {s.version or ''}".strip(),
                      f"{s.entry_count:,}", storage_of(s.properties),
                      s.category_scheme or "", facts["release"] or "",
                      f"{s.file_sha256.hex()[:16]} ({facts['sha256_of']})")
    console.print(table)


@case_app.command("list")
def case_list(json_out: JsonOpt = False, workspace: WorkspaceOpt = DEFAULT_WS,
              db: DbOpt = None) -> None:
    """Cases with their numbers (the same facts as their report and dashboard)."""
    from sqlalchemy import select

    from cumberland.analysis.facts import case_facts
    from cumberland.store.models import Case

    ws = open_workspace(workspace, db)
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Case.id, Case.name, Case.created_at).order_by(Case.name)).all()
    listed = [(name, created, case_facts(ws, cid)) for cid, name, created in rows]
    if json_out:
        for name, created, facts in listed:
            print(json.dumps({"case": name, "items": facts.files_seen, "created_at": created,
                              "facts": facts.to_dict()}))
        return
    table = Table("case", "items", "media", "alert", "known-good", "unknown", "created")
    for name, created, facts in listed:
        table.add_row(name, *(f"{n:,}" for n in (facts.files_seen, facts.unique_media,
                                                  facts.alert, facts.known_good,
                                                  facts.unknown)),
                      time.strftime("%Y-%m-%d %H:%M", time.gmtime(created)))
    console.print(table)


@demo_app.command("generate")
def demo_generate(
    out: Annotated[Path, typer.Argument(help="Folder to create.")],
) -> None:
    """Generate benign demo evidence: synthetic images, variants, bad files, hash sets."""
    from cumberland.demo import generate

    info = generate(out)
    console.print(f"demo evidence in {out}: {info['files']} files, "
                  f"{len(info['hashsets'])} hash sets", highlight=False)

