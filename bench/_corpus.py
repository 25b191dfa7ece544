"""Benchmark inputs: camera-sized JPEGs made from ../shared/corpus/photos, or synthetic."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from cumberland.demo import synthetic_image

SHARED_PHOTOS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "photos"
CACHE = Path(__file__).resolve().parent / ".cache"


def camera_jpegs(count: int, size: tuple[int, int] = (4000, 3000), quality: int = 90) -> list[Path]:
    """``count`` 12 MP JPEGs (cached between runs): upscaled corpus photos when present."""
    out = CACHE / f"jpeg-{size[0]}x{size[1]}-q{quality}"
    out.mkdir(parents=True, exist_ok=True)
    sources = sorted(SHARED_PHOTOS.glob("*.JPEG"))[:count] if SHARED_PHOTOS.is_dir() else []
    paths = []
    for i in range(count):
        path = out / f"img_{i:04d}.jpg"
        if not path.exists():
            if i < len(sources):
                image = Image.open(sources[i]).convert("RGB").resize(size, Image.Resampling.BICUBIC)
            else:
                image = synthetic_image(1000 + i, size)
            image.save(path, "JPEG", quality=quality)
        paths.append(path)
    return paths


def corpus_origin() -> str:
    return "upscaled ../shared/corpus/photos" if SHARED_PHOTOS.is_dir() else "synthetic"
