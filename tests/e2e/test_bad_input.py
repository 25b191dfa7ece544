"""Bad input gets a recorded status with a reason; the run always completes."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from cumberland.cli import app
from cumberland.demo import synthetic_image
from cumberland.pipeline.triage import TriageRequest, triage
from cumberland.settings import Settings
from cumberland.store.workspace import Workspace

runner = CliRunner()


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    synthetic_image(seed, (320, 240)).save(buf, "JPEG", quality=85)
    return buf.getvalue()


@pytest.fixture()
def hostile(tmp_path: Path) -> Path:
    root = tmp_path / "evidence"
    root.mkdir()
    good = _jpeg(1)
    (root / "good.jpg").write_bytes(good)
    (root / "truncated.jpg").write_bytes(good[: len(good) // 3])
    (root / "garbage.png").write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(500))
    (root / "zero.jpg").write_bytes(b"")
    (root / "text-named.jpg").write_text("not a picture at all")
    buf = io.BytesIO()
    Image.new("L", (6000, 6000)).save(buf, "PNG")  # 36 MP, over the test's pixel limit
    (root / "huge.png").write_bytes(buf.getvalue())
    (root / "loop").mkdir()
    os.symlink(root / "loop", root / "loop" / "again")
    with open(os.fsencode(root) + b"/name-\xff\xfe.jpg", "wb") as fh:
        fh.write(_jpeg(2))
    (root / "line\nbreak.jpg").write_bytes(_jpeg(3))
    return root


def test_hostile_folder_completes_with_reasons(hostile: Path, tmp_path: Path) -> None:
    ws = Workspace(tmp_path / "ws")
    request = TriageRequest(sources=[hostile], case="bad", report_dir=tmp_path / "r",
                            settings=Settings(workers=2, chunk_size=2,
                                              max_image_pixels=20_000_000))
    summary = triage(ws, request).summary
    ws.close()
    assert summary["files_seen"] == 9
    assert sum(summary["items"].values()) == 9
    problems = {Path(p["path"].splitlines()[0]).name: (p["status"], p["reason"])
                for p in summary["problems"]}
    assert problems["truncated.jpg"][0] == "error"
    assert problems["garbage.png"][0] == "error"
    assert problems["garbage.png"][1].startswith("corrupt image")
    assert problems["zero.jpg"] == ("skipped", "empty file")
    assert problems["huge.png"][0] == "skipped"
    assert problems["huge.png"][1].startswith("limit:")
    assert problems["again"][0] == "skipped"
    assert problems["again"][1].startswith("symlink -> ")
    assert summary["items"]["done"] == 4  # good, text-named, two odd names
    assert summary["extension_mismatches"] == 1


def test_unreadable_file_is_permission_denied(tmp_path: Path) -> None:
    """Run the CLI without root's DAC override so a mode-000 file really cannot be read."""
    if shutil.which("setpriv") is None or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to drop CAP_DAC_OVERRIDE")
    root = tmp_path / "evidence"
    root.mkdir()
    (root / "readable.jpg").write_bytes(_jpeg(4))
    locked = root / "locked.jpg"
    locked.write_bytes(_jpeg(5))
    locked.chmod(0)
    ws = tmp_path / "ws"
    cmd = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable, "-m",
           "cumberland", "triage", str(root), "--case", "perm", "--workspace", str(ws),
           "--report-dir", str(tmp_path / "r"), "--workers", "1"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    problems = {Path(p["path"]).name: p for p in report["problems"]}
    assert problems["locked.jpg"]["status"] == "error"
    assert problems["locked.jpg"]["reason"] == "Permission denied"
    assert report["items"]["done"] == 1


def test_malformed_hashset_is_one_line_and_not_imported(tmp_path: Path) -> None:
    bad = tmp_path / "broken.json"
    bad.write_text('{"@odata.context": "http://github.com/VICSDATAMODEL/ProjectVic/'
                   'DataModels/2.0.xml/US/$metadata#Media", "value": [{"MD5": "zz"}]}')
    ws = str(tmp_path / "ws")
    result = runner.invoke(app, ["hashset", "import", str(bad), "--workspace", ws])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "broken.json" in message
    listed = runner.invoke(app, ["hashset", "list", "--json", "--workspace", ws])
    assert listed.stdout.strip() == ""


def test_missing_source_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["triage", str(tmp_path / "nope"), "--workspace",
                                 str(tmp_path / "ws")])
    assert result.exit_code == 2
    assert "no such file or folder" in result.stderr


_V20 = "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#"


@pytest.mark.parametrize("body", [
    'Media", "value": {"MD5": "5d41402abc4b2a76b9719d911017c592"}',
    'Media", "value": "5d41402abc4b2a76b9719d911017c592"',
    'Media", "value": null',
    'Media", "count": 1',
    'Cases", "value": [{"CaseNumber": "A", "Media": {"MD5": "5d41402abc4b2a76b9719d911017c592"}}]',
])
@pytest.mark.parametrize("command", ["import", "triage"])
def test_vics_without_a_record_array_fails_and_leaves_nothing(
        tmp_path: Path, body: str, command: str) -> None:
    """Issue 13 item 9: these imported as "0 entries" with exit 0 (also through triage
    --hashset) and an empty set was listed."""
    bad = tmp_path / "shapeless.json"
    bad.write_text('{"@odata.context": "' + _V20 + body + "}")
    ws = str(tmp_path / "ws")
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.jpg").write_bytes(_jpeg(6))
    args = (["hashset", "import", str(bad)] if command == "import" else
            ["triage", str(evidence), "--hashset", str(bad), "--case", "c"])
    result = runner.invoke(app, [*args, "--workspace", ws])
    assert result.exit_code == 2
    message = result.stderr.strip()
    assert "\n" not in message and "shapeless.json" in message and "array" in message
    for listing in (["hashset", "list", "--json"], ["case", "list", "--json"]):
        listed = runner.invoke(app, [*listing, "--workspace", ws])
        assert listed.stdout.strip() == ""


def _png_header_claiming(width: int, height: int) -> bytes:
    """A small PNG whose IHDR claims ``width`` x ``height`` pixels (the rows compress to
    almost nothing): cheap to store, gigabytes to decode."""
    import struct
    import zlib

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (struct.pack(">I", len(payload)) + kind + payload
                + struct.pack(">I", zlib.crc32(kind + payload)))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (3 * width + 1) * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + \
        chunk(b"IEND", b"")


def test_huge_png_under_the_bomb_limit_is_refused_with_its_digests(tmp_path: Path) -> None:
    """13,000 x 13,000 (169 Mpx, under max_image_pixels) took 5.1 GB to decode and was
    OOM-killed with no hashes; now it is refused by the decode budget, digests kept."""
    import hashlib

    from cumberland.pipeline.fingerprint import fingerprint
    from cumberland.records import Task

    data = _png_header_claiming(13_000, 13_000)
    path = tmp_path / "wide.png"
    path.write_bytes(data)
    result = fingerprint(Task(1, os.fsencode(path), path.name, None), Settings())
    assert (result.status, result.reason) == (
        "skipped", "limit: 13000x13000 pixels > max_decode_pixels 50000000 (PNG decodes at "
        "full size)")
    assert result.media is not None
    assert result.media.sha256 == hashlib.sha256(data).digest()


def test_bare_64_hex_list_is_refused_then_taken_as_imported(tmp_path: Path) -> None:
    """A list of bare 64-hex values (``tx dataset -P -S -s pdq``, or a bare SHA-256 list) is
    never guessed: triage refuses it naming the formats; once imported with --format pdq,
    triage --hashset takes the imported set (not re-detected)."""
    listing = tmp_path / "pdq.txt"
    listing.write_text("f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22\n" * 3)
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "a.jpg").write_bytes(_jpeg(7))
    ws = str(tmp_path / "ws")
    triage_args = ["triage", str(evidence), "--hashset", str(listing), "--case", "c",
                   "--workspace", ws, "--report-dir", str(tmp_path / "r")]
    refused = runner.invoke(app, triage_args)
    assert refused.exit_code == 2
    assert "--format pdq" in refused.stderr and "--format sha256" in refused.stderr
    imported = runner.invoke(app, ["hashset", "import", str(listing), "--format", "pdq",
                                   "--workspace", ws])
    assert imported.exit_code == 0 and "3 entries" in imported.stdout
    again = runner.invoke(app, triage_args)
    assert again.exit_code == 0, again.stderr
    assert "unchanged, not re-imported" in again.stdout
    listed = [json.loads(line) for line in runner.invoke(
        app, ["hashset", "list", "--json", "--workspace", ws]).stdout.splitlines()]
    assert [(s["name"], s["format"]) for s in listed] == [("pdq.txt", "pdq")]
