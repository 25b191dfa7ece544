"""The one list of signals, and running them.

Every signal Cumberland computes is a line of ``BUILTIN`` (its module defines it: see
docs/writing-a-signal.md), plus one signal per ONNX plug-in of ``Settings.plugins_dir`` (a
detector's part of provenance, an image-embedding's vector) and any added at run time with
``register``. Signals run in dependency order (``needs``); one
that fails records ``{"error": ...}`` as its output and never fails the item.

Each media keeps the version of every signal computed for it (``media.signal_versions``):
``plan`` names what is missing or stale for a media, plus every signal that reads one of
those (a dependant is redone when its input is), and ``cumberland enrich`` computes exactly
that.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping
from fnmatch import fnmatchcase

from cumberland.errors import one_line
from cumberland.records import MediaRecord, Output, Result, SignalOutput
from cumberland.settings import Settings
from cumberland.signals import (
    embeddings,
    exif,
    faces,
    frames,
    local_features,
    ocr,
    pdq_signal,
    thumbnail,
)
from cumberland.signals.base import Inputs, Signal
from cumberland.signals.provenance import parts
from cumberland.signals.sniff import sniff

BUILTIN: tuple[Signal, ...] = (
    exif.SIGNAL,
    pdq_signal.PDQ,
    pdq_signal.VARIANTS,
    thumbnail.SIGNAL,
    frames.VPDQ,
    frames.CONTACT_SHEET,
    parts.C2PA,
    parts.XMP,
    parts.GENERATORS,
    parts.WATERMARK,
    parts.CAMERA,
    parts.SIGNAL,
    local_features.SIGNAL,
    ocr.SIGNAL,
    faces.SIGNAL,
)
PROVENANCE = parts.NAME

_added: list[Signal] = []


class RegistryError(ValueError):
    """Two signals with one name, or a signal that needs one that does not exist."""


def register(signal: Signal) -> None:
    """Add a signal at run time (for this process: workers import the built-in list)."""
    if any(s.name == signal.name for s in (*BUILTIN, *_added)):
        raise RegistryError(f"a signal named {signal.name!r} is already registered")
    _added.append(signal)


def unregister(name: str) -> None:
    _added[:] = [s for s in _added if s.name != name]


def active(settings: Settings) -> tuple[Signal, ...]:
    """Every signal of this run, in an order where each comes after what it needs."""
    return _ordered((*BUILTIN, *_added, *_plugins(settings.plugins_dir)))


@functools.lru_cache(maxsize=4)
def _plugins(folder: str | None) -> tuple[Signal, ...]:
    return (*parts.plugin_signals(folder), *embeddings.plugin_signals(folder))


def check(signals: Iterable[Signal], settings: Settings) -> None:
    """Run every signal's start-of-run check (model files): the first fault raises."""
    for s in signals:
        if s.check is not None:
            s.check(settings)


def needs_of(signal: Signal, names: Iterable[str]) -> list[str]:
    """The signals among ``names`` that ``signal`` reads (patterns expanded)."""
    return [n for n in names if n != signal.name
            and any(fnmatchcase(n, pattern) for pattern in signal.needs)]


@functools.lru_cache(maxsize=16)
def _ordered(signals: tuple[Signal, ...]) -> tuple[Signal, ...]:
    names = [s.name for s in signals]
    if len(set(names)) != len(names):
        twice = sorted({n for n in names if names.count(n) > 1})
        raise RegistryError(f"signal names repeat: {twice}")
    for s in signals:
        missing = [p for p in s.needs if "*" not in p and p not in names]
        if missing:
            raise RegistryError(f"signal {s.name!r} needs unknown signals {missing}")
    done: list[Signal] = []
    waiting = list(signals)
    while waiting:  # the first whose needs are met, so a list already in order stays so
        placed = {d.name for d in done}
        ready = next((s for s in waiting if all(n in placed for n in needs_of(s, names))), None)
        if ready is None:
            raise RegistryError(f"signals need each other: {[s.name for s in waiting]}")
        done.append(ready)
        waiting.remove(ready)
    return tuple(done)


def for_kind(signals: Iterable[Signal], kind: str) -> list[Signal]:
    return [s for s in signals if kind in s.kinds]


def plan(signals: Iterable[Signal], kind: str, versions: Mapping[str, object],
         only: Collection[str] | None = None) -> list[str]:
    """What to compute for a media of ``kind`` that has ``versions``: every applicable
    signal that is missing or at another version (of ``only``, when given), and every
    signal reading one of those."""
    applicable = for_kind(signals, kind)
    names = [s.name for s in applicable]
    redo = {s.name for s in applicable if versions.get(s.name) != s.version
            and (only is None or s.name in only)}
    for s in applicable:  # in dependency order, so one pass carries redoing downstream
        if s.name not in redo and any(n in redo for n in needs_of(s, names)):
            redo.add(s.name)
    return [n for n in names if n in redo]


def compute(inputs: Inputs, signals: Iterable[Signal],
            names: Collection[str] | None = None) -> dict[str, Output | None]:
    """Run the signals applying to ``inputs.kind`` (only ``names`` when given), in order.

    Signals not run can still be read by those that are (``Inputs.output`` loads them).
    """
    applicable = for_kind(signals, inputs.kind)
    for s in applicable:
        inputs.loaders[s.name] = s.load
    done: dict[str, Output | None] = {}
    for s in applicable:
        if names is not None and s.name not in names:
            continue
        try:
            out = s.compute(inputs)
        except Exception as exc:  # hostile input: keep the error with the signal, go on
            out = Output(data={"error": one_line(exc)})
        inputs.outputs[s.name] = done[s.name] = out
    return done


def versions_of(signals: Iterable[Signal], names: Iterable[str]) -> dict[str, int | str]:
    by_name = {s.name: s.version for s in signals}
    return {n: by_name[n] for n in names}


def apply(outputs: Mapping[str, Output | None], signals: Iterable[Signal],
          media: MediaRecord, result: Result) -> None:
    """Put a fresh media's outputs where they are kept (see ``records.Output``)."""
    versions = versions_of(signals, outputs)
    for name, out in outputs.items():
        media.versions[name] = versions[name]
        if out is None:
            continue
        row = out.row()
        if row is not None:
            version = versions[name]
            result.signals.append(SignalOutput(name, version if isinstance(version, int) else 0,
                                               row))
        if out.pdq is not None:
            media.pdq, media.pdq_quality = out.pdq
        if out.ai_level is not None:
            media.ai_level = out.ai_level
        if out.meta:
            media.meta.update(out.meta)
        if out.frames is not None:
            media.frames = out.frames
        if out.thumbnail is not None:
            result.thumbnail = out.thumbnail


def describe(data: bytes, settings: Settings | None = None,
             names: Collection[str] | None = None) -> dict[str, Output | None]:
    """Every signal (or the named ones) of one file's bytes: for tools and tests."""
    settings = settings or Settings()
    signals = active(settings)
    wanted = None if names is None else with_needs(signals, names)
    outputs = compute(Inputs(sniff(data[:4096]).kind, settings, data), signals, wanted)
    return {n: out for n, out in outputs.items() if names is None or n in names}


def with_needs(signals: Iterable[Signal], names: Iterable[str]) -> set[str]:
    """``names`` and everything they read, transitively (nothing stored to read it from)."""
    ordered = list(signals)
    every = [s.name for s in ordered]
    wanted = set(names)
    for s in reversed(ordered):  # dependants come after their needs: one backward pass
        if s.name in wanted:
            wanted.update(needs_of(s, every))
    return wanted
