"""VICS import time against file size, with and without one very long string field.

Issue 13 item 8: one 200 MB string in a VICS field took 687 s, because yajl (ijson's C
backend) re-scans a string that spans reads from its start at every read. The reader now
cuts strings longer than ``MAX_FIELD`` while streaming. Figures, CPU seconds of one process:

* Cumberland's VicsReader on a file of ordinary records (S MB) and on one of the same size
  whose bulk is a single S MB ``Comments`` string;
* baseline, measured in the same run: ijson alone (what the reader did before the cut) on
  the long-field file, for the sizes up to ``--baseline-max``.

Run:  .venv/bin/python bench/vics_fields.py [--sizes 16 32 64] [--baseline-max 32]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import tempfile
import time
from pathlib import Path

import ijson

from cumberland.hashsets.vics import VicsReader

CONTEXT = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"


def _record(i: int, comments: str = "") -> dict[str, object]:
    data = f"benign {i}".encode()
    return {"MediaID": i, "Category": 0, "MD5": hashlib.md5(data).hexdigest(),
            "SHA1": hashlib.sha1(data).hexdigest(), "MediaSize": 1000 + i,
            "Comments": comments or "stand-in comment " * 8}


def write_files(folder: Path, megabytes: int) -> tuple[Path, Path]:
    size = megabytes << 20
    ordinary = folder / f"ordinary-{megabytes}.json"
    one = json.dumps(_record(0))
    with ordinary.open("w") as out:
        out.write(f'{{"@odata.context": "{CONTEXT}", "value": [')
        out.write(",".join(json.dumps(_record(i)) for i in range(size // len(one))))
        out.write("]}")
    long = folder / f"long-{megabytes}.json"
    long.write_text(json.dumps({"@odata.context": CONTEXT,
                                "value": [_record(0, "x" * size), _record(1)]}))
    return ordinary, long


def ijson_alone(path: Path) -> int:
    with path.open("rb") as raw:
        return sum(1 for _ in ijson.items(raw, "value.item", buf_size=16 * 1024))


def cpu(fn: object) -> float:
    start = time.process_time()
    fn()  # type: ignore[operator]
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[16, 32, 64])
    parser.add_argument("--baseline-max", type=int, default=32)
    args = parser.parse_args()
    print("| MB | ordinary records s | one long field s | ijson alone, long field s | "
          "baseline / Cumberland |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    with tempfile.TemporaryDirectory() as tmp:
        for megabytes in args.sizes:
            ordinary, long = write_files(Path(tmp), megabytes)
            plain = cpu(lambda p=ordinary: sum(1 for _ in VicsReader(p)))
            cut = cpu(lambda p=long: sum(1 for _ in VicsReader(p)))
            base, ratio = "not run", ""
            if megabytes <= args.baseline_max:
                seconds = cpu(lambda p=long: ijson_alone(p))
                base, ratio = f"{seconds:.2f}", f"{seconds / max(cut, 1e-3):.0f}x"
            print(f"| {megabytes} | {plain:.2f} | {cut:.2f} | {base} | {ratio} |")
            ordinary.unlink()
            long.unlink()


if __name__ == "__main__":
    main()
