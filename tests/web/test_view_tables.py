"""Signals and EXIF are shown as readable tables in the viewer."""

from cumberland.web.routes_view import CELL, flatten


def test_nested_values_become_dotted_rows() -> None:
    rows = flatten({"a": {"b": 1}, "c": [{"d": None}], "e": [1, 2]})
    assert rows == [("a.b", "1"), ("c[0].d", ""), ("e", "1, 2")]


def test_long_values_are_cut_with_their_length() -> None:
    blob = "A" * 20_000  # like a local-features signal's base64 descriptors
    [(key, text)] = flatten({"descriptors": blob})
    assert key == "descriptors"
    assert len(text) < CELL and text.endswith("(20,000 characters)")
    assert flatten({"short": "B" * CELL}) == [("short", "B" * CELL)]
