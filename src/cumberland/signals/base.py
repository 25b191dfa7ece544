"""What a signal is, and the inputs it reads.

A signal is a name, a version, the media kinds it applies to, what it consumes and a
function from those inputs to a typed record with reasons (``records.Output``). The list of
signals is ``signals/registry.py``; a new signal is one module defining a ``Signal`` and one
line there (docs/writing-a-signal.md).

``Inputs`` produces each input at most once per media and only when a signal asks for it:
the file's bytes, its header, the one decode of its pixels, the one decoding pass over a
video's frames, and other signals' outputs (computed earlier in the same run, or, when they
are not being recomputed, rebuilt from what the store kept through the signal's ``load``).
So ingest decodes a picture once for every signal, and enrichment decodes it only when a
signal being recomputed consumes pixels.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, BinaryIO, TypeVar

from PIL import Image

from cumberland.records import Output
from cumberland.settings import Settings
from cumberland.signals.image import DecodedImage, decode_image
from cumberland.signals.video import VideoFacts, hash_video

T = TypeVar("T")


class Consumes(StrEnum):
    """What a signal reads. Enrichment re-reads evidence only for what stale signals read."""

    BYTES = "bytes"  # the file's bytes (and its header: metadata, without decoding)
    PIXELS = "pixels"  # the image decoded once (signals/image.py)
    FRAMES = "frames"  # the video's sampled frames, decoded in one pass (signals/video.py)
    SIGNALS = "signals"  # other signals' outputs, named in ``needs``


@dataclass(slots=True)
class Stored:
    """What the store kept of a media's earlier outputs, for ``Signal.load``."""

    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)
    pdq: bytes | None = None
    pdq_quality: int | None = None

    @classmethod
    def of(cls, raw: dict[str, Any]) -> Stored:
        return cls(raw.get("rows") or {}, raw.get("meta") or {}, raw.get("pdq"),
                   raw.get("pdq_quality"))


Compute = Callable[["Inputs"], Output | None]
Load = Callable[[Stored], Output | None]
Check = Callable[[Settings], None]


@dataclass(frozen=True, slots=True)
class Signal:
    """One registered signal.

    ``version`` is an int, bumped whenever the output would change (ONNX plug-ins carry
    their manifest's version string). ``needs`` names the signals whose outputs it reads (a
    trailing ``*`` matches a prefix: ``onnx:*``); they run first, and it is recomputed
    whenever one of them is. ``load`` rebuilds this signal's output from the store, for
    signals that need it while it is not recomputed. ``from_thumbnail``: a fair result can
    be computed from the stored thumbnail when the original cannot be read again (true of
    PDQ, which reduces to 64x64 anyway). ``check`` verifies once, at a run's start, what
    ``compute`` will load (model files), so a damaged model stops the run with one line
    instead of an error recorded per item.
    """

    name: str
    version: int | str
    kinds: frozenset[str]
    consumes: frozenset[Consumes]
    compute: Compute
    summary: str
    needs: tuple[str, ...] = ()
    load: Load | None = None
    from_thumbnail: bool = False
    check: Check | None = None

    @classmethod
    def define(cls, name: str, version: int | str, kinds: Iterable[str],
               consumes: Iterable[Consumes], compute: Compute, summary: str, *,
               needs: Iterable[str] = (), load: Load | None = None,
               from_thumbnail: bool = False, check: Check | None = None) -> Signal:
        """A signal, with its sets given as any iterables."""
        return cls(name, version, frozenset(kinds), frozenset(consumes), compute, summary,
                   tuple(needs), load, from_thumbnail, check)


class Inputs:
    """One media's inputs, each produced once, on first use (see the module docstring).

    ``data`` is the file's bytes when they are held in memory (files up to
    ``Settings.in_memory_limit``); ``opener`` reads them again as a stream otherwise.
    ``decodes`` counts decodes of pixels or frames, so callers can report (and tests
    prove) what work was done.
    """

    def __init__(self, kind: str, settings: Settings, data: bytes | None = None,
                 opener: Callable[[], BinaryIO] | None = None,
                 stored: Stored | None = None) -> None:
        self.kind = kind
        self.settings = settings
        self.data = data
        self._opener = opener
        self.stored = stored or Stored()
        self.outputs: dict[str, Output | None] = {}
        self.loaders: dict[str, Load | None] = {}
        self.decodes = 0
        self._cache: dict[str, Any] = {}

    def open(self) -> BinaryIO:
        """The bytes as a stream (from memory when held there)."""
        if self.data is not None:
            return io.BytesIO(self.data)
        if self._opener is None:
            raise OSError("the file's bytes are not available")
        return self._opener()

    def shared(self, key: str, make: Callable[[], T]) -> T:
        """Something several signals read, made by the first that asks (provenance's
        walk of the file's metadata, for one)."""
        if key not in self._cache:
            self._cache[key] = make()
        value: T = self._cache[key]
        return value

    def has(self, key: str) -> bool:
        """Whether ``shared(key, ...)`` was made in this run."""
        return key in self._cache

    def header(self) -> Image.Image:
        """The image opened but not decoded: its format, size and metadata."""
        return self.shared("header", lambda: Image.open(self.open()))

    def decoded(self) -> DecodedImage:
        """The one decode of the picture (raises Pillow's errors or ImageLimitError)."""
        def make() -> DecodedImage:
            self.decodes += 1
            source = self.data if self.data is not None else self.open()
            return decode_image(source, self.settings)

        return self.shared("decoded", make)

    def video(self) -> VideoFacts:
        """The one decoding pass over a video (raises VideoError)."""
        def make() -> VideoFacts:
            self.decodes += 1
            with self.open() as stream:
                return hash_video(stream, self.settings)

        return self.shared("video", make)

    def output(self, name: str) -> Output | None:
        """Another signal's output: computed in this run, else rebuilt from the store."""
        if name not in self.outputs:
            load = self.loaders.get(name)
            self.outputs[name] = load(self.stored) if load is not None else None
        return self.outputs[name]
