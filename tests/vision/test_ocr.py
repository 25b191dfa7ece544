"""OCR as a pure function: regions first, words with boxes, folded search text, caps."""

from __future__ import annotations

import numpy as np
from tests.vision.conftest import plain_background, rotate, with_text

from cumberland.settings import Settings
from cumberland.signals.ocr import _lookalike, _Reading, detect_regions, fold, read_text


def _words(found: object) -> set[str]:
    return {fold(w.text) for line in found.lines for w in line.words}  # type: ignore[attr-defined]


def test_reads_latin_words_with_diacritics_and_boxes_on_them() -> None:
    picture = with_text(plain_background(), [("HOTEL Zürich", 60, 80, 40),
                                             ("Łódź Dworzec", 60, 260, 32)])
    found = read_text(picture, Settings())
    assert {"hotel", "zurich", "lodz", "dworzec"} <= _words(found)
    assert "Zürich" in found.text and "Łódź" in found.text  # diacritics read, not only folded
    hotel = next(w for line in found.lines for w in line.words if fold(w.text) == "hotel")
    x, y, w, _ = hotel.box  # fractions of the picture: the word was drawn at (60, 80)
    assert abs(x * 640 - 60) < 25 and abs(y * 480 - 80) < 30 and w * 640 > 80
    assert found.data()["search"] == fold(found.text)


def test_reads_cyrillic_through_tesseract() -> None:
    picture = with_text(plain_background(), [("Гостиница Москва", 40, 200, 36)])
    # both words with Russian + Ukrainian (the Cyrillic script model read only the second)
    assert {"гостиница", "москва"} <= _words(read_text(picture, Settings()))
    without = read_text(picture, Settings(ocr_tesseract=""))
    assert "москва" not in _words(without)  # the PP-OCR alphabet alone has no Cyrillic


def test_cyrillic_read_as_latin_look_alikes_is_read_by_tesseract() -> None:
    # PP-OCR reads this line as 'Mκ' (57), more confident than Tesseract's 'Москва': a
    # reading made only of letters Cyrillic glyphs resemble hands the line to Tesseract
    picture = with_text(plain_background(), [("Москва", 200, 200, 40)])
    assert "москва" in _words(read_text(picture, Settings()))
    assert _lookalike(_Reading([("Ixa", 93.0, 0.0, 1.0), ("Anteka", 95.0, 0.0, 1.0)]))
    assert not _lookalike(_Reading([("Station", 88.0, 0.0, 1.0)]))


def test_rotated_text_is_read() -> None:
    picture = rotate(with_text(plain_background(), [("Bäckerei", 200, 200, 44)]), 9)
    assert "backerei" in _words(read_text(picture, Settings()))


def test_text_free_picture_has_no_region_and_no_text() -> None:
    picture = plain_background()
    assert detect_regions(picture, 640) == []
    found = read_text(picture, Settings())
    assert found.lines == [] and found.regions == 0 and found.data()["text"] == ""


def test_many_regions_are_capped_and_recorded() -> None:
    rows = [(f"Word{i:02d}", 20 + 150 * (i % 4), 20 + 55 * (i // 4), 18) for i in range(32)]
    picture = with_text(plain_background(), rows)
    found = read_text(picture, Settings(ocr_max_regions=3))
    assert found.capped and found.regions > 3 and len(found.lines) <= 3
    assert found.data()["capped"] is True


def test_huge_picture_is_read_on_a_bounded_copy() -> None:
    big = np.ascontiguousarray(np.repeat(np.repeat(
        with_text(plain_background(800, 600), [("STATION", 100, 100, 60)]), 6, 0), 6, 1))
    found = read_text(big, Settings(ocr_max_side=1200))
    assert max(found.width, found.height) == 1200
    assert "station" in _words(found)


def test_fold() -> None:
    assert fold("Straße ŁÓDŹ Ærø") == "strasse lodz æro"
