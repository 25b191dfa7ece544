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


ENTRY_WITH_FEEDBACK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<queryResult xmlns="https://hashsharing.ncmec.org/hashsharing/v2">
    <images count="1" maxTimestamp="2017-10-24T15:10:00Z">
        <image>
            <member id="42">Example Member</member>
            <timestamp>2017-10-24T15:00:00Z</timestamp>
            <id>image1</id>
            <classification>A1</classification>
            <fingerprints>
                <md5>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</md5>
                <sha1>a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1</sha1>
            </fingerprints>
            <feedback lastUpdateTimestamp="2023-06-01T12:48:14Z">
                <affirmativeFeedback type="Md5" lastUpdateTimestamp="2023-06-01T12:48:14Z">
                    <members timestamp="2023-06-01T12:48:14Z">
                        <member id="77">Voting Member</member>
                    </members>
                </affirmativeFeedback>
                <negativeFeedback type="Sha1" lastUpdateTimestamp="2023-05-31T19:41:51Z">
                    <reasons>
                        <reason guid="01234567-abcd-0123-4567-0123456789" name="R" type="Sha1"/>
                        <members timestamp="2023-06-01T12:48:14Z">
                            <member id="78">Other Voter</member>
                        </members>
                    </reasons>
                </negativeFeedback>
            </feedback>
        </image>
    </images>
</queryResult>
"""


def test_feedback_members_are_not_the_uploader(write: Write) -> None:
    """NCMEC's documented entry XML as python-threatexchange's client tests hold it
    (threatexchange/exchanges/clients/ncmec/tests/data.py, ENTRIES_XML; the voters given
    ids of their own here): the voters' ``<member>`` inside ``<feedback>`` overwrote the
    uploader's id (the record came out as "Example Member", id 77)."""
    (image,) = NcmecReader(write("fb.xml", ENTRY_WITH_FEEDBACK))
    assert (image.extra["member"], image.extra["member_id"]) == ("Example Member", "42")
    assert image.md5 == bytes.fromhex("a1" * 16) and image.extra["ncmec_id"] == "image1"
