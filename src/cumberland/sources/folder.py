"""Walk a folder read-only. Every directory entry becomes exactly one Entry.

Symlinks are recorded, never followed (so links out of the source and link loops cannot
lead the walk astray); FIFOs, sockets and device nodes are recorded as skipped without being
opened (opening a FIFO would block); unreadable directories are recorded as errors so the
files inside them are accounted for as unknown rather than silently missing.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from cumberland.records import FileTimes
from cumberland.sources.base import Entry, display_name
from cumberland.sources.evidence import node_kind, open_directory


def _times(st: os.stat_result) -> FileTimes:
    return FileTimes(
        created=getattr(st, "st_birthtime", None),
        modified=st.st_mtime,
        accessed=st.st_atime,
        changed=st.st_ctime,
    )


def _entry(raw: bytes, st: os.stat_result) -> Entry:
    mode = st.st_mode
    chain = [display_name(raw)]
    if stat.S_ISREG(mode):
        return Entry(chain, raw, st.st_size, times=_times(st))
    if stat.S_ISLNK(mode):
        try:
            target = display_name(os.readlink(raw))
        except OSError as exc:
            target = f"unreadable ({exc.strerror})"
        return Entry(chain, raw, None, "skipped", f"symlink -> {target}", _times(st))
    return Entry(chain, raw, None, "skipped", f"not a regular file: {node_kind(mode)}",
                 _times(st))


def walk_folder(root: Path | bytes | str) -> Iterator[Entry]:
    """Yield an Entry for every file, link and special node under ``root`` (depth first)."""
    top = os.fsencode(root)
    st = os.lstat(top)
    if not stat.S_ISDIR(st.st_mode):
        yield _entry(top, st)
        return
    stack = [top]
    while stack:
        directory = stack.pop()
        try:
            children = _list(directory)
        except OSError as exc:
            reason = f"unreadable directory: {exc.strerror or exc}"
            yield Entry([display_name(directory)], directory, None, "error", reason)
            continue
        subdirs = []
        for path, child_st in children:
            if isinstance(child_st, OSError):
                reason = f"cannot stat: {child_st.strerror or child_st}"
                yield Entry([display_name(path)], path, None, "error", reason)
            elif stat.S_ISDIR(child_st.st_mode):
                subdirs.append(path)
            else:
                yield _entry(path, child_st)
        stack.extend(reversed(subdirs))


def _list(directory: bytes) -> list[tuple[bytes, os.stat_result | OSError]]:
    """A directory's entries by name, each with its lstat (or why it has none), read through
    a descriptor opened without updating the directory's access time."""
    fd = open_directory(directory)
    try:
        with os.scandir(fd) as it:
            names = sorted(entry.name for entry in it)
        out: list[tuple[bytes, os.stat_result | OSError]] = []
        for name in names:
            path = os.path.join(directory, os.fsencode(name))
            try:
                out.append((path, os.stat(name, dir_fd=fd, follow_symlinks=False)))
            except OSError as exc:
                out.append((path, exc))
        return out
    finally:
        os.close(fd)
