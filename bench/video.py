"""Video hashing speed (vPDQ frames) as a multiple of real time per core, beside the naive
approach measured in the same run: decode every frame at full resolution and PDQ each.

  .venv/bin/python bench/video.py [--seconds 60] [--size 1280x720] [--fps 30]

The test video is generated here (panning scenes of coloured shapes, H.264). Both sides
decode with one thread. Also reports how close the two sides' hashes are at the same
timestamps (sampled frames vs the naive frame nearest in time).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from cumberland.settings import Settings
from cumberland.signals.pdq import hamming, pdq_from_rgb
from cumberland.signals.video import hash_video
from sources.evidence_kit import video


def naive(path: Path) -> list[tuple[float, bytes]]:
    out = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.thread_count = 1
        for frame in container.decode(stream):
            out.append((float(frame.time or 0), pdq_from_rgb(frame.to_ndarray(format="rgb24"))[0]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=30)
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as tmp:
        path = video(Path(tmp) / "bench.mp4", list(range(args.seconds // 4)), size=(w, h),
                     fps=args.fps, seconds_per_scene=4)
        duration = args.seconds // 4 * 4
        t0 = time.process_time()
        base = naive(path)
        t_naive = time.process_time() - t0
        t0 = time.process_time()
        with path.open("rb") as fh:
            facts = hash_video(fh, Settings(), threads=1)
        t_ours = time.process_time() - t0
    drift = [min(hamming(f.pdq, p) for t, p in base if abs(t - f.ts) < 1.5 / args.fps)
             for f in facts.frames]
    print(f"video: {duration} s, {w}x{h}, {args.fps} fps, H.264 ({len(base)} frames)")
    print(f"naive (every frame, full res): {t_naive:.2f} s CPU = "
          f"{duration / t_naive:.1f}x real time per core")
    print(f"cumberland (1 fps vPDQ):       {t_ours:.2f} s CPU = "
          f"{duration / t_ours:.1f}x real time per core, {len(facts.frames)} frames kept")
    print(f"speed-up: {t_naive / t_ours:.1f}x")
    print(f"hash drift vs full-res frame at the same time: median {np.median(drift):.0f} bits, "
          f"max {max(drift)} bits")


if __name__ == "__main__":
    main()
