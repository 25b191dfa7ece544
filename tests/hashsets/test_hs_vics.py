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
