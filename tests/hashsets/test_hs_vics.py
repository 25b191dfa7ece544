"""VICS JSON 1.x / 2.0, #Media and #Cases, with the quirks seen in real exports."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.vics import MAX_DEPTH, VicsReader, _CountingReader, normalise_date

Write = Callable[[str, str | bytes], Path]
V13 = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Media"
V13_CASES = "http://github.com/ICMEC/ProjectVic/DataModels/1.3.xml#Cases"
PDNA_B64 = "AAECAwQF" * 24  # 192 base64 characters, an opaque stand-in
PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def v20(profile: str, kind: str = "Media") -> str:
    return (
        f"http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/{profile}/$metadata#{kind}"
    )


def media(hexes: Callable[..., tuple], word: str, **fields: object) -> dict[str, object]:
    md5, sha1, _ = hexes(word)
    record: dict[str, object] = {"MediaID": 1, "Category": 1, "MD5": md5, "SHA1": sha1}
    record.update(fields)
    return record


def dump(
    write: Write, name: str, key: str, url: str, values: list[object], bom: bool = False
) -> Path:
    text = json.dumps({key: url, "value": values}, indent=1)
    return write(name, (b"\xef\xbb\xbf" if bom else b"") + text.encode())


def test_v13_media_quirks(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, sha1, sha256 = hexes("teapot")
    values: list[object] = [
        media(
            hexes,
            "teapot",
            MD5=md5.upper(),
            SHA1=sha1.lower(),
            MediaSize="2048",
            IsPrecategorized="true",
            VictimIdentified="False",
            Series="stand-in series",
            Tags="tag1;tag2",
            DateUpdated="2019-03-04T05:06:07.1234Z",
            MediaFiles=[{"MD5": md5, "FileName": "teapot.jpg", "FilePath": "c:\\k"}],
            AlternativeHashes=[
                {"MD5": md5, "HashName": "PDQ", "HashValue": PDQ.upper()},
                {"MD5": md5, "HashName": "SHA-256", "HashValue": sha256},
            ],
            **{"odata.id": "Media(1)", "odata.editLink": "Media(1)"},
        ),
        media(
            hexes,
            "kettle",
            MediaID=2,
            Category=None,
            IsPrecategorized=True,
            MediaSize=77,
            DateUpdated="2019-03-04T05:06:07.1234567+02:00",
        ),
        media(hexes, "mug", MediaID=3, Category=8),
        {"MediaID": 4, "Category": 2, "MD5": "", "SHA1": None},
    ]
    path = dump(write, "v13.json", "odata.metadata", V13, values, bom=True)
    reader = VicsReader(path)
    assert reader.info.version == "1.3" and reader.info.category_scheme == "vics-legacy"
    assert reader.info.properties["kind"] == "Media"
    first, second, third = reader
    assert reader.skipped == 1
    assert first.md5 == bytes.fromhex(md5) and first.sha1 == bytes.fromhex(sha1)
    assert first.pdq == bytes.fromhex(PDQ) and first.sha256 == bytes.fromhex(sha256)
    assert first.size == 2048 and first.category == 1 and first.name == "teapot.jpg"
    assert first.extra["IsPrecategorized"] is True and first.extra["VictimIdentified"] is False
    assert first.extra["Series"] == "stand-in series" and first.extra["Tags"] == "tag1;tag2"
    assert first.extra["odata.id"] == "Media(1)"
    assert first.extra["DateUpdated"] == "2019-03-04T05:06:07.123400+00:00"
    assert second.category is None and second.extra["IsPrecategorized"] is True
    assert second.size == 77
    assert second.extra["DateUpdated"] == "2019-03-04T05:06:07.123456+02:00"
    assert third.category == 8


@pytest.mark.parametrize(
    ("profile", "scheme"),
    [("Default", "vics-us"), ("US", "vics-us"), ("UK", "vics-uk"), ("CUSTOM", "vics-custom")],
)
def test_v20_profiles(write: Write, hexes: Callable[..., tuple], profile: str, scheme: str) -> None:
    values: list[object] = [media(hexes, "lamp", PhotoDNA=PDNA_B64, Category=0)]
    path = dump(write, "v20.json", "@odata.context", v20(profile), values)
    reader = VicsReader(path)
    assert reader.info.version == "2.0" and reader.info.category_scheme == scheme
    assert reader.info.properties["profile"] == profile
    (record,) = reader
    assert record.photodna == PDNA_B64 and record.category == 0


def test_v11_name_and_legacy_scheme(write: Write, hexes: Callable[..., tuple]) -> None:
    url = "http://github.com/ICMEC/ProjectVic/DataModels/1.1.xml#Media"
    path = dump(write, "v11.json", "odata.metadata", url, [media(hexes, "x", Name="old.jpg")])
    reader = VicsReader(path)
    assert reader.info.version == "1.1" and reader.info.category_scheme == "vics-legacy"
    assert [r.name for r in reader] == ["old.jpg"]


def test_photodna_only_record_is_kept(write: Write) -> None:
    values: list[object] = [{"MediaID": 9, "Category": 1, "PhotoDNA": PDNA_B64}]
    path = dump(write, "p.json", "@odata.context", v20("US"), values)
    (record,) = VicsReader(path)
    assert record.photodna == PDNA_B64 and not record.has_hash()


def test_v13_cases_with_alternative_photodna(write: Write, hexes: Callable[..., tuple]) -> None:
    md5, _, _ = hexes("chair")
    case = {
        "CaseID": "00000000-0000-0000-0000-000000000001",
        "CaseNumber": "TEST-001",
        "ContactName": "Stand-in Examiner",
        "CaseMetadata": [{"CaseID": "x", "PropertyName": "p", "PropertyValue": "v"}],
        "Media": [
            media(
                hexes,
                "chair",
                AlternativeHashes=[{"MD5": md5, "HashName": "PhotoDNA", "HashValue": PDNA_B64}],
            ),
            {"MediaID": 2, "Category": 1},
            media(hexes, "table", SHA1="not hex at all"),
        ],
        "TotalMediaFiles": "3",
    }
    path = dump(write, "cases.json", "odata.metadata", V13_CASES, [case])
    reader = VicsReader(path)
    assert reader.info.properties["kind"] == "Cases"
    records = reader._records()
    first = next(records)
    assert first.photodna == PDNA_B64 and first.md5 == bytes.fromhex(md5)
    assert reader.info.properties["CaseNumber"] == "TEST-001"
    with pytest.raises(HashSetError) as info:
        next(records)
    assert "record 3" in str(info.value) and "value[0].Media[2].SHA1" in str(info.value)
    assert reader.skipped == 1


def test_v20_cases_collects_case_fields_after_media(
    write: Write, hexes: Callable[..., tuple]
) -> None:
    case = {"Media": [media(hexes, "a"), media(hexes, "b")], "CaseNumber": "LATE", "X": "true"}
    path = dump(write, "c20.json", "@odata.context", v20("UK", "Cases"), [case])
    reader = VicsReader(path)
    assert len(list(reader)) == 2
    assert reader.info.category_scheme == "vics-uk"
    assert reader.info.properties["CaseNumber"] == "LATE"
    assert reader.info.properties["X"] is True and reader.info.properties["cases"] == 1


def test_malformed_json_reports_byte_offset(
    write: Write, check_error: Callable[..., None], hexes: Callable[..., tuple]
) -> None:
    good = json.dumps({"odata.metadata": V13, "value": [media(hexes, "a")] * 3})
    path = write("broken.json", good[:-30] + "}}}")
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "byte")
    offset = int(info.value.location.split()[1])
    assert 0 < offset <= len(good)


def test_bad_hex_names_record(
    write: Write, check_error: Callable[..., None], hexes: Callable[..., tuple]
) -> None:
    values: list[object] = [media(hexes, "a"), media(hexes, "b", MD5="12345")]
    path = dump(write, "hex.json", "odata.metadata", V13, values)
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "record 2")
    assert "value[1].MD5" in str(info.value)


@pytest.mark.parametrize(
    "content",
    [
        '{"value": [], "odata.metadata": "' + V13 + '"}',
        '{"odata.metadata": "http://example.org/other.xml"}',
        "[1, 2]",
        '{"@odata.context": 5}',
    ],
)
def test_not_vics(write: Write, check_error: Callable[..., None], content: str) -> None:
    path = write("nv.json", content)
    with pytest.raises(HashSetError) as info:
        VicsReader(path)
    check_error(info.value, path, "byte 0")


@pytest.mark.parametrize(
    "field", [{"Category": "one"}, {"Category": 1.5}, {"MediaSize": -1}, {"Category": True}]
)
def test_bad_numbers(
    write: Write, check_error: Callable[..., None], hexes: Callable[..., tuple], field: dict
) -> None:
    path = dump(write, "n.json", "odata.metadata", V13, [media(hexes, "a", **field)])
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "record 1")


def test_deep_nesting_is_refused_cheaply(write: Write, check_error: Callable[..., None]) -> None:
    """ijson's memory grows with depth squared: 200k brackets would take many GB."""
    path = write("deep.json", '{"odata.metadata": "' + V13 + '", "value": [' + "[" * 200_000)
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "byte")
    assert f"deeper than {MAX_DEPTH}" in str(info.value)


def test_depth_guard_ignores_brackets_in_strings_across_reads(tmp_path: Path) -> None:
    """Strings full of brackets, escaped quotes and backslashes, read one byte at a time."""
    tricky = ["[[[[{{{{", 'say \\"[[[\\" ok', "ends with backslash \\\\", "]]]]}}}}" * 40]
    text = json.dumps({"a": [{"b": tricky * 30}], "c": "[" * 100}).encode()
    path = tmp_path / "t.json"
    path.write_bytes(text)
    for size in (1, 2, 3, 7, 4096):
        with path.open("rb") as raw:
            stream = _CountingReader(raw, path)
            while stream.read(size):
                pass
        assert stream.depth == 0 and not stream.in_string and stream.offset == len(text)


def test_invalid_utf8_string(write: Write, check_error: Callable[..., None]) -> None:
    head = '{"odata.metadata": "' + V13 + '", "value": [{"MD5": "'
    path = write("u.json", head.encode() + b'\xff\xfe"}]}')
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "byte")
    assert "UTF8" in str(info.value)


def test_normalise_date_keeps_unknown_text() -> None:
    assert normalise_date("yesterday") == "yesterday"
    assert normalise_date("2020-01-02T03:04:05Z") == "2020-01-02T03:04:05+00:00"


def test_large_media_file_streams_in_bounded_memory(
    tmp_path: Path, hexes: Callable[..., tuple]
) -> None:
    """~50 MB of #Media: peak Python allocation must stay a small fraction of the file.

    Records are padded (long comments, indentation) to keep the count, and so the tracemalloc
    overhead per allocation, low enough for a quick test; the parser still sees 50 MB.
    """
    md5, sha1, _ = hexes("bulk")
    record = json.dumps(
        media(
            hexes,
            "bulk",
            MediaSize="123456",
            IsPrecategorized="false",
            DateUpdated="2021-01-01T00:00:00.1234567Z",
            Series="s",
            Comments="benign stand-in comment " * 60,
            MediaFiles=[{"MD5": md5, "FileName": "f.jpg", "FilePath": "c:/" + "d" * 200}],
        ),
        indent=8,
    )
    count = 50_000_000 // (len(record) + 1)
    path = tmp_path / "big.json"
    with path.open("w") as out:
        out.write(json.dumps({"odata.metadata": V13}).rstrip("}") + ', "value": [')
        chunk = ",".join([record] * 1000)
        for block in range(count // 1000):
            out.write(("," if block else "") + chunk)
        out.write("]}")
    size = path.stat().st_size
    assert size > 45_000_000
    reader = VicsReader(path)
    tracemalloc.start()
    try:
        seen = 0
        for item in reader:
            seen += 1
            assert item.sha1 == bytes.fromhex(sha1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == (count // 1000) * 1000
    assert peak < size / 20, f"peak {peak} bytes for a {size}-byte file"


def test_keys_in_any_case(write: Write, hexes: Callable[..., tuple]) -> None:
    """Exports with ``md5``/``Sha1``/``mediasize`` keys, as the field's readers accept them (IPED's
    HashDBTool compares VICS keys lower-cased; issue 21 reports such exports): before, every
    record was skipped and the set imported empty."""
    md5, sha1, sha256 = hexes("lamp")
    record = {"mediaid": 1, "CATEGORY": 2, "md5": md5, "Sha1": sha1, "mediasize": "99",
              "alternativehashes": [{"hashname": "SHA256", "hashvalue": sha256}],
              "mediafiles": [{"filename": "lamp.jpg"}], "isprecategorized": "true"}
    path = dump(write, "lc.json", "@odata.context", v20("US"), [record])
    (found,) = VicsReader(path)
    assert (found.md5, found.sha1, found.sha256) == tuple(bytes.fromhex(h) for h in
                                                          (md5, sha1, sha256))
    assert (found.category, found.size, found.name) == (2, 99, "lamp.jpg")
    assert found.extra["IsPrecategorized"] is True


def test_recon_lab_media_context_holding_cases(write: Write, hexes: Callable[..., tuple]) -> None:
    """VICS 2.0 as RECON LAB exports it (issue 21: a ``#Media`` context whose ``value`` holds
    Case objects with ``Media[]``; no public source): before, "0 entries, 1 record skipped"."""
    case = {"CaseID": "00000000-0000-0000-0000-000000000002", "CaseNumber": "RL-1",
            "SourceApplicationName": "RECON LAB", "Media": [media(hexes, "a"), media(hexes, "b")]}
    path = dump(write, "rl.json", "@odata.context", v20("Default"), [case])
    reader = VicsReader(path)
    assert reader.info.properties["kind"] == "Cases"
    assert reader.info.properties["context_kind"] == "Media"
    assert [r.md5 for r in reader] == [bytes.fromhex(hexes(w)[0]) for w in ("a", "b")]
    assert reader.info.properties["CaseNumber"] == "RL-1" and reader.skipped == 0


@pytest.mark.parametrize(("codec", "bom"), [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_with_bom_streams(tmp_path: Path, hexes: Callable[..., tuple], codec: str,
                                bom: bytes) -> None:
    """Older Clees4All/Griffeye exports are UTF-16 with a byte-order mark (Clees4All moved to
    UTF-8 in 1.38): detected, read, and transcoded as it streams (peak memory a small
    fraction of a ~4 MB file). Before: "unrecognised hash-set format"."""
    from cumberland.hashsets import detect_format, open_reader

    records = [media(hexes, f"item {i}", Comments="stand-in é " * 20) for i in range(4000)]
    text = json.dumps({"@odata.context": v20("UK"), "value": records})
    path = tmp_path / "u16.json"
    path.write_bytes(bom + text.encode(codec))
    assert detect_format(path) == "vics"
    reader = open_reader(path)
    tracemalloc.start()
    try:
        count = sum(1 for _ in reader)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 4000 and peak < path.stat().st_size / 8


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"value": {"MD5": "x"}', "value is an object, not an array"),
        ('"value": "none"', "value is a string, not an array"),
        ('"value": null', "value is null, not an array"),
        ('"count": 3', "no value array"),
    ],
)
def test_value_that_is_not_an_array_is_refused(
    write: Write, check_error: Callable[..., None], body: str, message: str
) -> None:
    """Issue 13 item 9: these imported as an empty set with exit 0; they are malformed."""
    path = write("v.json", '{"@odata.context": "' + v20("US") + '", ' + body + "}")
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "byte")
    assert message in str(info.value)


@pytest.mark.parametrize("media_value", ['{"MD5": "x"}', '"x"', "null"])
def test_cases_media_that_is_not_an_array_is_refused(
    write: Write, check_error: Callable[..., None], media_value: str
) -> None:
    path = write("c.json", '{"odata.metadata": "' + V13_CASES + '", "value": [{"CaseNumber": '
                 '"A", "Media": ' + media_value + "}]}")
    with pytest.raises(HashSetError) as info:
        list(VicsReader(path))
    check_error(info.value, path, "byte")
    assert "value[0].Media is" in str(info.value)
    none = write("n.json", '{"odata.metadata": "' + V13_CASES + '", "value": [{"CaseNumber": 1}]}')
    with pytest.raises(HashSetError, match="no case has a Media array"):
        list(VicsReader(none))


def test_an_empty_value_array_is_an_empty_set(write: Write) -> None:
    path = write("e.json", '{"@odata.context": "' + v20("US") + '", "value": []}')
    assert list(VicsReader(path)) == []


def test_overlong_strings_are_cut_and_counted(tmp_path: Path, hexes: Callable[..., tuple]) -> None:
    """Issue 13 item 8: one 200 MB field took 687 s (yajl re-scans a string spanning reads).
    Strings over MAX_FIELD are cut while streaming: the parser sees at most MAX_FIELD of
    each, so the work is linear in the file; the record is kept and the cut is noted."""
    from cumberland.hashsets.vics import MAX_FIELD

    md5 = hexes("long")[0]
    long = 'é"\\[' * (MAX_FIELD // 4)  # escaped by json.dumps: \u00e9, \", \\
    path = tmp_path / "long.json"
    path.write_text(json.dumps({"odata.metadata": V13, "value": [
        {"MD5": md5, "Comments": long, "Miniature": "A" * (2 * MAX_FIELD)},
        media(hexes, "after")]}))
    reader = VicsReader(path)
    seen = 0
    original = _CountingReader._filter

    def counting(self: _CountingReader, data: bytes) -> bytes:
        nonlocal seen
        out = original(self, data)
        seen += len(out)
        return out

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_CountingReader, "_filter", counting)
        first, second = reader
    assert first.md5 == bytes.fromhex(md5) and second.md5 == bytes.fromhex(hexes("after")[0])
    assert "2 JSON strings longer than" in reader.info.notes["truncated"]
    assert seen < 2 * MAX_FIELD + 10_000 < path.stat().st_size / 2


@pytest.mark.parametrize("shift", range(0, 13))
def test_a_cut_never_breaks_an_escape_or_a_character(tmp_path: Path, shift: int) -> None:
    """Wherever the limit falls (inside ``\\u00e9``, a surrogate pair, ``\\\\``, a 3- or
    4-byte UTF-8 character), the cut string is still valid JSON text."""
    import ijson

    from cumberland.hashsets.vics import MAX_FIELD

    unit = "x" * shift + r'\u00e9\ud83d\ude00\\\"' + "€😀"
    body = unit * (MAX_FIELD // len(unit.encode()) + 2)
    data = ('{"a": "' + body + '", "b": [1]}').encode()
    path = tmp_path / "cut.json"
    path.write_bytes(data)
    with path.open("rb") as raw:
        parsed = dict(ijson.kvitems(_CountingReader(raw, path), ""))
    assert parsed["b"] == [1] and 0 < len(parsed["a"].encode()) <= MAX_FIELD
