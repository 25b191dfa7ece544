"""An index-only hash-set import killed mid-way leaves its folder and its lock file under
index/sets/: the next start of Cumberland (a triage, or an import that finds its set
unchanged) sweeps both, and never what a live import is building."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cumberland.index.sets import SetIndexBuilder
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.hashset_import import import_hashset, set_index_root
from cumberland.store.workspace import Workspace

KILLED_BUILD = """
import sys
from pathlib import Path
from cumberland.index.sets import SetIndexBuilder
builder = SetIndexBuilder(Path(sys.argv[1]))
print(builder.token, flush=True)
sys.stdin.read()  # until the test kills this process
"""


def _killed_import(root: Path) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(root)], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    token = proc.stdout.readline().strip()
    proc.kill()
    proc.wait()
    assert (root / token).is_dir() and (root / f"{token}.lock").exists()
    return token


def test_a_killed_index_import_is_swept_at_the_next_start(tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    root = set_index_root(ws)
    killed = _killed_import(root)
    (root / "0000000000000000.lock").touch()  # killed between its lock and its folder
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.txt").write_text("benign\n")
    with SetIndexBuilder(root) as live:  # an import in progress elsewhere
        triage(ws, TriageRequest(sources=[evidence], case="c", settings=Settings(workers=1)))
        assert sorted(p.name for p in root.iterdir()) == [live.token, f"{live.token}.lock"]
    assert not (root / killed).exists()
    ws.close()


def test_an_unchanged_import_sweeps_too(tmp_path: Path) -> None:
    listing = tmp_path / "known.sha256"
    listing.write_text(f"{1:064x}  a.jpg\n")
    ws = Workspace(tmp_path / "ws")
    import_hashset(ws, listing, "known", purpose="ignore")
    root = set_index_root(ws)
    before = sorted(p.name for p in root.iterdir())
    killed = _killed_import(root)
    assert import_hashset(ws, listing, "known", purpose="ignore").unchanged
    assert sorted(p.name for p in root.iterdir()) == before
    assert not (root / killed).exists()
    ws.close()
