"""The path-rule catalogue: categories by platform, inheritance, anchoring, an agency's own
file, and malformed catalogues."""

from __future__ import annotations

from pathlib import Path

import pytest

from cumberland.sources.artefacts.catalogue import (
    BUILT_IN,
    CatalogueError,
    catalogue,
    load_catalogue,
    split,
)

CASES = [
    # Windows
    ("/Users/ann/Pictures/Camera Roll/WIN_001.jpg", "camera-roll,pictures"),
    ("/Users/ann/Pictures/Screenshots/Screenshot (3).png", "pictures,screenshots"),
    ("/Users/ann/Downloads/x.jpg", "downloads"),
    ("/Users/ann/Desktop/x.jpg", "documents"),
    ("/Users/ann/OneDrive/Pictures/x.jpg", "cloud-sync,pictures"),
    ("/Users/ann/AppData/Local/Google/Chrome/User Data/Default/Cache/Cache_Data/f_00a1b2",
     "browser-cache"),
    ("/Users/ann/AppData/Local/Microsoft/Edge/User Data/Profile 1/Cache/Cache_Data/data_1",
     "browser-cache"),
    ("/Users/ann/AppData/Roaming/Mozilla/Firefox/Profiles/ab.default/cache2/entries/0A1B",
     "browser-cache"),
    ("/Users/ann/AppData/Local/Microsoft/Windows/Explorer/thumbcache_256.db",
     "thumbnail-cache"),
    ("/Users/ann/Pictures/Holiday/Thumbs.db", "pictures,thumbnail-cache"),
    ("/$Recycle.Bin/S-1-5-21-1-2-3-1001/$IAB12CD.jpg", "recycle-bin"),
    ("/RECYCLER/S-1-5-21-1-2-3-1003/Dc1.jpg", "recycle-bin"),
    ("/Windows/System32/imageres.png", "system"),
    ("/Program Files/App/icon.png", "program"),
    ("/Users/ann/AppData/Local/Temp/x.png", "temp"),
    ("/Users/ann/AppData/Roaming/Telegram Desktop/tdata/user_data/media_cache/1.jpg",
     "messaging"),
    ("/Users/ann/AppData/Roaming/Signal/attachments.noindex/ab/abcdef", "messaging"),
    # macOS
    ("/Users/bo/Pictures/Photos Library.photoslibrary/originals/A/1.heic",
     "camera-roll,pictures"),
    ("/Users/bo/Desktop/Screen Shot 2020-01-01 at 10.00.00.png", "documents,screenshots"),
    ("/Users/bo/.Trash/x.jpg", "recycle-bin"),
    ("/Users/bo/Library/Caches/com.apple.Safari/fsCachedData/0A1B", "browser-cache"),
    ("/System/Library/CoreServices/x.png", "system"),
    ("/Applications/Preview.app/Contents/Resources/x.png", "program"),
    ("/Users/bo/Library/Mobile Documents/com~apple~CloudDocs/x.jpg", "cloud-sync"),
    # Linux
    ("/home/cy/.local/share/Trash/files/x.jpg", "recycle-bin"),
    ("/home/cy/.cache/thumbnails/large/abc.png", "thumbnail-cache"),
    ("/usr/share/icons/hicolor/48x48/apps/x.png", "system"),
    ("/tmp/x.jpg", "temp"),
    # iOS (a file-system extraction)
    ("private/var/mobile/Media/DCIM/100APPLE/IMG_0001.HEIC", "camera-roll"),
    ("private/var/mobile/Containers/Shared/AppGroup/0A-1B/Message/Media/4/a.jpg", "messaging"),
    ("private/var/mobile/Media/PhotoData/Thumbnails/V2/DCIM/100APPLE/IMG_0001.JPG/5005.JPG",
     "camera-roll,thumbnail-cache"),  # thumbnails of the camera roll
    # Android
    ("sdcard/DCIM/Camera/IMG_20200101_120000.jpg", "camera-roll"),
    ("sdcard/Pictures/Screenshots/Screenshot_20200101-120000.png", "pictures,screenshots"),
    ("sdcard/WhatsApp/Media/WhatsApp Images/IMG-20200101-WA0001.jpg", "messaging"),
    ("sdcard/Android/media/com.whatsapp/WhatsApp/Media/WhatsApp Images/a.jpg", "messaging"),
    ("sdcard/Telegram/Telegram Images/1.jpg", "messaging"),
    ("data/data/com.snapchat.android/files/x", "messaging"),
    ("data/data/kik.android/cache/x", "messaging"),
    ("sdcard/Download/x.jpg", "downloads"),
    ("/system/media/bootanimation.zip", "system"),
    # nothing
    ("evidence/d0001/f0000001.txt", None),
]


@pytest.mark.parametrize("path,expected", CASES, ids=[c[0][-40:] for c in CASES])
def test_categories_of_known_layouts(path: str, expected: str | None) -> None:
    assert catalogue().classify(path) == expected


def test_backslashes_and_case_do_not_matter() -> None:
    assert catalogue().classify("C:\\USERS\\ANN\\PICTURES\\CAMERA ROLL\\X.JPG") == \
        "camera-roll,pictures"


def test_anchored_rules_only_match_from_the_root() -> None:
    assert catalogue().classify("/usr/lib/x.so") == "system"
    assert catalogue().classify("/home/cy/projects/usr/lib/x.png") is None


def test_members_inherit_what_their_container_passes_on() -> None:
    cat = catalogue()
    assert cat.classify("2019/a.jpg", inherited="downloads,recycle-bin") == \
        "downloads,recycle-bin"
    assert cat.classify("a.png", inherited="system,temp") is None  # not passed on
    assert cat.classify("DCIM/a.jpg", inherited="thumbnail-cache") == \
        "camera-roll,thumbnail-cache"


def test_every_category_has_a_rule_and_a_label() -> None:
    cat = catalogue()
    assert {r.category for r in cat.rules} == set(cat.categories)
    assert all(c.label for c in cat.categories.values())
    assert cat.describe()["version"] == "1"
    assert split("a,b") == ["a", "b"] and split(None) == []


def test_an_agency_file_adds_categories_and_rules(tmp_path: Path) -> None:
    extra = tmp_path / "agency.toml"
    extra.write_text('version = 3\n[categories.case-tool]\nlabel = "Case tool exports"\n'
                     '[[rules]]\ncategory = "case-tool"\npath = "CaseExports"\n'
                     '[[rules]]\ncategory = "downloads"\nname = "*.part"\n')
    cat = load_catalogue(extra)
    assert cat.version == "1+agency.toml:3"
    assert cat.classify("x/CaseExports/a.jpg") == "case-tool"
    assert cat.classify("x/a.jpg.part") == "downloads"
    assert cat.classify("/Users/a/Pictures/a.jpg") == "pictures"  # the built-in rules stay


@pytest.mark.parametrize("text,message", [
    ("version = 1\n[[rules]]\ncategory = \"nope\"\npath = \"x\"\n", "unknown category"),
    ("version = 1\n[[rules]]\ncategory = \"temp\"\n", "needs a path or a name"),
    ("version = 1\n[[rules]]\ncategory = \"temp\"\nname = \"a/b\"\n", "has no '/'"),
    ("version = 1\n[[rules]]\ncategory = \"temp\"\npath = \"x\"\nplatform = \"amiga\"\n",
     "platform must be"),
    ("version = 1\n[categories.x]\ninherit = true\n", "needs a label"),
    ("version = [\n", "not a TOML catalogue"),
])
def test_malformed_catalogues_name_the_file_and_rule(tmp_path: Path, text: str,
                                                     message: str) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(CatalogueError, match=message) as info:
        load_catalogue(bad)
    assert "bad.toml" in str(info.value)


def test_a_missing_catalogue_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(CatalogueError, match="No such file"):
        load_catalogue(tmp_path / "absent.toml")
    assert BUILT_IN.is_file()
