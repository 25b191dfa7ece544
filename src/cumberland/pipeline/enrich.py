"""Enrichment: compute a case's missing and stale signals without ingesting it again.

Every media keeps the version of each signal computed for it (``media.signal_versions``);
``signals.registry.plan`` names, per media, what is missing or at another version and what
reads those. The writer pages through the case's media, hands chunks of that work to the
same executors as ingest (process pool, Dask), and commits results in batches with their
versions, so a run killed at any point and started again redoes only what was not committed.

Workers read a media again only for what the signals being computed consume: nothing for
signals of other signals' outputs (rebuilt from the store), its bytes for bytes, and one
decode for pixels or frames. The bytes come from an item of the case holding the media,
by its locator (a file, or a member of an archive inside a disk image: ``store.reopen``),
read-only and checked against the SHA-256. When no item reads as ingested (evidence moved
or changed; members of containers triaged before locators existed), signals that allow it
(``Signal.from_thumbnail``) are computed from the stored thumbnail, the rest are left
stale, and the outcome says which and why.
"""

from __future__ import annotations

import io
import os
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select

from cumberland.analysis.face_library import match_case_faces
from cumberland.analysis.review import refresh_queue
from cumberland.errors import one_line
from cumberland.pipeline.analyse import analyse
from cumberland.pipeline.executors import Executor, Job
from cumberland.pipeline.progress import Progress, Silent
from cumberland.pipeline.runs import running, start_run
from cumberland.pipeline.watchdog import item_started
from cumberland.records import EnrichResult, EnrichTask
from cumberland.reports.files import write_reports
from cumberland.reports.summary import case_summary
from cumberland.settings import Settings
from cumberland.signals import registry
from cumberland.signals.base import Consumes, Inputs, Signal, Stored
from cumberland.signals.image import ImageLimitError
from cumberland.signals.video import VideoError
from cumberland.sources.locator import LocatorError, from_json, to_json
from cumberland.store import writer
from cumberland.store.models import Item, Media, SignalRecord
from cumberland.store.reopen import case_volume_keys, item_locator, open_verified
from cumberland.store.sql import in_chunks
from cumberland.store.workspace import Workspace

SCAN_PAGE = 2000  # media rows read per query while planning
COPIES = 3  # items of a media whose locators a worker may try, in item order
_DECODE_ERRORS = (ImageLimitError, UnidentifiedImageError, OSError, ValueError, SyntaxError,
                  Image.DecompressionBombError, EOFError, MemoryError, VideoError)


class EnrichError(ValueError):
    """A --signal name that no registered signal has."""


@dataclass(slots=True)
class EnrichOutcome:
    """What an enrichment did, for the command's summary and for the refresh after it."""

    media: int = 0  # media of the case that have signals at all
    planned: int = 0  # of those, media with missing or stale signals
    computed: Counter[str] = field(default_factory=Counter)  # signal -> media computed
    decodes: int = 0
    sources: Counter[str] = field(default_factory=Counter)  # file | thumbnail | store
    left: Counter[str] = field(default_factory=Counter)  # signal -> media left stale
    notes: Counter[str] = field(default_factory=Counter)  # why inputs were not the file
    failed: list[str] = field(default_factory=list)  # "sha256: reason", one per media
    changed: dict[bytes, tuple[str, ...]] = field(default_factory=dict)  # media -> rewritten

    def add(self, results: Sequence[EnrichResult]) -> None:
        for r in results:
            if r.error is not None:
                self.failed.append(f"{r.sha256.hex()}: {r.error}")
                continue
            self.computed.update(r.versions.keys())
            self.decodes += r.decodes
            self.sources[r.source] += 1
            self.left.update(r.left)
            if r.note:
                self.notes[r.note] += 1
            if r.versions:
                self.changed[r.sha256] = tuple(r.versions)


def _signals(settings: Settings, names: Collection[str] | None) -> tuple[Signal, ...]:
    signals = registry.active(settings)
    unknown = sorted(set(names or ()) - {s.name for s in signals})
    if unknown:
        raise EnrichError(f"no signal named {', '.join(unknown)} (`cumberland signals list` "
                          "shows them)")
    return signals


def _plans(ws: Workspace, case: int, signals: Sequence[Signal],
           names: Collection[str] | None) -> Iterator[tuple[Any, list[str]]]:
    """(media row, names to compute) for every media of the case with work, by SHA-256.

    Media that never decoded (no versions recorded) are left as ingest recorded them."""
    kinds = sorted({k for s in signals for k in s.kinds})
    in_case = select(Item.media_sha256).where(Item.case_id == case,
                                              Item.media_sha256.is_not(None))
    last = b""
    while True:
        with ws.engine.connect() as conn:
            rows = conn.execute(
                select(Media.sha256, Media.kind, Media.mime, Media.size, Media.signal_versions)
                .where(Media.sha256.in_(in_case), Media.kind.in_(kinds), Media.sha256 > last)
                .order_by(Media.sha256).limit(SCAN_PAGE)).all()
        if not rows:
            return
        last = bytes(rows[-1].sha256)
        for row in rows:
            todo = (registry.plan(signals, row.kind, row.signal_versions, names)
                    if row.signal_versions else [])
            yield row, todo


def count_work(ws: Workspace, case: int, settings: Settings,
               names: Collection[str] | None = None) -> tuple[int, int]:
    """(media with signals, media with missing or stale ones) of a case."""
    signals = _signals(settings, names)
    media = planned = 0
    for _, todo in _plans(ws, case, signals, names):
        media += 1
        planned += bool(todo)
    return media, planned


def _tasks(ws: Workspace, case: int, settings: Settings, signals: Sequence[Signal],
           names: Collection[str] | None) -> Iterator[list[EnrichTask]]:
    """Chunks of work, each with what its workers need from the store."""
    pending: list[tuple[Any, list[str]]] = []
    held = 0
    for row, todo in _plans(ws, case, signals, names):
        if not todo:
            continue
        pending.append((row, todo))
        held += row.size or 0
        if len(pending) >= settings.chunk_size or held >= settings.chunk_bytes:
            yield _chunk(ws, case, pending)
            pending, held = [], 0
    if pending:
        yield _chunk(ws, case, pending)


def _chunk(ws: Workspace, case: int, pending: list[tuple[Any, list[str]]]) -> list[EnrichTask]:
    digests = [bytes(row.sha256) for row, _ in pending]
    locators: dict[bytes, list[list[dict[str, Any]]]] = {}
    with ws.engine.connect() as conn:
        for sha, raw, stored in in_chunks(conn, select(
                Item.media_sha256, Item.raw_path, Item.locator)
                .where(Item.case_id == case).order_by(Item.id), Item.media_sha256, digests):
            held = locators.setdefault(bytes(sha), [])
            if len(held) < COPIES:
                try:
                    held.append(to_json(item_locator(raw, stored)))
                except LocatorError:
                    continue  # an item with nothing to reopen: the next copy, the thumbnail
        media = {bytes(r.sha256): r for r in in_chunks(conn, select(
            Media.sha256, Media.meta, Media.pdq, Media.pdq_quality), Media.sha256, digests)}
        rows: dict[bytes, dict[str, Any]] = {}
        for sha, name, data in in_chunks(conn, select(
                SignalRecord.media_sha256, SignalRecord.name, SignalRecord.data),
                SignalRecord.media_sha256, digests):
            rows.setdefault(bytes(sha), {})[name] = data
    tasks = []
    for row, todo in pending:
        sha = bytes(row.sha256)
        thumb = ws.thumb_path(sha)
        found = media[sha]
        tasks.append(EnrichTask(
            sha, row.kind, row.mime, todo, locators.get(sha, []),
            str(thumb) if thumb.is_file() else None, row.size,
            {"rows": rows.get(sha, {}), "meta": found.meta or {}, "pdq": found.pdq,
             "pdq_quality": found.pdq_quality}))
    return tasks


@contextmanager
def reopen(task: EnrichTask, settings: Settings) -> Iterator[tuple[BinaryIO | None, str]]:
    """The media's original bytes from the first of its items that still reads as ingested
    (``store.reopen.open_verified``: by locator, read-only, checked against the SHA-256), or
    None and why not (evidence moved or changed, items from before locators)."""
    reason = "no item of the case has a locator to reopen"
    spool = Path(settings.spool_dir) if settings.spool_dir else None
    for stored in task.locators:
        try:
            with open_verified(from_json(stored), task.sha256, settings, spool) as fh:
                yield fh, ""
                return
        except LocatorError as exc:  # ReopenError included
            reason = str(exc)
    yield None, reason


def _again(held: BinaryIO) -> BinaryIO:
    """A new handle on a spooled file, from its start (each signal closes what it opens)."""
    copy = os.fdopen(os.dup(held.fileno()), "rb")
    copy.seek(0)
    return copy


def _from_store_only(signal: Signal) -> bool:
    return signal.consumes <= {Consumes.SIGNALS}


def enrich_one(task: EnrichTask, settings: Settings) -> EnrichResult:
    """Compute one media's planned signals (in a worker). Never raises for bad input."""
    item_started(task.size)  # the same time budget as an ingest item (watchdog)
    signals = registry.active(settings)
    by_name = {s.name: s for s in signals}
    names = [n for n in task.names if n in by_name]
    stored = Stored.of(task.stored)
    if all(_from_store_only(by_name[n]) for n in names):
        return _compute(task, signals, names, Inputs(task.kind, settings, stored=stored),
                        EnrichResult(task.sha256, source="store"))
    with reopen(task, settings) as (fh, why):
        if fh is not None:
            data = fh.getvalue() if isinstance(fh, io.BytesIO) else None
            held = fh
            inputs = Inputs(task.kind, settings, data, lambda: _again(held), stored)
            return _compute(task, signals, names, inputs, EnrichResult(task.sha256))
    result = EnrichResult(task.sha256, source="store", note=why)
    thumb = task.thumb_path is not None
    usable = _closed(signals, [n for n in names if _from_store_only(by_name[n]) or (
        thumb and by_name[n].from_thumbnail)], names)
    result.left = [n for n in names if n not in usable]
    inputs = Inputs(task.kind, settings, stored=stored)
    if task.thumb_path is not None and any(by_name[n].from_thumbnail for n in usable):
        result.source = "thumbnail"
        inputs = Inputs(task.kind, settings, Path(task.thumb_path).read_bytes(), stored=stored)
    return _compute(task, signals, usable, inputs, result)


def _compute(task: EnrichTask, signals: Sequence[Signal], names: list[str], inputs: Inputs,
             result: EnrichResult) -> EnrichResult:
    by_name = {s.name: s for s in signals}
    try:
        _decode_first(inputs, [by_name[n] for n in names])
    except _DECODE_ERRORS as exc:
        result.error = f"corrupt {task.kind}: {one_line(exc)}"
        return result
    outputs = registry.compute(inputs, signals, names)
    for out in outputs.values():
        if out is not None:
            out.value = None  # in-run objects (pixels, findings) stay in the worker
    result.outputs = outputs
    result.versions = registry.versions_of(signals, outputs)
    result.decodes = inputs.decodes
    return result


def _closed(signals: Sequence[Signal], usable: list[str], planned: list[str]) -> list[str]:
    """``usable`` without the signals that read a planned signal left out (they would read
    what is stale), in dependency order."""
    names = [s.name for s in signals]
    kept: list[str] = []
    for s in signals:
        if s.name in usable and all(n in kept or n not in planned
                                    for n in registry.needs_of(s, names)):
            kept.append(s.name)
    return kept


def _decode_first(inputs: Inputs, signals: Sequence[Signal]) -> None:
    """The one decode, before any signal: a file that no longer decodes is the media's
    error, not every signal's."""
    consumes = {c for s in signals for c in s.consumes}
    if Consumes.PIXELS in consumes and inputs.kind == "image":
        inputs.decoded()
    if Consumes.FRAMES in consumes and inputs.kind == "video":
        inputs.video()


def enrich_chunk(tasks: list[EnrichTask], settings: Settings) -> list[EnrichResult]:
    """The unit of work shipped to a process or a cluster worker."""
    out = []
    for task in tasks:
        try:
            out.append(enrich_one(task, settings))
        except Exception as exc:  # a library bug on hostile input must not end the run
            out.append(EnrichResult(task.sha256, error=f"internal: {one_line(exc)}"))
    return out


def _died(task: EnrichTask, reason: str) -> EnrichResult:
    return EnrichResult(task.sha256, error=reason)


ENRICH: Job[EnrichTask, EnrichResult] = Job(enrich_chunk, _died)


def enrich_case(ws: Workspace, case: int, settings: Settings, executor: Executor,
                progress: Progress, names: Collection[str] | None = None) -> EnrichOutcome:
    """Compute the case's missing and stale signals (of ``names`` only, when given)."""
    signals = _signals(settings, names)
    outcome = EnrichOutcome()
    outcome.media, outcome.planned = count_work(ws, case, settings, names)
    if not outcome.planned:
        return outcome
    progress.phase("enriching", outcome.planned)
    batch: list[EnrichResult] = []
    for results in executor.run_job(_tasks(ws, case, settings, signals, names), ENRICH):
        batch.extend(results)
        outcome.add(results)
        if len(batch) >= settings.write_batch:
            writer.apply_enrichment(ws, batch)
            batch = []
        progress.advance(len(results), 0)
    writer.apply_enrichment(ws, batch)
    return outcome


@dataclass(slots=True)
class EnrichRequest:
    case: str
    signals: list[str] | None = None  # only these (and what reads them); None: all
    settings: Settings = field(default_factory=Settings)
    workers: int | None = None
    cluster: str | None = None
    libraries: list[str] = field(default_factory=list)
    report_dir: Path | None = None


@dataclass(slots=True)
class EnrichRun:
    outcome: EnrichOutcome
    summary: dict[str, Any]
    report_json: Path | None = None
    report_html: Path | None = None


def enrich(ws: Workspace, request: EnrichRequest, progress: Progress | None = None,
           executor: Executor | None = None) -> EnrichRun:
    """``cumberland enrich``: bring a case's signals up to date, then its matches, stacks,
    review queue and (with ``report_dir``) its report. Raises LookupError for an unknown
    case, EnrichError for an unknown signal and ModelError for a damaged model file."""
    progress = progress or Silent()
    case = writer.case_id(ws, request.case, create=False)
    registry.check(_signals(request.settings, request.signals), request.settings)
    asked = request.settings
    if asked.volume_keys is None:  # members of encrypted volumes: the keys ingest was given
        asked = replace(asked, volume_keys=case_volume_keys(ws, case))
    run, settings = start_run(ws, case, asked, {"enrich": request.signals or "all"})
    with running(ws, run, settings, request.workers, request.cluster, executor) as pool:
        outcome = enrich_case(ws, case, settings, pool, progress, request.signals)
        if outcome.changed:
            progress.phase("matching", None)
            analyse(ws, case, settings, request.libraries or None, outcome.changed)
        else:  # a face library added since: its matches need no signal recomputed
            match_case_faces(ws, case, settings)
            refresh_queue(ws, case)  # and may move media in the queue (analysis/priority.py)
    progress.phase("reporting", 1)
    done = EnrichRun(outcome, case_summary(ws, case))
    if request.report_dir is not None:
        done.report_json, done.report_html = write_reports(done.summary, request.report_dir)
    progress.advance()
    return done
