"""The PDQ index of hash lists (regime a) persists: loaded, grown, rebuilt only when a set goes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from cumberland.demo import synthetic_image
from cumberland.index.pdq import PDQIndex
from cumberland.matching import pdq_lists
from cumberland.matching.case import match_pdq
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.signals.pdq import pdq_from_rgb
from cumberland.store.hashset_import import import_hashset
from cumberland.store.models import HashSet, Item, Match
from cumberland.store.workspace import Workspace

IMAGES = {f"shape{i}.png": synthetic_image(i) for i in (3, 7, 11, 15)}


def _hex(name: str) -> str:
    return pdq_from_rgb(np.asarray(IMAGES[name].convert("RGB")))[0].hex()


class CountingIndex(PDQIndex):
    built = 0

    def __init__(self, *args: object, **kwargs: object) -> None:
        CountingIndex.built += 1
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Workspace:
    monkeypatch.setattr(pdq_lists, "PDQIndex", CountingIndex)
    CountingIndex.built = 0
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    for name, image in IMAGES.items():
        image.save(evidence / name)
    ws = Workspace(tmp_path / "ws")
    triage(ws, TriageRequest(sources=[evidence], case="c"))
    return ws


def _matched(ws: Workspace) -> dict[str, str]:
    with ws.engine.connect() as conn:
        return {Path(r.path).name: r.name for r in conn.execute(
            select(Item.path, HashSet.name).join(Match, Match.media_sha256 == Item.media_sha256)
            .join(HashSet, HashSet.id == Match.hashset_id))}


def _list(tmp_path: Path, name: str, lines: list[str]) -> Path:
    path = tmp_path / name
    path.write_text("".join(f"{line}\n" for line in lines))
    return path


def test_loaded_grown_filtered_and_rebuilt(ws: Workspace, tmp_path: Path) -> None:
    strict, loose = Settings(pdq_min_quality=50), Settings(pdq_min_quality=20)
    first = _list(tmp_path, "a.txt", [f"{_hex('shape3.png')},100,a.jpg"])
    import_hashset(ws, first, "a")
    match_pdq(ws, 1, strict)
    assert _matched(ws) == {"shape3.png": "a"} and CountingIndex.built == 1
    match_pdq(ws, 1, strict)
    assert CountingIndex.built == 1  # the second run loads what the first saved

    import_hashset(ws, _list(tmp_path, "b.txt", [f"{_hex('shape7.png')},30,b.jpg"]), "b")
    match_pdq(ws, 1, strict)  # the new entry is added, not rebuilt; quality 30 < 50: no match
    assert _matched(ws) == {"shape3.png": "a"} and CountingIndex.built == 1
    match_pdq(ws, 1, loose)  # the same index serves a lower floor
    assert _matched(ws) == {"shape3.png": "a", "shape7.png": "b"}
    state = json.loads((pdq_lists.pdq_lists_root(ws) / "state.json").read_text())
    assert set(state["sets"]) == {"1", "2"}

    first.write_text(f"{_hex('shape11.png')},100,a2.jpg\n")  # set "a" replaced
    import_hashset(ws, first, "a")
    match_pdq(ws, 1, loose)
    assert CountingIndex.built == 2  # a set went: rebuilt without its old entries
    assert _matched(ws) == {"shape11.png": "a", "shape7.png": "b"}
    index = PDQIndex.load(pdq_lists.pdq_lists_root(ws) / "index")
    assert len(index) == 2
