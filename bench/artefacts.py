"""What the artefact catalogue costs the ingest of many small files (issue 20: <= 2 %).

  .venv/bin/python bench/artefacts.py [--files 50000] [--rounds 2] [--workers 2]

The corpus: ``--files`` 64-byte text files under laptop-like folders (user pictures, camera
roll, messaging media, browser caches, system and program folders, temporary and project
folders: every kind of rule is exercised, most paths match none), generated once under
``--root`` and reused. In the same run:

- the catalogue alone: every file's path (relative to the source, as ingest gives it)
  classified by a freshly loaded catalogue, its folder cache empty; best of three; and the
  same paths each moved into a folder of its own (the folder cache never helps);
- ``triage`` (enumerate, fingerprint, match, report, review queue) into a fresh SQLite
  workspace, with the catalogue and with classification switched off (the baseline),
  alternated ``--rounds`` times; the best of each is compared.

The direct figure (classification time / ingest time) is the one to quote: on a shared
machine two ingests differ by more than 2 % between themselves.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

# bench/platform.py would shadow the standard library's platform (SQLAlchemy imports it)
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

# isort: split
from cumberland.pipeline.triage import TriageRequest, triage  # noqa: E402
from cumberland.settings import Settings  # noqa: E402
from cumberland.sources.artefacts.catalogue import Catalogue, load_catalogue  # noqa: E402
from cumberland.store.workspace import Workspace  # noqa: E402

FOLDERS = (
    "Users/{u}/Pictures/{y}", "Users/{u}/Pictures/Camera Roll", "Users/{u}/Downloads",
    "Users/{u}/Desktop/work {y}", "Users/{u}/Documents/letters", "Users/{u}/OneDrive/Pictures",
    "Users/{u}/AppData/Local/Google/Chrome/User Data/Default/Cache/Cache_Data",
    "Users/{u}/AppData/Local/Microsoft/Windows/INetCache/IE/X{y}",
    "Users/{u}/AppData/Roaming/Telegram Desktop/tdata", "Users/{u}/AppData/Local/Temp/t{y}",
    "Users/{u}/projects/site-{y}/assets/img", "Users/{u}/Music/{y}",
    "Windows/System32/drivers", "Windows/WinSxS/x86_{y}", "Program Files/App{y}/res",
    "DCIM/{y}APPLE", "Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images",
    "home/{u}/.cache/thumbnails/normal", "home/{u}/src/lib{y}/tests", "$Recycle.Bin/S-1-5-{y}",
)
NAMES = ("IMG_{i:05d}.jpg", "f_{i:06x}", "Screenshot_2020{i:04d}.png", "doc{i}.txt",
         "lib{i}.dll", "{i}.tmp", "photo {i}.jpeg", "page{i}.html")


def generate(root: Path, files: int) -> tuple[Path, list[str]]:
    """The corpus and its files' paths relative to it (made once, reused)."""
    evidence, marker = root / "evidence", root / f"complete-{files}-v2"  # v2: ~8 a folder
    rels = []
    for i in range(files):
        folder = FOLDERS[i % len(FOLDERS)].format(u=("ann", "bo")[i % 2], y=2015 + i % 9)
        folder += f"/s{i % 64}"  # ~8 files a folder
        rels.append(f"{folder}/{NAMES[(i // len(FOLDERS)) % len(NAMES)].format(i=i)}")
    if not marker.exists():
        shutil.rmtree(root, ignore_errors=True)
        for i, rel in enumerate(rels):
            path = evidence / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(f"small file {i:052d}\n".encode())
        marker.write_text("ok\n")
    return evidence, rels


def classify_all(rels: list[str]) -> float:
    rules = load_catalogue()  # fresh: nothing cached
    start = time.perf_counter()
    for rel in rels:
        rules.classify("/" + rel)
    return time.perf_counter() - start


def unique_folders(rels: list[str]) -> list[str]:
    """The worst case for the folder cache: every file in a folder of its own."""
    return [f"{rel.rsplit('/', 1)[0]}/u{i}/{rel.rsplit('/', 1)[1]}" for i, rel in enumerate(rels)]


def ingest(evidence: Path, workers: int, catalogue: bool) -> float:
    base = Path(tempfile.mkdtemp(prefix="cumberland-artefacts-"))
    try:
        ws = Workspace(base / "ws")
        off = mock.patch.object(Catalogue, "classify", lambda self, path, inherited=None: None)
        start = time.perf_counter()
        if catalogue:
            triage(ws, TriageRequest(sources=[evidence], case="bench",
                                     settings=Settings(workers=workers),
                                     report_dir=base / "report"))
        else:
            with off:
                triage(ws, TriageRequest(sources=[evidence], case="bench",
                                         settings=Settings(workers=workers),
                                         report_dir=base / "report"))
        seconds = time.perf_counter() - start
        ws.close()
        return seconds
    finally:
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--files", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--root", type=Path,
                        default=Path(tempfile.gettempdir()) / "cumberland-artefacts")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    evidence, rels = generate(args.root, args.files)
    classify = min(classify_all(rels) for _ in range(3))
    worst = min(classify_all(unique_folders(rels)) for _ in range(3))
    runs: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):
        for with_catalogue in (False, True):
            runs[with_catalogue].append(ingest(evidence, args.workers, with_catalogue))
    without, with_ = min(runs[False]), min(runs[True])
    n = args.files
    print(f"files: {n:,}  folders: {len({r.rsplit('/', 1)[0] for r in rels}):,}")
    print(f"catalogue alone: {classify:.3f} s ({classify / n * 1e6:.2f} us a path)")
    print(f"triage without classification (baseline): {without:.1f} s "
          f"({n / without:,.0f} files/s)  runs: {', '.join(f'{s:.1f}' for s in runs[False])}")
    print(f"triage with the catalogue: {with_:.1f} s ({n / with_:,.0f} files/s)  "
          f"runs: {', '.join(f'{s:.1f}' for s in runs[True])}")
    print(f"catalogue, every file in a folder of its own: {worst:.3f} s "
          f"({worst / n * 1e6:.2f} us a path)")
    print(f"direct cost: {100 * classify / without:.2f} % of the baseline ingest "
          f"(worst case {100 * worst / without:.2f} %)")
    print(f"measured ratio with/without: {with_ / without:.3f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
