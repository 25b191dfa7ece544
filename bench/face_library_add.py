"""What matching at ``faces library add`` costs: the add of a CSV of known faces into a
workspace whose case already holds faces, with the case's faces matched and their media
ranked again in the review queue (now), beside the same add storing the faces only (what
it did before: the matches waited for the next enrich).

  .venv/bin/python bench/face_library_add.py [--media 100000] [--faces 20000]
                                             [--known 100] [--matching 10] [--repeat 3]

One case of ``--media`` generated media (bench/web_grid.populate), ``--faces`` of them with
one stored face each (random 128-number embeddings of dlib's scale, ~1.3 apart); a CSV of
``--known`` faces, ``--matching`` of them near copies (0.05 off) of case faces. Each add
goes into a new library (removed after, outside the timing), with and without the matching
interleaved, median of ``--repeat`` each; ``match_case_faces`` (the case matched against
every library, what enrich runs) timed beside.
"""

from __future__ import annotations

import argparse
import hashlib
import json
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
import numpy as np  # noqa: E402

from cumberland.analysis import face_library, review  # noqa: E402
from cumberland.settings import Settings  # noqa: E402
from cumberland.signals.faces import encode  # noqa: E402
from cumberland.store.workspace import Workspace  # noqa: E402
from web_grid import populate  # noqa: E402


def _ms(call: Callable[[], Any]) -> float:
    t0 = time.perf_counter()
    call()
    return (time.perf_counter() - t0) * 1000


def _faces(ws: Workspace, media: int, faces: int, rng: np.random.Generator) -> np.ndarray:
    vectors = (rng.standard_normal((faces, 128)) * 0.08).astype(np.float32)
    step = max(1, media // faces)
    rows = [(hashlib.sha256((n * step).to_bytes(8, "little")).digest(),
             json.dumps({"faces": [{"box": [0, 0, 64, 64], "score": 0.9,
                                    "quality": {"overall": 0.8},
                                    "embedding": encode(v)}]}))
            for n, v in enumerate(vectors)]
    with ws.engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO signals (media_sha256, name, version, data) "
                             "VALUES (?, 'faces', 1, ?)", rows)
    return vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--media", type=int, default=100_000)
    parser.add_argument("--faces", type=int, default=20_000)
    parser.add_argument("--known", type=int, default=100)
    parser.add_argument("--matching", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(7)
    with tempfile.TemporaryDirectory(prefix="cumberland-bench-facelib-") as tmp:
        ws = Workspace(Path(tmp) / "ws")
        case = populate(ws, args.media)
        held = _faces(ws, args.media, args.faces, rng)
        review.refresh_queue(ws, case)
        known = (rng.standard_normal((args.known, 128)) * 0.08).astype(np.float32)
        near = rng.choice(args.faces, args.matching, replace=False)
        known[:args.matching] = held[near] + 0.05 / np.sqrt(128)
        table = Path(tmp) / "known.csv"
        table.write_text("label,embedding\n" + "".join(
            f"known-{i},{' '.join(f'{x:.6f}' for x in v)}\n" for i, v in enumerate(known)))
        kept = face_library.case_faces
        timings: dict[str, list[float]] = {"with": [], "without": []}
        matched = 0
        try:
            for n in range(args.repeat):  # interleaved: the shared machine's load moves
                for name in ("with", "without"):
                    face_library.case_faces = (  # type: ignore[assignment]
                        kept if name == "with" else (lambda ws, cases: []))
                    library = f"bench-{name}-{n}"
                    t0 = time.perf_counter()
                    out = face_library.add_face_library(ws, table, library,
                                                        kind=face_library.LibraryKind.VICTIMS)
                    timings[name].append((time.perf_counter() - t0) * 1000)
                    if name == "with":  # the add matched what enrich would
                        matched = face_library.match_case_faces(ws, case, Settings())
                        assert out.matched == matched, (out.matched, matched)
                    face_library.remove_face_library(ws, library)
        finally:
            face_library.case_faces = kept
        face_library.add_face_library(ws, table, "bench", kind=face_library.LibraryKind.VICTIMS)
        enrich = statistics.median(
            _ms(lambda: face_library.match_case_faces(ws, case, Settings()))
            for _ in range(args.repeat))
        ws.close()
    with_match = statistics.median(timings["with"])
    without = statistics.median(timings["without"])
    print(f"faces library add, {args.known} known faces, {args.media:,} media of which "
          f"{args.faces:,} with a face, {matched} matched: {with_match:,.0f} ms matching "
          f"and re-ranking at once, {without:,.0f} ms storing only (baseline, as before): "
          f"{with_match / without:.2f}x; the case matched again by enrich's step "
          f"(match_case_faces): {enrich:,.0f} ms")


if __name__ == "__main__":
    main()
