"""The main job: hash sets in, evidence ingested, matches found, reports written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cumberland.analysis.deleted import link_recycle_records
from cumberland.matching.library import library_ids
from cumberland.pipeline.analyse import analyse
from cumberland.pipeline.enrich import EnrichOutcome, enrich_case
from cumberland.pipeline.ingest import ingest
from cumberland.pipeline.progress import Progress, Silent
from cumberland.pipeline.runs import running, start_run
from cumberland.reports.files import write_reports
from cumberland.reports.summary import case_summary
from cumberland.settings import Settings
from cumberland.signals import registry
from cumberland.sources.artefacts.catalogue import catalogue
from cumberland.store import writer
from cumberland.store.hashset_import import ImportOutcome, import_hashset, sweep_set_indexes
from cumberland.store.workspace import Workspace


@dataclass(slots=True)
class TriageRequest:
    sources: list[Path]
    case: str = "default"
    alert_sets: list[Path] = field(default_factory=list)
    ignore_sets: list[Path] = field(default_factory=list)
    report_dir: Path | None = None
    settings: Settings = field(default_factory=Settings)
    workers: int | None = None
    cluster: str | None = None  # Dask: "local:N" or a scheduler address; None: local pool
    libraries: list[str] = field(default_factory=list)  # reference libraries (all if empty)
    spool_root: Path | None = None  # where runs spool (default: the workspace's spool/)


@dataclass(slots=True)
class TriageOutcome:
    summary: dict[str, Any]
    imports: list[ImportOutcome]
    report_json: Path | None
    report_html: Path | None
    enriched: EnrichOutcome


def triage(
    ws: Workspace, request: TriageRequest, progress: Progress | None = None
) -> TriageOutcome:
    progress = progress or Silent()
    catalogue(request.settings.catalogue)  # a bad agency catalogue fails before any work
    sweep_set_indexes(ws)  # what a killed index-only import left
    imports = [import_hashset(ws, p, purpose="alert") for p in request.alert_sets]
    imports += [import_hashset(ws, p, purpose="ignore") for p in request.ignore_sets]
    library_ids(ws, request.libraries or None)  # unknown library names fail before ingest
    registry.check(registry.active(request.settings), request.settings)  # models, once
    case = writer.case_id(ws, request.case)
    arguments = {
        "sources": [str(p) for p in request.sources],
        "alert_sets": [str(p) for p in request.alert_sets],
        "ignore_sets": [str(p) for p in request.ignore_sets],
    }
    run, settings = start_run(ws, case, request.settings, arguments, request.spool_root)
    with running(ws, run, settings, request.workers, request.cluster) as executor:
        ingest(ws, case, request.sources, settings, executor, progress)
        link_recycle_records(ws, case)  # original paths and deletion times, for priority too
        # media seen before (this case resumed, or other cases) whose signals changed since
        enriched = enrich_case(ws, case, settings, executor, progress)
        progress.phase("matching", None)
        analyse(ws, case, settings, request.libraries or None, enriched.changed)
    progress.phase("reporting", 1)
    summary = case_summary(ws, case)
    json_path = html_path = None
    if request.report_dir is not None:
        json_path, html_path = write_reports(summary, request.report_dir)
    progress.advance()
    return TriageOutcome(summary, imports, json_path, html_path, enriched)
