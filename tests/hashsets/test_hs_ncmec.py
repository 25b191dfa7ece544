"""NCMEC hash-sharing XML: images, deletions, namespaces, and refusal of DTDs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cumberland.hashsets.base import HashSetError
from cumberland.hashsets.ncmec import NcmecReader

Write = Callable[[str, str | bytes], Path]
PDNA = "A" * 190 + "=="


def _doc(hexes: Callable[..., tuple], namespace: str = "") -> str:
    md5, sha1, _ = hexes("teapot")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<queryResult{namespace}>
  <images count="3" maxTimestamp="2020-05-01T00:00:00Z">
    <image>
      <member id="12">Example Org</member>
      <id>img-1</id>
      <timestamp>2020-04-01T10:00:00Z</timestamp>
      <classification>A1</classification>
      <fingerprints><md5>{md5.upper()}</md5><sha1>{sha1}</sha1><pdna>{PDNA}</pdna></fingerprints>
    </image>
    <image>
      <member id="12">Example Org</member><id>img-2</id>
      <classification>B2</classification><fingerprints/>
    </image>
    <deletedImage>
      <member id="12">Example Org</member><id>img-0</id><timestamp>2020-04-02T00:00:00Z</timestamp>
    </deletedImage>
  </images>
</queryResult>
"""


@pytest.mark.parametrize("namespace", ["", ' xmlns="https://hashsharing.ncmec.org/npo/v1"'])
def test_images_and_deletions(write: Write, hexes: Callable[..., tuple], namespace: str) -> None:
    md5, sha1, _ = hexes("teapot")
    path = write("ncmec.xml", _doc(hexes, namespace))
    reader = NcmecReader(path)
    assert reader.info.category_scheme == "ncmec"
    assert reader.info.properties["images.maxTimestamp"] == "2020-05-01T00:00:00Z"
    image, deleted = reader
    assert image.md5 == bytes.fromhex(md5) and image.sha1 == bytes.fromhex(sha1)
    assert image.photodna == PDNA and image.category is None
    assert image.extra == {
        "media": "image",
        "deleted": False,
        "ncmec_id": "img-1",
        "member": "Example Org",
        "member_id": "12",
        "timestamp": "2020-04-01T10:00:00Z",
        "classification": "A1",
    }
    assert deleted.extra["deleted"] is True and deleted.extra["ncmec_id"] == "img-0"
    assert not deleted.has_hash()
    assert reader.skipped == 1


def test_billion_laughs_is_refused(write: Write, check_error: Callable[..., None]) -> None:
    laughs = (
        '<?xml version="1.0"?>\n<!DOCTYPE queryResult [\n <!ENTITY lol "lol">\n'
        ' <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">\n]>\n'
        "<queryResult><images><image><id>&lol2;</id></image></images></queryResult>\n"
    )
    path = write("laughs.xml", laughs)
    with pytest.raises(HashSetError) as info:
        NcmecReader(path)
    check_error(info.value, path, "line 2")
    assert "DTD" in str(info.value)


def test_external_doctype_is_refused(write: Write, check_error: Callable[..., None]) -> None:
    path = write("ext.xml", '<!DOCTYPE queryResult SYSTEM "file:///etc/passwd"><queryResult/>')
    with pytest.raises(HashSetError) as info:
        NcmecReader(path)
    check_error(info.value, path, "line 1")


def test_malformed_xml_names_line(
    write: Write, check_error: Callable[..., None], hexes: Callable[..., tuple]
) -> None:
    path = write("bad.xml", _doc(hexes).replace("</image>\n    <deletedImage>", "<deletedImage>"))
    with pytest.raises(HashSetError) as info:
        list(NcmecReader(path))
    check_error(info.value, path, "line 17")  # the </images> that mismatches
    path = write("hex.xml", _doc(hexes).replace("<id>img-1</id>", "<id>img-1</id><md5>xyz</md5>"))
    with pytest.raises(HashSetError) as info:
        list(NcmecReader(path))
    check_error(info.value, path, "record 1")
    path = write("root.xml", "<other/>")
    with pytest.raises(HashSetError) as info:
        NcmecReader(path)
    check_error(info.value, path, "line 1")
