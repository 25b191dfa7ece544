"""Read an item's bytes (or a media's pixels) again from the evidence, by locator.

This is the one way the product reads a file's content after ingest: matching's keypoint
verification, enrichment (``cumberland enrich``) and the web app's full-resolution view all
come here. Items on the file system reopen by path; items inside containers (a zip inside
an E01's NTFS partition) by their stored locator. What is read is checked against the
SHA-256 recorded at ingest, so evidence that moved or changed is never shown or hashed as
if it were the item.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select

from cumberland.settings import Settings
from cumberland.signals.image import decode_pixels
from cumberland.sources.base import BLOCK
from cumberland.sources.encrypted import load_keys
from cumberland.sources.evidence import open_path
from cumberland.sources.locator import Locator, LocatorError, from_json, of_file
from cumberland.sources.reopen import Opener
from cumberland.store.models import Item, Run
from cumberland.store.workspace import Workspace

COPIES_TRIED = 8  # items holding one media that are tried before giving up


class ReopenError(LocatorError):
    """The item cannot be read again as it was ingested; the message is one line."""


def item_locator(raw_path: bytes | None, stored: list[dict[str, Any]] | None) -> Locator:
    """An item's locator: stored for members of containers, its path for plain files."""
    if stored:
        return from_json(stored)
    if raw_path is None:
        raise ReopenError("item has no locator (nothing to read)")
    return of_file(raw_path)


@contextmanager
def open_verified(locator: Locator, sha256: bytes, settings: Settings,
                  spool_dir: Path | None = None) -> Iterator[BinaryIO]:
    """The bytes the locator leads to, seekable, once they hash to ``sha256``: in memory up
    to ``settings.in_memory_limit``, beyond that in a temporary file (``spool_dir``, never
    beside the evidence) removed on exit."""
    opener = Opener(open_path, settings.archive_max_bytes, load_keys(settings.volume_keys))
    try:
        with opener.open(locator) as source, _spool(spool_dir) as held:
            digest = hashlib.sha256()
            memory: list[bytes] | None = []
            kept = 0
            while block := source.read(BLOCK):
                digest.update(block)
                if memory is not None and kept + len(block) <= settings.in_memory_limit:
                    memory.append(block)
                    kept += len(block)
                    continue
                if memory is not None:
                    held.writelines(memory)
                    memory = None
                held.write(block)
            if digest.digest() != sha256:
                raise ReopenError("evidence changed since ingest: SHA-256 differs")
            if memory is not None:
                yield io.BytesIO(b"".join(memory))
            else:
                held.seek(0)
                yield held
    except (OSError, RuntimeError) as exc:  # a read failing inside the image's library
        raise ReopenError(f"cannot reopen: {' '.join(str(exc).split())}"[:300]) from exc
    except LocatorError as exc:
        if isinstance(exc, ReopenError):
            raise
        raise ReopenError(str(exc)) from exc
    finally:
        opener.close()


def case_setting(ws: Workspace, case: int, key: str) -> str | None:
    """The value of setting ``key`` in the case's latest run that had one (a path given on
    the command line: only the path is stored)."""
    with ws.engine.connect() as conn:
        for (settings,) in conn.execute(
                select(Run.settings).where(Run.case_id == case).order_by(Run.id.desc())):
            value = (settings or {}).get(key)
            if value:
                return str(value)
    return None


def case_volume_keys(ws: Workspace, case: int) -> str | None:
    """The keys file (``--volume-keys``) the case's latest run that had one was given:
    only its path is stored, so the viewer and enrichment reopen items inside encrypted
    volumes the way ingest read them, without the examiner naming the file again (and a
    file that was removed opens nothing)."""
    return case_setting(ws, case, "volume_keys")


@contextmanager
def _spool(spool_dir: Path | None) -> Iterator[BinaryIO]:
    with tempfile.TemporaryFile(prefix="cumberland-reopen-",
                                dir=spool_dir) as held:  # removed on close
        yield held  # type: ignore[misc]


def _copies(ws: Workspace, sha256: bytes) -> list[tuple[int, Locator | str]]:
    with ws.engine.connect() as conn:
        rows = conn.execute(select(Item.id, Item.raw_path, Item.locator).where(
            Item.media_sha256 == sha256).order_by(Item.id).limit(COPIES_TRIED)).all()
    out: list[tuple[int, Locator | str]] = []
    for row in rows:
        try:
            out.append((row.id, item_locator(row.raw_path, row.locator)))
        except LocatorError as exc:
            out.append((row.id, str(exc)))
    return out


@contextmanager
def open_media(ws: Workspace, sha256: bytes, settings: Settings) -> Iterator[BinaryIO]:
    """A media's bytes from the first of its items that still reads as ingested.

    Raises ReopenError naming why the last copy tried failed (evidence moved or changed,
    container damaged, no item holds the media)."""
    reason = "no item holds this media"
    for _item, locator in _copies(ws, sha256):
        if isinstance(locator, str):
            reason = locator
            continue
        try:
            with open_verified(locator, sha256, settings, ws.root) as fh:
                yield fh
                return
        except ReopenError as exc:
            reason = str(exc)
    raise ReopenError(reason)


@contextmanager
def open_item(ws: Workspace, item_id: int, settings: Settings) -> Iterator[BinaryIO]:
    """One item's bytes, checked against its SHA-256 (an item not yet hashed has none to
    check against: ReopenError)."""
    with ws.engine.connect() as conn:
        row = conn.execute(select(Item.raw_path, Item.locator, Item.media_sha256).where(
            Item.id == item_id)).one_or_none()
    if row is None:
        raise ReopenError(f"no item {item_id}")
    if row.media_sha256 is None:
        raise ReopenError("item has no recorded SHA-256 to check its bytes against")
    with open_verified(item_locator(row.raw_path, row.locator), bytes(row.media_sha256),
                       settings, ws.root) as fh:
        yield fh


def media_pixels(ws: Workspace, sha256: bytes, settings: Settings) -> NDArray[np.uint8]:
    """Full-resolution RGB pixels of a media, read from the evidence (ReopenError when it
    cannot be read, or does not decode)."""
    with open_media(ws, sha256, settings) as fh:
        data = fh.read() if isinstance(fh, io.BytesIO) else None
        try:
            return decode_pixels(data if data is not None else fh, settings)
        except Exception as exc:  # undecodable pixels are a reason, not a crash
            raise ReopenError(f"does not decode: {' '.join(str(exc).split())}"[:300]) from exc
