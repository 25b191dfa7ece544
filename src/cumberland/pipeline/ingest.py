"""Ingest: enumerate each source into pending items, then fingerprint them in workers.

Enumeration is recorded before any content is read, so a run that is interrupted and started
again knows every item already and only fingerprints what is still pending.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from cumberland.pipeline.executors import Executor
from cumberland.pipeline.progress import Progress
from cumberland.records import Result
from cumberland.settings import Settings
from cumberland.sources.artefacts.catalogue import Catalogue, catalogue
from cumberland.sources.base import Entry, display_name
from cumberland.sources.folder import walk_folder
from cumberland.store import writer
from cumberland.store.workspace import Workspace


class SourceError(ValueError):
    """A SOURCE argument that cannot be used at all (missing, not readable)."""


def categorised(entries: Iterable[Entry], root: bytes, rules: Catalogue) -> Iterator[Entry]:
    """Entries with their artefact categories, from their path below the source's root
    (where the examiner keeps the evidence says nothing of it)."""
    top = display_name(root)
    for entry in entries:
        shown = entry.chain[0]
        relative = shown[len(top):] if shown.startswith(top) else shown
        entry.artefacts = rules.classify(relative or os.path.basename(top))
        yield entry


def add_source(ws: Workspace, case: int, source: Path, rules: Catalogue | None = None) -> int:
    """Enumerate one source into the case (once; a repeated or resumed run skips it)."""
    raw = os.fsencode(source.absolute())
    try:
        st = os.lstat(raw)
    except OSError as exc:
        raise SourceError(f"{source}: {exc.strerror}") from exc
    kind = "folder" if stat.S_ISDIR(st.st_mode) else "file"
    source_id, enumerated = writer.source_id(ws, case, str(source.absolute()), raw, kind)
    if not enumerated:
        writer.add_entries(ws, case, source_id,
                           categorised(walk_folder(raw), raw, rules or catalogue()))
        writer.mark_enumerated(ws, source_id)
    return source_id


def fingerprint_pending(
    ws: Workspace, case: int, settings: Settings, executor: Executor, progress: Progress
) -> None:
    """Fingerprint every pending item. Containers that fan out list their members as new
    pending items; a pass that listed any is followed by another (members of members one
    level deeper each time, so at most ``max_depth`` passes)."""
    while pending := writer.count_pending(ws, case):
        progress.phase("fingerprinting", pending)
        if not _fingerprint_pass(ws, case, settings, executor, progress):
            return


def _fingerprint_pass(ws: Workspace, case: int, settings: Settings, executor: Executor,
                      progress: Progress) -> int:
    """One walk over the pending items; returns how many members it listed."""
    batch: list[Result] = []
    rows = listed = 0
    for results in executor.run(writer.pending_tasks(ws, case, settings.chunk_size,
                                                         settings.chunk_bytes)):
        batch.extend(results)
        rows += sum(1 + len(r.children) + r.listed for r in results)
        listed += sum(r.listed for r in results)
        # Several chunks per transaction: a commit costs more than a chunk of small files.
        if rows >= settings.write_batch:
            writer.apply_results(ws, batch)
            batch, rows = [], 0
        progress.advance(len(results), sum(r.size or 0 for r in results))
    if batch:
        writer.apply_results(ws, batch)
    return listed


def ingest(
    ws: Workspace,
    case: int,
    sources: list[Path],
    settings: Settings,
    executor: Executor,
    progress: Progress,
) -> None:
    progress.phase("enumerating", len(sources))
    rules = catalogue(settings.catalogue)
    for source in sources:
        add_source(ws, case, source, rules)
        progress.advance()
    fingerprint_pending(ws, case, settings, executor, progress)
