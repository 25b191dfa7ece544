"""The per-item work, run in worker processes: read once, hash, sniff, decode, describe.

Errors never escape: every failure becomes the item's status and a one-line reason, and the
crypto hashes are kept whenever the bytes could be read (exact matching still works on files
that do not decode).

Containers (archives, disk images) are opened in the same worker: every file inside becomes
a child of the item's Result with its own chain, status and fingerprint, described by the
same code as a top-level file, recursively up to ``Settings.max_depth``. Archive bomb limits
are shared by everything inside one outermost archive.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace

from PIL import Image, UnidentifiedImageError

from cumberland.errors import one_line
from cumberland.pipeline.content import Absorbed, Content, absorb
from cumberland.pipeline.watchdog import item_started
from cumberland.records import Child, MediaRecord, Result, Task
from cumberland.settings import Settings
from cumberland.signals import registry
from cumberland.signals.base import Inputs
from cumberland.signals.crypto import Digests
from cumberland.signals.exif import METADATA_ERROR
from cumberland.signals.image import ImageLimitError
from cumberland.signals.sniff import ContentType, extension_matches, sniff
from cumberland.signals.trailing import image_end, is_padding
from cumberland.signals.video import VideoError
from cumberland.sources.archive import Budget
from cumberland.sources.artefacts.catalogue import Catalogue, catalogue
from cumberland.sources.artefacts.recycle import RecycleError, is_record_path, parse_record_file
from cumberland.sources.base import BLOCK
from cumberland.sources.containers import ARCHIVE, ContainerKind, Opening
from cumberland.sources.containers import KINDS as CONTAINERS
from cumberland.sources.disk_image import (
    SCAN_STEP,
    boot_signature,
    looks_like_raw_disk,
)
from cumberland.sources.encrypted import load_keys
from cumberland.sources.evidence import NotRegularFile, open_evidence, open_path
from cumberland.sources.listing import Listed, ListingWriter
from cumberland.sources.locator import (
    Locator,
    LocatorError,
    MemberStep,
    TailStep,
    container_depth,
    from_json,
    of_file,
    tail_label,
    to_json,
)
from cumberland.sources.member import (
    ContainerError,
    EncryptedContainer,
    LimitReached,
    Member,
    MemberLimit,
    MemberUnreadable,
    Report,
)
from cumberland.sources.reopen import Opener


class _Unreadable(Exception):
    pass


def _read(task: Task, settings: Settings) -> Absorbed:
    """Hash the whole file in one pass (``absorb``); small files stay in memory for decoding,
    larger ones are reopened by path."""
    try:
        fd = open_evidence(task.raw_path)
    except NotRegularFile as exc:  # the listing saw a regular file here
        raise _Unreadable(f"{exc} (changed since it was listed)") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise _Unreadable("symlink (not followed)") from exc
        raise _Unreadable(exc.strerror or one_line(exc)) from exc
    raw = task.raw_path
    with os.fdopen(fd, "rb", buffering=0) as fh:
        done = 0

        def blocks() -> Iterator[bytes]:
            nonlocal done
            while block := fh.read(BLOCK):
                done += len(block)
                yield block

        try:
            absorbed = absorb(blocks(), settings, reopen=lambda: open_path(raw))
        except OSError as exc:
            raise _Unreadable(f"read failed after {done} bytes: {exc.strerror}") from exc
    absorbed.content.path = raw
    return absorbed


_OPENERS: dict[tuple[int, str | None], Opener] = {}


def _opener(settings: Settings) -> Opener:
    """This worker's Opener, kept for its life: members of one container arrive in chunks,
    and each chunk finds the image, file system or archive cursor already open."""
    key = settings.archive_max_bytes, settings.volume_keys
    if key not in _OPENERS:
        _OPENERS[key] = Opener(open_path, settings.archive_max_bytes,
                               load_keys(settings.volume_keys))
    return _OPENERS[key]


def _read_located(locator: Locator, settings: Settings) -> Absorbed:
    """Like ``_read``, for a member of a container reached by its locator."""
    opener = _opener(settings)
    try:
        fh = opener.open(locator)
    except LocatorError as exc:
        raise _Unreadable(str(exc)) from exc
    done = 0
    with fh:
        def blocks() -> Iterator[bytes]:
            nonlocal done
            while block := fh.read(BLOCK):
                done += len(block)
                yield block

        reopen = (lambda: opener.open(locator)) if fh.seekable() else None
        try:
            return absorb(blocks(), settings, reopen=reopen)
        except LimitReached:
            raise
        except (OSError, RuntimeError, ContainerError) as exc:
            raise _Unreadable(f"read failed after {done} bytes: "
                              f"{one_line(exc, with_type=False)}") from exc


@dataclass(slots=True)
class Scope:
    """Where an item sits among containers: children go to ``children`` under ``parent``
    (-1: the task's own item) with chains starting ``prefix``; ``budget`` is the outermost
    archive's, shared by everything nested inside it; ``artefacts`` are the categories of
    the container whose members are being read (some pass on to them)."""

    children: list[Child]
    locator: Locator
    catalogue: Catalogue
    parent: int = -1
    prefix: list[str] = field(default_factory=list)
    depth: int = 0
    budget: Budget | None = None
    used: set[str] = field(default_factory=set)
    artefacts: str | None = None

    def inside(self, index: int, locator: Locator) -> Scope:
        child = self.children[index]
        return Scope(self.children, locator, self.catalogue, index, child.chain,
                     self.depth + 1, self.budget, self.used, child.artefacts)

    def categories(self, member: Member) -> str | None:
        """A member's categories: from its path inside the container, and those the
        container passes on."""
        chain = member.chain
        return self.catalogue.classify(chain[-1] if chain else "", self.artefacts)

    def unique(self, chain: list[str]) -> list[str]:
        """Archives may hold one name twice (and FAT deleted names collide): number repeats
        so every member stays its own item, the same way on every run."""
        key = "\x00".join(chain)
        n = 1
        while key in self.used:
            n += 1
            key = "\x00".join([*chain[:-1], f"{chain[-1]} (#{n})"])
        self.used.add(key)
        return key.split("\x00")


@dataclass(slots=True)
class Subject:
    """Everything a handler needs about the item being described."""

    name: str
    head: bytes
    content: Content
    media: MediaRecord
    result: Result
    settings: Settings
    scope: Scope

    def inputs(self) -> Inputs:
        content = self.content
        return Inputs(self.media.kind, self.settings, content.data, content.open)


def _image(subject: Subject) -> None:
    result, media = subject.result, subject.media
    inputs = subject.inputs()
    try:
        decoded = inputs.decoded()  # the one decode every pixel signal reads
    except ImageLimitError as exc:
        result.status, result.reason = "skipped", f"limit: {exc}"
        return
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            EOFError, MemoryError) as exc:
        result.status, result.reason = "error", f"corrupt image: {one_line(exc)}"
        return
    facts = decoded.facts
    media.width, media.height = facts.width, facts.height
    media.meta = facts.meta()
    _signals(subject, inputs)
    note = media.meta.get(METADATA_ERROR)
    if note is not None:  # a note: the picture itself was hashed and matched
        result.reason = note
    _appended(subject)


def _signals(subject: Subject, inputs: Inputs) -> None:
    signals = registry.active(subject.settings)
    outputs = registry.compute(inputs, signals)
    registry.apply(outputs, signals, subject.media, subject.result)


def _appended(subject: Subject) -> None:
    """Data after the image's end (a known hiding place) is noted on the image and becomes
    its child, described like any member (a zip there is opened). Only for images held in
    memory (up to ``in_memory_limit``)."""
    data = subject.content.data
    end = image_end(data) if data is not None else None
    if data is None or end is None or end >= len(data) or is_padding(data[end:]):
        return
    extra = len(data) - end
    label = tail_label(end)
    subject.media.meta["trailing_bytes"] = extra
    note = f"{extra} bytes after the image's end: {label}"
    result = subject.result
    result.reason = note if result.reason is None else f"{result.reason}; {note}"
    blocks = [data[i : i + BLOCK] for i in range(end, len(data), BLOCK)]
    _add_child(subject.scope, Member((TailStep(end),), extra, blocks=lambda: iter(blocks)),
               subject.settings)


def _video(subject: Subject) -> None:
    result, media = subject.result, subject.media
    inputs = subject.inputs()
    try:
        facts = inputs.video()  # the one pass every frame signal reads
    except VideoError as exc:
        result.status, result.reason = "error", f"corrupt video: {exc}"
        return
    media.width, media.height = facts.width, facts.height
    media.meta = dict(facts.meta)
    _signals(subject, inputs)
    if facts.error is not None:
        media.meta["error"] = facts.error
        result.status = "error"
        result.reason = f"video partly decoded ({len(facts.frames)} frames hashed): {facts.error}"


def _container(container: ContainerKind) -> Callable[[Subject], None]:
    """A handler that lists a container's members (``sources/containers.py``) as children,
    each fully described."""

    def handle(subject: Subject) -> None:
        result, scope, settings = subject.result, subject.scope, subject.settings
        if scope.depth >= settings.max_depth:
            result.status, result.reason = "skipped", f"limit: nesting depth {settings.max_depth}"
            return
        owns_budget = container.budgeted and scope.budget is None
        if owns_budget:
            scope = replace(scope, budget=Budget(subject.media.size, settings))
            subject.scope = scope
        report = Report()
        found = unreadable = 0
        stopped: dict[str, int] = {}
        listing = ListingWriter() if _fans_out(subject) else None
        opening = Opening(subject.head, subject.name, subject.content.path, scope.budget,
                          report, open_path, load_keys(settings.volume_keys))
        try:
            with subject.content.open() as stream:
                for member in container.read(stream, opening):
                    found += 1
                    if listing is not None:
                        _list_member(scope, member, listing)
                        continue
                    child = _add_child(scope, member, settings)
                    unreadable += child.result.status == "error" and child.result.media is None
                    reason = child.result.reason or ""
                    if child.result.status == "skipped" and reason.startswith("limit: "):
                        stopped[reason[7:]] = stopped.get(reason[7:], 0) + 1
        except LimitReached as exc:
            if listing is not None:
                result.listing, result.listed = listing.finish(), listing.count
            result.status, result.reason = "skipped", f"limit: {exc}"
            if not owns_budget:
                raise
            return
        except EncryptedContainer as exc:
            result.status, result.reason = "encrypted", str(exc)
        except ContainerError as exc:
            report.errors.append(str(exc))
        except OSError as exc:
            report.errors.append(f"read failed: {one_line(exc)}")
        if listing is not None:
            result.listing, result.listed = listing.finish(), listing.count
        subject.media.meta = {**report.meta, "members": found}
        for limit, count in stopped.items():
            report.notes.append(f"{count} member{'s' * (count > 1)} skipped at a limit ({limit})")
        if unreadable:
            report.errors.append(f"{unreadable} of {found} files unreadable")
        if result.status == "done" and report.errors:
            result.status, result.reason = "error", "; ".join(report.errors)[:500]
        elif result.status == "done" and report.notes:
            result.reason = "; ".join(report.notes)[:500]

    return handle


# Every archive kind fans out once it has Settings.fanout_members members: zip, tar and a
# thumbnail cache reach a member by its directory, header or entry; a stream-only archive
# (tar.gz, tar.xz, tar.zst, solid 7z, rar) by reading forward. A worker's Opener keeps that
# archive's cursor open between chunks, and chunks arrive in archive order, so each worker
# decompresses the stream about once, and a resumed run skips what was committed (it is
# decompressed again, never fingerprinted again): the checkpoint is the chunk's
# transaction, the resume position the first member still pending. A nested archive inside
# a fanned-out one then has limits of its own (its ratio against its own size), so the
# whole expansion stays bounded by the ratio times the outer archive's size.


def _fans_out(subject: Subject) -> bool:
    """Whether the container's members become pending items of their own, fingerprinted by
    any worker in chunks, rather than described here and now. Only the task's own item
    fans out (a container found inside a container read here is described here), and
    only when its bytes are reachable again without reading a stream: a file, or a file
    in a disk image, never a member of an archive."""
    scope = subject.scope
    if scope.parent != -1 or any(isinstance(s, MemberStep) for s in scope.locator):
        return False
    if subject.media.kind == "disk-image":
        return True
    return subject.media.kind == "archive" and _has_members(
        subject, subject.settings.fanout_members)


def _has_members(subject: Subject, count: int) -> bool:
    """Whether the archive lists at least ``count`` members (a look at its directory; a
    smaller one is read in one go here, where its limits are counted as a whole)."""
    found = 0
    opening = Opening(subject.head, subject.name, subject.content.path,
                      Budget(subject.media.size, subject.settings), Report(), open_path)
    try:
        with subject.content.open() as stream:
            for _member in ARCHIVE.read(stream, opening):
                found += 1
                if found >= count:
                    return True
    except (ContainerError, LimitReached, OSError):
        pass
    return False


def _list_member(scope: Scope, member: Member, listing: ListingWriter) -> None:
    """Record a member for fan-out without reading it. An archive's bomb limits are checked
    against the sizes its directory declares (each member's read is held to them too)."""
    status, reason = member.status, member.reason
    chain = scope.unique([*scope.prefix, *member.chain])
    locator = to_json((*scope.locator, *member.steps))
    artefacts = scope.categories(member)
    try:
        if scope.budget is not None and status == "pending":
            scope.budget.prepaid = member.size or 0
            scope.budget.start_member()
            scope.budget.consume(member.size or 0)
    except LimitReached as exc:
        listing.add(Listed(chain, locator, member.size, "skipped", f"limit: {exc}",
                           member.deleted, member.times, artefacts))
        if isinstance(exc, MemberLimit):
            return  # stops this member only
        raise
    listing.add(Listed(chain, locator, member.size, status, reason, member.deleted,
                       member.times, artefacts))


def _add_child(scope: Scope, member: Member, settings: Settings) -> Child:
    """Record one member and describe its content (recursing into nested containers)."""
    result = Result(item_id=0, status=member.status, reason=member.reason, size=member.size)
    locator = (*scope.locator, *member.steps)
    child = Child(scope.unique([*scope.prefix, *member.chain]), scope.parent, result,
                  member.deleted, member.times, to_json(locator), scope.categories(member))
    scope.children.append(child)
    if member.status != "pending" or member.blocks is None:
        return child
    result.status = "done"
    item_started(member.size)  # each member on its own budget; the walk on, after it
    try:
        absorbed = absorb(member.blocks(), settings, member.reopen)
    except MemberLimit as exc:  # this member only: the container goes on with the next one
        result.status, result.reason = "skipped", f"limit: {exc}"
        return child
    except LimitReached as exc:
        result.status, result.reason = "skipped", f"limit: {exc}"
        raise
    except MemberUnreadable as exc:
        result.status, result.reason = "error", f"read failed: {exc}"
        return child
    except Exception as exc:  # a damaged member: record it, go on with the next one
        result.status, result.reason = "error", f"read failed: {one_line(exc)}"
        return child
    try:
        _describe(result, child.chain[-1], absorbed.digests, absorbed.head, absorbed.content,
                  settings, scope.inside(len(scope.children) - 1, locator))
    finally:
        absorbed.content.close()
        item_started(None)
    return child


Handler = Callable[[Subject], None]

_UNSUPPORTED = {"image/x-raw": "unsupported: raw"}
RAW_DISK_MIME = "application/x-raw-disk-image"
HANDLERS: dict[str, Handler] = {
    "image": _image,
    "video": _video,
    **{c.kind: _container(c) for c in CONTAINERS},
}

def _recycle_record(result: Result, media: MediaRecord, path: str, data: bytes) -> None:
    """A recycle bin's record of a deleted file: kept with the media, linked to the item
    holding the content after ingest (analysis/deleted.py)."""
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        parsed = parse_record_file(name, data)
    except RecycleError as exc:
        result.status, result.reason = "error", f"recycle-bin record unreadable: {exc}"
        return
    if parsed is None:
        return
    media.mime = result.mime = parsed.mime
    media.meta = {"recycle": parsed.to_json()}
    result.ext_mismatch = False  # $IAB12CD.jpg names the deleted file, not its own bytes
    if parsed.notes:
        result.reason = "; ".join(parsed.notes)


def _describe(result: Result, name: str, digests: Digests, head: bytes, content: Content,
              settings: Settings, scope: Scope) -> None:
    content_type: ContentType = sniff(head)
    kind, mime = content_type.kind, content_type.mime
    plausible_disk = kind == "other" and looks_like_raw_disk(head)
    guessed_disk = plausible_disk or (kind == "other" and boot_signature(head))
    if guessed_disk:
        kind, mime = "disk-image", RAW_DISK_MIME
    result.size = digests.size
    result.mime = mime
    result.ext_mismatch = extension_matches(name, content_type) is False
    media = MediaRecord(
        sha256=digests.sha256, md5=digests.md5, sha1=digests.sha1, size=digests.size,
        kind=kind, mime=mime,
    )
    result.media = media
    if kind == "empty":
        result.status, result.reason = "skipped", "empty file"
        return
    if mime in _UNSUPPORTED:
        result.status, result.reason = "skipped", _UNSUPPORTED[mime]
        return
    if kind == "other" and content.data is not None and is_record_path(name):
        _recycle_record(result, media, name, content.data)
        return
    handler = HANDLERS.get(kind)
    if handler is not None and content.dropped is not None:
        result.status, result.reason = "skipped", f"limit: {content.dropped}"
        return
    if handler is not None:
        try:
            handler(Subject(name, head, content, media, result, settings, scope))
        except LimitReached:
            raise
        except Exception as exc:  # a library bug on hostile input must not end the run
            result.status, result.reason = "error", f"internal: {one_line(exc)}"
    if guessed_disk and result.status == "error" and not (
            result.children or result.listed) and (
            not plausible_disk or digests.size < SCAN_STEP):
        # Only a boot-sector look-alike (an NTFS $Boot file, a saved MBR, a 55AA by chance):
        # an ordinary file. A disk-sized file with a partition table keeps its error.
        media.kind, media.mime = content_type.kind, content_type.mime
        media.meta = {"note": f"looks like a disk image but {result.reason}"}
        result.mime, result.status, result.reason = content_type.mime, "done", None


def fingerprint(task: Task, settings: Settings) -> Result:
    """Everything one item yields, children included. Never raises for bad input."""
    result = Result(item_id=task.item_id, status="done")
    try:
        locator = from_json(task.locator) if task.locator else of_file(task.raw_path)
        absorbed = (_read_located(locator, settings) if len(locator) > 1
                    else _read(task, settings))
    except (LocatorError, _Unreadable) as exc:
        result.status, result.reason = "error", str(exc)
        return result
    except LimitReached as exc:
        result.status, result.reason = "skipped", f"limit: {exc}"
        return result
    try:
        scope = Scope(result.children, locator, catalogue(settings.catalogue),
                      depth=container_depth(locator), artefacts=task.artefacts)
        _describe(result, task.display, absorbed.digests, absorbed.head, absorbed.content,
                  settings, scope)
    finally:
        absorbed.content.close()
    return result


def fingerprint_chunk(tasks: list[Task], settings: Settings) -> list[Result]:
    """The unit of work shipped to a process or a cluster worker (under ``run_timed`` there,
    so each item is on its time budget)."""
    results = []
    for task in tasks:
        item_started(task.size)
        results.append(fingerprint(task, settings))
    return results
