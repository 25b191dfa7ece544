"""What the face gaps closed cost: the review-queue rebuild with the face-library facts, and
a video face's crop from its own keyframe.

  .venv/bin/python bench/face_gaps.py [--media 100000] [--matched 1000] [--seconds 60]
                                      [--repeat 5]

* Queue: one case of ``--media`` generated media (bench/web_grid.populate), a victims' face
  library whose one face matched ``--matched`` of them; the rebuild (one INSERT ... SELECT,
  ``refresh_queue``) timed with the face-library facts, and as the baseline the same
  statement with no face-library facts (the per-media kinds it joins left empty),
  interleaved, median of ``--repeat`` each.
* Crop: a generated ``--seconds`` H.264 video (640x480, 30 fps, x264's default key frame
  interval) showing scikit-image's astronaut from 5 s before its end; the frame at the
  face's time decoded by ``face_crops.keyframe`` (seek to the key frame before it, decode
  forward), and as the baseline decoding from the start up to that frame (what a crop
  without seeking costs); median of 3, and the cached crop's read.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# bench/platform.py would shadow the standard library's platform (numpy and pydantic import
# it): this folder goes last on the path, before anything imports it
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402

from cumberland.analysis import review  # noqa: E402
from cumberland.analysis.face_crops import keyframe  # noqa: E402
from cumberland.signals.video import frame_rate, reference_rgb  # noqa: E402
from cumberland.store.workspace import Workspace  # noqa: E402
from web_grid import populate, timed  # noqa: E402

FPS = 30


def _ms(call: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


def queue(media: int, matched: int, repeat: int) -> None:
    from sqlalchemy import func, literal, select

    from cumberland.store.models import ReviewEntry

    with tempfile.TemporaryDirectory(prefix="cumberland-bench-facegaps-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        case = populate(ws, media)
        now = time.time()
        with ws.engine.begin() as conn:
            conn.exec_driver_sql(
                "INSERT INTO face_libraries (name, source, model, kind, created_at, "
                "updated_at) VALUES ('bench', 'bench', 'dlib', 'victims', ?, ?)", (now, now))
            conn.exec_driver_sql(
                "INSERT INTO face_library_faces (library_id, label, origin, embedding) "
                "VALUES (1, 'known', 'bench', ?)", (b"\0" * 512,))
            step = max(1, media // max(matched, 1))
            conn.exec_driver_sql(
                "INSERT INTO face_library_matches (media_sha256, face_index, library_face_id, "
                "distance) VALUES (?, 0, 1, 0.3)",
                [(hashlib.sha256(n.to_bytes(8, "little")).digest(),)
                 for n in range(0, media, step)][:matched])
        kept = review._face_kinds

        def empty() -> Any:  # the baseline: no media has a face-library fact
            return kept().element.where(literal(False)).subquery()  # type: ignore[attr-defined]

        timings: dict[str, list[float]] = {"with": [], "without": []}
        review.refresh_queue(ws, case)  # warm-up
        try:
            for _ in range(repeat):  # interleaved: the shared machine's load moves a lot
                for name, kinds in (("with", kept), ("without", empty)):
                    review._face_kinds = kinds  # type: ignore[assignment]
                    timings[name].append(_ms(lambda: review.refresh_queue(ws, case)))
        finally:
            review._face_kinds = kept
        review.refresh_queue(ws, case)
        with ws.engine.connect() as conn:
            victims = conn.scalar(select(func.count()).select_from(ReviewEntry).where(
                ReviewEntry.reasons.like("%known_victim%")))
        with_faces = statistics.median(timings["with"])
        without = statistics.median(timings["without"])
        ws.close()
    print(f"queue rebuild, {media:,} media, {victims:,} with a victim's face: "
          f"{with_faces:,.0f} ms with the face-library facts, {without:,.0f} ms without "
          f"(baseline): {with_faces / without:.2f}x")


def _video(path: Path, seconds: int) -> float:
    """A video of ``seconds`` (a slow gradient), the astronaut in its last 5 s; the time of
    the face's first frame."""
    from skimage import data

    face = cv2.resize(np.ascontiguousarray(data.astronaut()), (300, 300))
    x = np.linspace(0, 1, 640)[None, :, None]
    at = seconds - 5
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuv420p"
        for n in range(seconds * FPS):
            shade = (n % 200) / 200
            rgb = np.broadcast_to((40 + 150 * x * shade + 0 * x).astype(np.uint8),
                                  (480, 640, 3)).copy()
            if n >= at * FPS:
                rgb[90:390, 170:470] = face
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return float(at)


def _from_start(data: bytes, t: float) -> np.ndarray:
    """The baseline: decode from the first frame, counting, up to frame round(t * fps)."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        wanted = round(t * (frame_rate(stream) or FPS))
        for n, frame in enumerate(container.decode(stream)):
            if n >= wanted:
                return reference_rgb(frame)
    raise RuntimeError("no frame")


def crop(seconds: int) -> None:
    with tempfile.TemporaryDirectory(prefix="cumberland-bench-facegaps-") as tmp:
        path = Path(tmp) / "clip.mp4"
        t = _video(path, seconds)
        data = path.read_bytes()
        sought = keyframe(io.BytesIO(data), t, 1 << 30)
        linear = _from_start(data, t)
        assert sought.shape == linear.shape and np.array_equal(sought, linear), \
            "seeking found another frame than counting from the start"
        seek_ms = timed(lambda: keyframe(io.BytesIO(data), t, 1 << 30), 3)
        start_ms = timed(lambda: _from_start(data, t), 3)
        cached = Path(tmp) / "crop.jpg"
        cached.write_bytes(b"\0" * 6000)
        read_ms = timed(lambda: cached.read_bytes(), 20)
    print(f"video face crop, {seconds} s 640x480 video, face at {t:.0f} s: frame found by "
          f"seeking {seek_ms:,.0f} ms, decoding from the start (baseline) {start_ms:,.0f} ms: "
          f"{start_ms / seek_ms:.1f}x; the same frame either way; cached crop read "
          f"{read_ms:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--matched", type=int, default=1_000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f}")
    queue(args.media, args.matched, args.repeat)
    crop(args.seconds)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
