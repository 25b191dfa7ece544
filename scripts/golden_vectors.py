"""Regenerate the golden vectors in tests/golden from Meta's own tools.

The tests never run Meta's tools: they compare Cumberland with the outputs committed here.
Run this only to change the set (new pictures or videos) or to re-check against a newer
reference. It needs Meta's reference binaries, built outside this repository:

    # ThreatExchange (BSD): https://github.com/facebook/ThreatExchange, checked out in $TE
    apt-get install -y cmake g++ libavcodec-dev libavformat-dev libswscale-dev libavutil-dev
    make -C $TE/pdq/cpp pdq-photo-hasher
    cmake -S $TE/vpdq/cpp -B /tmp/vpdq-build -DCMAKE_BUILD_TYPE=Release
    cmake --build /tmp/vpdq-build -j2          # -> /tmp/vpdq-build/apps/vpdq-hash-video

    .venv/bin/python scripts/golden_vectors.py --te $TE \\
        --vpdq-hash-video /tmp/vpdq-build/apps/vpdq-hash-video [--render] [--commit SHA]

``--render`` re-encodes the committed videos (only when the set changes: an encoder's
bytes are not guaranteed to be the same on another machine or version, so the videos
themselves are the test data). pdq-photo-hasher's image decoder (CImg) reads only PNM by
itself, so each picture is handed to it as a PPM of the pixels Pillow decodes; pictures
here are at most 512 px, below its 512 px pre-squash. ``--te`` also supplies the three
small bridge pictures of ThreatExchange's pdq/data/bridge-mods, copied once.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import av
import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
from golden.patterns import IMAGES, VIDEO_SIZE, VIDEOS, X264, frames, picture  # noqa: E402

GOLDEN = ROOT / "tests" / "golden"
BRIDGES = ("shrink-a-lot.jpg", "square-128x128.jpg", "square-256x256.jpg")
# (video, seconds per hash) pairs written beside the 1 s outputs every video gets
EXTRA_RATES = (("v2997.mp4", "0"), ("v30.mp4", "0.5"))


def render(path: Path, spec: dict[str, object]) -> None:
    """One golden video: the moving pattern, H.264 with B-frames (non-reference frames
    among the sampled ones) unless another codec is named."""
    codec = str(spec.get("codec", "libx264"))
    count = int(spec["frames"])  # type: ignore[call-overload]
    with av.open(str(path), "w") as container:
        audio = container.add_stream("aac", rate=16000) if spec.get("audio_first") else None
        if codec == "libx264":
            options = dict(X264)
            if "x264" in spec:
                options["x264-params"] = str(spec["x264"])
        else:
            options = {"deadline": "good", "cpu-used": "4", "threads": "1", "crf": "56",
                       "b": "0"}
        stream = container.add_stream(codec, rate=spec["rate"], options=options)
        size = spec.get("size", VIDEO_SIZE)
        stream.width, stream.height = size  # type: ignore[misc]
        stream.pix_fmt = "yuv420p"
        if codec != "libx264":
            stream.codec_context.color_range = 2  # AVCOL_RANGE_JPEG: tagged full range
        for rgb in frames(stream.width, stream.height, count):
            for packet in stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
        if audio is not None:
            silence = av.AudioFrame.from_ndarray(np.zeros((1, 16000), dtype=np.float32),
                                                 format="fltp", layout="mono")
            silence.sample_rate = 16000
            for packet in [*audio.encode(silence), *audio.encode()]:
                container.mux(packet)


def _run(*args: str | Path) -> str:
    return subprocess.run([str(a) for a in args], check=True, capture_output=True,
                          text=True).stdout


def pdq_vectors(hasher: Path, te: Path | None) -> None:
    """tests/golden/pdq/pdq-photo-hasher.txt: the tool's 8 dihedral hashes and quality."""
    out = GOLDEN / "pdq"
    if te is not None:
        for name in BRIDGES:
            if not (out / name).exists():
                shutil.copyfile(te / "pdq" / "data" / "bridge-mods" / name, out / name)
    pictures: dict[str, Image.Image] = {
        name: Image.open(out / name).convert("RGB") for name in BRIDGES}
    pictures.update({name: Image.fromarray(picture(*spec)) for name, spec in IMAGES.items()})
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, image in pictures.items():
            ppm = Path(tmp) / f"{Path(name).stem}.ppm"
            image.save(ppm)
            row = _run(hasher, "--pdqdih-across", ppm).strip().split(",")
            lines.append(",".join([*row[:-1], name]))
    (out / "pdq-photo-hasher.txt").write_text("\n".join(lines) + "\n")


def vpdq_vectors(tool: Path, rerender: bool) -> bool:
    """The reference's hash files of every golden video; True when any was rendered."""
    out = GOLDEN / "vpdq"
    rendered = False
    for name, spec in VIDEOS.items():
        if rerender or not (out / name).exists():
            render(out / name, spec)
            rendered = True
    jobs = [(name, "1") for name in VIDEOS] + list(EXTRA_RATES)
    for name, seconds in jobs:
        target = out / f"{Path(name).stem}.r{seconds}.txt"
        _run(tool, "-i", out / name, "-o", target, "-r", seconds, "-t", "1")
    return rendered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--te", type=Path, help="a ThreatExchange checkout")
    parser.add_argument("--pdq-photo-hasher", type=Path,
                        help="default: TE/pdq/cpp/pdq-photo-hasher")
    parser.add_argument("--vpdq-hash-video", type=Path, required=True)
    parser.add_argument("--render", action="store_true", help="re-encode the videos")
    parser.add_argument("--commit", default="", help="the ThreatExchange commit, recorded")
    args = parser.parse_args()
    hasher = args.pdq_photo_hasher or (args.te / "pdq" / "cpp" / "pdq-photo-hasher"
                                       if args.te else None)
    if hasher is None:
        parser.error("--pdq-photo-hasher or --te is needed")
    pdq_vectors(hasher, args.te)
    rendered = vpdq_vectors(args.vpdq_hash_video, args.render)
    path = GOLDEN / "provenance.json"
    provenance = json.loads(path.read_text()) if path.exists() else {}
    provenance.update({
        "threatexchange_commit": args.commit,
        "tools": ["pdq/cpp pdq-photo-hasher --pdqdih-across",
                  "vpdq/cpp vpdq-hash-video -t 1"],
        "reference_libavcodec": _run("pkg-config", "--modversion", "libavcodec").strip(),
    })
    if rendered:
        provenance["videos_rendered_with_pyav"] = av.__version__
    path.write_text(json.dumps(provenance, indent=2) + "\n")


if __name__ == "__main__":
    main()
