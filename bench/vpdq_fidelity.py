"""vPDQ fidelity and cost against Meta's ``vpdq-hash-video``, run on the same videos in the
same run, beside Cumberland's previous method (the baseline kept below) and Cumberland with
the 512 px shortcut of that method put back (what dropping it costs).

  .venv/bin/python bench/vpdq_fidelity.py --vpdq-hash-video PATH [--te DIR] [--seconds 20]

PATH: the reference tool, built as scripts/golden_vectors.py says. Videos: rendered here
from tests/golden/patterns.py (x264's defaults: adaptive B-frames, B-pyramid) at 30,
30000/1001 and 25 fps, 640x360 and 1920x1080; with ``--te`` (a ThreatExchange checkout)
also its ``tmk/sample-videos``. Per video and method: lines identical to the reference's
hash file (``-r 1 -t 1``); drift, the bits between the k-th reference frame and the
method's k-th frame (mean, max), and how far apart in time they are; the vPDQ match of the
method's list against the reference's (unique frames of quality >= 50 with a frame within
31 bits, both ways); CPU seconds, the reference's measured on its process, and the ratio
to the reference. With ``--te``, also every frame of those sample videos against this
build of the reference and against Meta's published hash files (another FFmpeg).
"""

from __future__ import annotations

import argparse
import math
import resource
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cumberland.settings import Settings
from cumberland.signals.pdq import hamming, pdq_from_rgb
from cumberland.signals.video import frame_rate, frame_step, frame_time, hash_video
from golden.patterns import frames

Frame = tuple[int, int, bytes, float]  # number, quality, hash, seconds


def render(path: Path, rate: Fraction, seconds: int, size: tuple[int, int]) -> Path:
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=rate,
                                      options={"crf": "23", "threads": "1"})
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        for rgb in frames(*size, int(seconds * rate)):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def baseline(path: Path) -> list[Frame]:
    """Cumberland's vPDQ before it followed the reference (video signal version 1): a
    frame per whole second of timestamp, non-reference frames skipped by the decoder,
    frames scaled to 512 px on the short side when it is 1024 or more."""
    out: list[Frame] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        stream.codec_context.skip_frame = "NONREF"
        fps = float(stream.average_rate or stream.guessed_rate)
        next_t = -math.inf
        for n, frame in enumerate(container.decode(stream)):
            t = float(frame.time) if frame.time is not None else n / fps
            if t < next_t - 1e-6:
                continue
            next_t = (math.floor(t + 1e-6) + 1)
            w, h, short = frame.width, frame.height, min(frame.width, frame.height)
            if short >= 1024:
                w, h = round(w * 512 / short), round(h * 512 / short)
            pdq, quality = pdq_from_rgb(frame.to_ndarray(width=w, height=h, format="rgb24"))
            out.append((round(t * fps), quality, pdq, round(t, 3)))
    return out


def small_copy(path: Path) -> list[Frame]:
    """Cumberland's frames and conversion, but each frame scaled to 512 px on the short side
    when it is 1024 or more, as version 1 did: what dropping that shortcut costs and buys."""
    out: list[Frame] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        fps = frame_rate(stream) or 25.0
        step = frame_step(fps, 1000)
        for n, frame in enumerate(container.decode(stream)):
            if n % step:
                continue
            w, h, short = frame.width, frame.height, min(frame.width, frame.height)
            if short >= 1024:
                w, h = round(w * 512 / short), round(h * 512 / short)
            full = frame.format.name.startswith("yuvj")
            rgb = frame.reformat(format="rgb24", width=w, height=h, interpolation="AREA",
                                 src_colorspace="ITU601",
                                 src_color_range="JPEG" if full else "MPEG").to_ndarray()
            pdq, quality = pdq_from_rgb(rgb)
            out.append((n, quality, pdq, frame_time(n, fps)))
    return out


def cumberland(path: Path) -> list[Frame]:
    with path.open("rb") as fh:
        facts = hash_video(fh, Settings(), threads=1)
    return [(f.idx, f.quality, f.pdq, f.ts) for f in facts.frames]


def reference(tool: Path, path: Path, out: Path) -> list[Frame]:
    subprocess.run([str(tool), "-i", str(path), "-o", str(out), "-r", "1", "-t", "1"],
                   check=True, capture_output=True)
    rows = [line.split(",") for line in out.read_text().splitlines()]
    return [(int(n), int(q), bytes.fromhex(h), float(t)) for n, q, h, t in rows]


def _lines(frames_: list[Frame]) -> list[str]:
    return [f"{n},{q},{h.hex()},{t:.3f}" for n, q, h, t in frames_]


def match_percent(query: list[Frame], target: list[Frame]) -> tuple[float, float]:
    """vPDQ's rule on unique good-quality frames: the share of each list with a frame of
    the other within 31 bits."""
    q = {h for _, quality, h, _ in query if quality >= 50}
    t = {h for _, quality, h, _ in target if quality >= 50}
    if not q or not t:
        return 0.0, 0.0
    def share(a: set[bytes], b: set[bytes]) -> float:
        return 100 * sum(any(hamming(x, y) <= 31 for y in b) for x in a) / len(a)
    return share(q, t), share(t, q)


def _cpu(run, *args):  # type: ignore[no-untyped-def]
    """(result, CPU seconds of this process and of the children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.process_time()
    result = run(*args)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    children = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return result, time.process_time() - t0 + children


def measure(tool: Path, path: Path, tmp: Path, totals: dict[str, list[float]]) -> None:
    ref, t_ref = _cpu(reference, tool, path, tmp / "ref.txt")
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        described = (f"{stream.codec_context.width}x{stream.codec_context.height} "
                     f"{float(stream.average_rate):.3f} fps, {stream.frames} frames")
    print(f"\n{path.name}: {described}, reference {len(ref)} hashed frames, "
          f"{t_ref:.2f} s CPU")
    methods = (("cumberland", cumberland), ("512 px copy", small_copy), ("baseline v1", baseline))
    for name, method in methods:
        ours, t_ours = _cpu(method, path)
        same = sum(a == b for a, b in zip(_lines(ours), _lines(ref), strict=False))
        drift = [hamming(a[2], b[2]) for a, b in zip(ours, ref, strict=False)]
        offset = max(abs(a[3] - b[3]) for a, b in zip(ours, ref, strict=False))
        extra = abs(len(ours) - len(ref))
        q, t = match_percent(ours, ref)
        totals.setdefault(name, []).extend([t_ours, t_ref])
        print(f"  {name:12} {same}/{len(ref)} lines identical"
              f"{f' ({extra} frames more or fewer)' if extra else ''}; drift mean "
              f"{np.mean(drift):.1f} max {max(drift)} bits, up to {offset:.3f} s apart; "
              f"match {q:.0f} % / {t:.0f} %; "
              f"{t_ours:.2f} s CPU = {t_ours / t_ref:.2f}x the reference, "
              f"{1000 * t_ours / max(1, len(ours)):.0f} ms per hashed frame")


def _compare(label: str, ours: list[Frame], theirs: list[Frame]) -> tuple[int, int]:
    same = sum(a == b for a, b in zip(_lines(ours), _lines(theirs), strict=False))
    drift = [hamming(a[2], b[2]) for a, b in zip(ours, theirs, strict=False)]
    q, t = match_percent(ours, theirs)
    print(f"    {label}: {same}/{len(theirs)} lines identical, drift mean {np.mean(drift):.2f} "
          f"max {max(drift)} bits, match {q:.0f} % / {t:.0f} %")
    return same, len(theirs)


def every_frame(tool: Path, te: Path, tmp: Path) -> None:
    """Every frame (``-r 0``) of ThreatExchange's sample videos: Cumberland against this
    build of the reference, and against Meta's published hash files (``vpdq/sample-hashes``,
    made with whichever FFmpeg Meta had)."""
    print("\nevery frame of ThreatExchange's sample videos:")
    totals = {"this build": [0, 0], "published": [0, 0]}
    for path in sorted((te / "tmk" / "sample-videos").glob("*.mp4")):
        with path.open("rb") as fh:
            facts = hash_video(fh, Settings(video_frame_interval_ms=0))
        ours = [(f.idx, f.quality, f.pdq, f.ts) for f in facts.frames]
        print(f"  {path.name}:")
        out = tmp / "every.txt"
        subprocess.run([str(tool), "-i", str(path), "-o", str(out), "-r", "0", "-t", "1"],
                       check=True, capture_output=True)
        sides = {"this build": out, "published": te / "vpdq" / "sample-hashes" / f"{path.stem}.txt"}
        for label, listed in sides.items():
            if listed.exists():
                rows = [line.split(",") for line in listed.read_text().splitlines()]
                theirs = [(int(n), int(q), bytes.fromhex(h), float(t)) for n, q, h, t in rows]
                same, count = _compare(label, ours, theirs)
                totals[label][0] += same
                totals[label][1] += count
    for label, (same, count) in totals.items():
        print(f"  all, {label}: {same}/{count} lines identical")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--vpdq-hash-video", type=Path, required=True)
    parser.add_argument("--te", type=Path, help="a ThreatExchange checkout (sample videos)")
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    totals: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        videos = []
        for size in ((640, 360), (1920, 1080)):
            for rate in (Fraction(30), Fraction(30000, 1001), Fraction(25)):
                label = f"{size[1]}p-{float(rate):.2f}fps.mp4"
                videos.append(render(tmp / label, rate, args.seconds, size))
        if args.te:
            videos += sorted((args.te / "tmk" / "sample-videos").glob("*.mp4"))
        for path in videos:
            measure(args.vpdq_hash_video, path, tmp, totals)
        if args.te:
            every_frame(args.vpdq_hash_video, args.te, tmp)
    print()
    for name, pairs in totals.items():
        ours, ref = sum(pairs[::2]), sum(pairs[1::2])
        print(f"all videos, {name}: {ours:.1f} s CPU, reference {ref:.1f} s: "
              f"{ours / ref:.2f}x")


if __name__ == "__main__":
    main()
