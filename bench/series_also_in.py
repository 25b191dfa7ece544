"""What "scene also in case X" costs a series build (issue 14), beside the scene links the
build already finds.

  PYTHONPATH=src .venv/bin/python bench/series_also_in.py [--rooms 10] [--shared 5] [--shots 3]
      [--alone 10]

Two cases of generated benign rooms (tests/scenes/scene_kit.py), ``--shots`` second shots of
each room; ``--shared`` rooms are in both cases, each case's shots its own; ``--alone`` more
rooms have one shot in each case (pictures in no series). Both cases are triaged, then on the
second: ``scene_links`` (the series' own scene links, the baseline), the cross-case look
(``analysis.series.elsewhere``) over its series members only (as before) and over every media
(as the build does now), and a whole ``build_series``; one run each (a shared machine: quote
the load beside them). Also prints which shared rooms were found from either side.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

# bench/platform.py would shadow the standard library's platform (SQLAlchemy imports it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the benign rooms

# isort: split
from sqlalchemy import select  # noqa: E402

from cumberland.analysis.series import (  # noqa: E402
    build_series,
    case_elsewhere,
    case_series,
    elsewhere,
)
from cumberland.matching.scenes import scene_links  # noqa: E402
from cumberland.pipeline.triage import TriageRequest, triage  # noqa: E402
from cumberland.settings import Settings  # noqa: E402
from cumberland.store import writer  # noqa: E402
from cumberland.store.models import Item  # noqa: E402
from cumberland.store.workspace import Workspace  # noqa: E402
from scenes.scene_kit import jpeg, scene, warp  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=10, help="rooms per case")
    parser.add_argument("--shared", type=int, default=5, help="rooms in both cases")
    parser.add_argument("--shots", type=int, default=3)
    parser.add_argument("--alone", type=int, default=10,
                        help="rooms with one shot in each case")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="also-in-"))
    try:
        first = range(1, args.rooms + 1)
        second = range(args.rooms - args.shared + 1, 2 * args.rooms - args.shared + 1)
        for case, rooms, offset in (("a", first, 0), ("b", second, 50)):
            (root / case).mkdir()
            for r in rooms:
                img = scene(r)
                for k in range(args.shots):
                    shot = warp(img, 100 * r + k + offset)[0]
                    (root / case / f"r{r}_{k}.jpg").write_bytes(jpeg(shot, 80))
            for r in range(100, 100 + args.alone):
                shot = warp(scene(r), 100 * r + offset)[0]
                (root / case / f"alone{r}.jpg").write_bytes(jpeg(shot, 80))
        ws = Workspace(root / "ws")
        for case in "ab":
            triage(ws, TriageRequest(sources=[root / case], case=case,
                                     settings=Settings(workers=1)))
        b = writer.case_id(ws, "b", create=False)
        members = {bytes.fromhex(m) for s in case_series(ws, b) for m in s["members"]}
        t = time.perf_counter()
        scene_links(ws, b)
        links = time.perf_counter() - t
        with ws.engine.connect() as conn:
            every = {bytes(m) for m in conn.scalars(select(Item.media_sha256).where(
                Item.case_id == b, Item.media_sha256.is_not(None)).distinct())}
        t = time.perf_counter()
        elsewhere(ws, b, members)
        look = time.perf_counter() - t
        t = time.perf_counter()
        seen, _ = elsewhere(ws, b, every)
        look_all = time.perf_counter() - t
        t = time.perf_counter()
        build_series(ws, b)
        build = time.perf_counter() - t
        a = writer.case_id(ws, "a", create=False)
        found_b = sum(1 for s in case_series(ws, b) if s["also_in"])
        found_a = sum(1 for s in case_series(ws, a) if s["also_in"])
        alone = [x for x in case_elsewhere(ws, b) if x["series"] is None]
        print(f"case b: {len(every)} media, {len(members)} in series; {args.shared} rooms "
              f"shared with case a, {args.alone} rooms one shot in each case")
        print(f"scene_links(b) {links * 1000:.0f} ms (baseline); elsewhere(b) over series "
              f"members {look * 1000:.0f} ms ({look / links:.2f}x), over every media "
              f"{look_all * 1000:.0f} ms ({look_all / links:.2f}x); build_series(b) "
              f"{build * 1000:.0f} ms")
        print(f"series flagged 'also in': b {found_b} of {args.shared} shared rooms, a "
              f"{found_a} (told by b's build); media seen elsewhere {len(seen)} "
              f"({args.shared * args.shots} series members and {args.alone} alone expected); "
              f"pictures in no series flagged in b's report {len(alone)}")
        ws.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
