"""A priority that reasons, on a laptop-like benign case written here: full-size pictures in
the user's folders (no camera EXIF) come first, thumbnails a thumbnail cache holds before
icons, icons and UI graphics last; every queue entry says why it is where it is, and the
weights (Settings.priority) are the documented defaults unless a run sets its own."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from artefacts import kit
from cumberland.analysis.grid import Filters, review_page
from cumberland.analysis.priority import DEFAULTS, FACTORS, REASONS, describe, explain, rank
from cumberland.analysis.review import refresh_queue
from cumberland.demo import VICS2_CONTEXT
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import PriorityWeights, Settings
from cumberland.signals.crypto import digest_blocks
from cumberland.store.workspace import Workspace

DOCS = Path(__file__).resolve().parents[2] / "docs" / "artefacts.md"
PHOTO = (1200, 900)
CHROME = "Users/ann/AppData/Local/Google/Chrome/User Data/Default/Cache/Cache_Data"
EXPLORER = "Users/ann/AppData/Local/Microsoft/Windows/Explorer"
PHOTO_FOLDERS = ("Users/ann/Pictures/Holiday", "Users/ann/Pictures/Camera Roll",
                 "Users/ann/Downloads", "Users/ann/Desktop", "Users/ann/OneDrive/Pictures",
                 "Users/ann/Downloads/Telegram Desktop", "DCIM/Camera",
                 "Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images")


def _laptop(root: Path) -> dict[str, list[str]]:
    """The case: what each group's files are called (relative to ``root``)."""
    groups: dict[str, list[str]] = {k: [] for k in (
        "photos", "known", "ai", "small", "browser", "icons", "binaries")}

    def put(group: str, rel: str, data: bytes) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        groups[group].append(rel)

    for i in range(40):  # full size, no EXIF, in user folders
        put("photos", f"{PHOTO_FOLDERS[i % len(PHOTO_FOLDERS)]}/IMG_{i:04d}.jpg",
            kit.picture(*PHOTO, 1 + i))
    for i in range(4):  # known material (stand-ins): full size too, but matched
        put("known", f"Users/ann/Pictures/Saved/known_{i}.jpg", kit.picture(*PHOTO, 60 + i))
    params = ("a red bicycle in a meadow\nSteps: 20, Sampler: Euler a, CFG scale: 7, Seed: 42, "
              "Size: 1200x900, Model hash: 0123abcd, Model: demo")
    for i in range(3):  # generated pictures, as their metadata says
        put("ai", f"Users/ann/Downloads/gen_{i}.png", _png_with_text(70 + i, params))
    for i in range(10):
        put("small", f"Users/ann/Pictures/Small/s_{i}.jpg", kit.picture(640, 480, 80 + i))
    for i in range(20):  # a browser cache's files have no extension
        put("browser", f"{CHROME}/f_{i:06x}", kit.picture(120, 90, 100 + i))
    for i in range(24):
        size = (16, 32, 48)[i % 3]
        folder = ("Windows/System32", "Program Files/Editor/res")[i % 2]
        put("icons", f"{folder}/icon_{i}.png", kit.picture(size, size, 130 + i, "PNG",
                                                           alpha=i % 4 != 3))
    for i in range(15):
        put("binaries", f"Windows/System32/lib{i}.dll", b"MZ\x90\x00" + bytes([i]) * 4096)
    entries = [kit.CacheEntry(0x2000 + i, kit.picture(256, 192, 160 + i)) for i in range(8)]
    (root / EXPLORER).mkdir(parents=True, exist_ok=True)
    (root / EXPLORER / "thumbcache_256.db").write_bytes(kit.thumbcache(32, entries, 4))
    return groups


def _png_with_text(seed: int, text: str) -> bytes:
    import io

    from PIL import Image, PngImagePlugin

    image = Image.open(io.BytesIO(kit.picture(*PHOTO, seed)))
    info = PngImagePlugin.PngInfo()
    info.add_text("parameters", text)
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=info)
    return out.getvalue()


def _known_set(path: Path, files: list[Path]) -> Path:
    media = [{"MediaID": i + 1, "Category": 1,
              "MD5": digest_blocks([f.read_bytes()]).md5.hex().upper()}
             for i, f in enumerate(files)]
    path.write_text(json.dumps({"@odata.context": VICS2_CONTEXT, "value": media}))
    return path


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    base = tmp_path_factory.mktemp("laptop")
    root = base / "laptop"
    groups = _laptop(root)
    known = _known_set(base / "known.json", [root / p for p in groups["known"]])
    ws = Workspace(base / "ws")
    triage(ws, TriageRequest(sources=[root], case="laptop", alert_sets=[known],
                             settings=Settings(), report_dir=base / "report"))
    yield {"ws": ws, "root": root, "groups": groups}
    ws.close()


def _queue(ws: Workspace, status: str = "all") -> list[Any]:
    tiles, after = [], None
    while True:
        page = review_page(ws, 1, Filters(status=status), after, limit=500)
        tiles += page.tiles
        if not page.tiles or len(page.tiles) < 500:
            return tiles
        after = page.tiles[-1].cursor


def _group_of(tile: Any, groups: dict[str, list[str]]) -> str:
    if "thumbcache_256.db" in tile.path:
        return "cache"
    return next(g for g, rels in groups.items() if any(tile.path.endswith(r) for r in rels))


@pytest.mark.slow
def test_full_size_pictures_in_user_folders_come_first(laptop: dict[str, Any]) -> None:
    groups = laptop["groups"]
    queue = [_group_of(t, groups) for t in _queue(laptop["ws"])]
    n = len(groups["photos"])
    assert queue[:n].count("photos") >= 0.9 * n, queue[:n]
    # the first rule holds: every unknown before the matched ones
    assert set(queue[-len(groups["known"]):]) == {"known"}


def test_icons_last_and_cache_thumbnails_before_them(laptop: dict[str, Any]) -> None:
    groups = laptop["groups"]
    unknown = _queue(laptop["ws"], "unknown")  # the reviewer's default view: pictures, videos
    seen = [_group_of(t, groups) for t in unknown]
    icons = len(groups["icons"])
    assert set(seen[-icons:]) == {"icons"} and seen.count("icons") == icons
    assert seen.count("cache") == 8
    last_cache = max(i for i, g in enumerate(seen) if g == "cache")
    assert last_cache < seen.index("icons")


def test_each_entry_says_why_it_is_where_it_is(laptop: dict[str, Any]) -> None:
    groups = laptop["groups"]
    by_group: dict[str, set[str]] = {}
    for tile in _queue(laptop["ws"]):
        by_group.setdefault(_group_of(tile, groups), set()).add(tile.reasons)
    assert by_group["photos"] <= {"unknown,user_folder,full_size",
                                  "unknown,origin_folder,full_size",
                                  "unknown,origin_folder,user_folder,full_size"}
    assert "unknown,origin_folder,full_size" in by_group["photos"]  # DCIM, WhatsApp
    assert by_group["cache"] == {"unknown,deleted"}  # never an icon, never "system"
    assert by_group["icons"] == {"unknown,system_folder,icon"}
    assert by_group["known"] == {"matched,user_folder,full_size"}
    assert all(r.split(",")[-1].startswith("ai_") for r in by_group["ai"])
    assert by_group["binaries"] == {"unknown,system_folder"}
    assert explain("unknown,icon") == ["unknown to every hash set", "an icon or UI graphic"]


def test_weights_are_the_runs_and_can_be_changed(laptop: dict[str, Any]) -> None:
    ws, groups = laptop["ws"], laptop["groups"]
    try:
        refresh_queue(ws, 1, PriorityWeights(deleted=400))
        first = [_group_of(t, groups) for t in _queue(ws)[:8]]
        assert first == ["cache"] * 8
    finally:
        refresh_queue(ws, 1)  # the run's own (defaults): the fixture stays as triage left it
    assert [_group_of(t, groups) for t in _queue(ws)[:8]] == ["photos"] * 8


def test_python_rule_places_the_same_facts() -> None:
    photo = rank(describe(categories=frozenset({"pictures"}), long_side=1200))
    icon = rank(describe(categories=frozenset({"system"}), every_copy_in_system=True,
                         long_side=16, alpha=True))
    thumb = rank(describe(categories=frozenset({"thumbnail-cache", "system"}),
                          every_copy_in_system=True, long_side=96, alpha=True))
    matched = rank(describe(matched=True, categories=frozenset({"system"}),
                            every_copy_in_system=True, long_side=16, alpha=True))
    assert photo < thumb < icon < matched
    assert thumb[1] == "unknown,deleted" and icon[1] == "unknown,system_folder,icon"
    # weights never cross the tiers, whatever they are
    heavy = PriorityWeights(**{f.name: 10_000 for f in FACTORS})
    icon = describe(long_side=16, alpha=True, every_copy_in_system=True)
    assert rank(icon, heavy)[0] in range(0, 1000)
    assert rank(describe(camera=True, long_side=4000, deleted=True), heavy)[0] in range(0, 1000)
    assert set(REASONS) >= {f.name for f in FACTORS}


def test_defaults_are_documented() -> None:
    """docs/artefacts.md's table of weights gives every default as it is."""
    table = DOCS.read_text().split("## Priority", 1)[1]
    documented = dict(re.findall(r"^\| `(\w+)` \| (-?\d+) \|", table, re.M))
    assert documented == {f.name: str(getattr(DEFAULTS, f.name))
                          for f in fields(PriorityWeights)}


def test_the_grid_filters_by_where_items_were_found(laptop: dict[str, Any]) -> None:
    ws, groups = laptop["ws"], laptop["groups"]

    def found(category: str) -> set[str]:
        page = review_page(ws, 1, Filters(status="all", category="", found_in=category),
                           limit=500)
        return {_group_of(t, groups) for t in page.tiles}

    assert found("browser-cache") == {"browser"}
    assert found("thumbnail-cache") == {"cache"}
    assert found("camera-roll") == {"photos"}
    assert found("recycle-bin") == set()
    everything = review_page(ws, 1, Filters(status="all", category="", found_in="%"), limit=500)
    assert len(everything.tiles) == len(_queue(ws))  # not a category name: no filter
