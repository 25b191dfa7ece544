"""Benign demo evidence: synthetic pictures (shapes, gradients, text, noise), their variants,
bad files, and hash sets that mark some of them with stand-in categories.

Deterministic (fixed seeds), so tests can assert exact counts. Nothing here resembles abuse
material; categories in the generated VICS set are stand-ins.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont, PngImagePlugin

from cumberland.signals.crypto import digest_blocks
from cumberland.signals.pdq import pdq_from_rgb

VICS2_CONTEXT = (
    "http://github.com/VICSDATAMODEL/ProjectVic/DataModels/2.0.xml/US/$metadata#Media"
)
SIZE = (640, 480)


def synthetic_image(seed: int, size: tuple[int, int] = SIZE) -> Image.Image:
    """A picture of coloured shapes on a gradient with a caption and mild noise."""
    rng = np.random.default_rng(seed)
    w, h = size
    x = np.linspace(0, 1, w)[None, :, None]
    y = np.linspace(0, 1, h)[:, None, None]
    c0, c1, c2 = rng.uniform(0, 255, (3, 3))
    base = c0 * (1 - x) * (1 - y) + c1 * x + c2 * y * (1 - x)
    base = np.clip(base + rng.normal(0, 6, (h, w, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(base, "RGB")
    draw = ImageDraw.Draw(image)
    for _ in range(int(rng.integers(6, 12))):
        x0, y0 = int(rng.integers(0, w - 40)), int(rng.integers(0, h - 40))
        x1, y1 = x0 + int(rng.integers(30, w // 2)), y0 + int(rng.integers(30, h // 2))
        fill = tuple(int(v) for v in rng.integers(0, 256, 3))
        shape = int(rng.integers(0, 3))
        if shape == 0:
            draw.ellipse((x0, y0, x1, y1), fill=fill)
        elif shape == 1:
            draw.rectangle((x0, y0, x1, y1), fill=fill)
        else:
            draw.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=fill)
    font = ImageFont.load_default(size=28)
    draw.text((20, h - 50), f"demo picture {seed}", fill=(255, 255, 255), font=font)
    return image


def mug_on_table(size: tuple[int, int] = (1600, 1200), seed: int = 7) -> Image.Image:
    """A mug with a logo on a wooden table in front of a window, drawn from shapes: the
    benign picture Trace An Object's tests and screenshots cut objects out of."""
    w, h = size
    rng = np.random.default_rng(seed)
    y = np.linspace(0, 1, h)[:, None, None]
    wall = (np.array([214, 222, 230]) * (1 - y) + np.array([176, 188, 200]) * y)
    pixels = np.broadcast_to(wall, (h, w, 3)).copy()
    image = Image.fromarray(np.clip(pixels + rng.normal(0, 3, (h, w, 3)), 0, 255)
                            .astype(np.uint8), "RGB")
    draw = ImageDraw.Draw(image)
    # a window with a view of hills
    wx0, wy0, wx1, wy1 = int(w * .58), int(h * .08), int(w * .92), int(h * .48)
    draw.rectangle((wx0, wy0, wx1, wy1), fill=(150, 200, 240), outline=(250, 250, 250),
                   width=max(4, w // 200))
    draw.polygon([(wx0, wy1), (wx0, int(h * .36)), (int(w * .7), int(h * .28)),
                  (int(w * .8), int(h * .34)), (wx1, int(h * .3)), (wx1, wy1)],
                 fill=(90, 150, 80))
    draw.line((int((wx0 + wx1) / 2), wy0, int((wx0 + wx1) / 2), wy1), fill=(250, 250, 250),
              width=max(3, w // 300))
    # the table, with wood grain
    top = int(h * .62)
    draw.rectangle((0, top, w, h), fill=(150, 98, 52))
    for i in range(18):
        gy = top + int((h - top) * (i + rng.uniform(0, .8)) / 18)
        draw.line((0, gy, w, gy + int(rng.uniform(-8, 8))), fill=(128, 80, 40), width=2)
    # the mug: body, rim, handle, and a star logo with a word on it
    mx0, mx1 = int(w * .22), int(w * .42)
    my0, my1 = int(h * .38), int(h * .7)
    rim = int((mx1 - mx0) * .16)
    draw.rounded_rectangle((mx0, my0, mx1, my1), radius=rim, fill=(200, 40, 48))
    draw.ellipse((mx0, my0 - rim // 2, mx1, my0 + rim // 2), fill=(150, 24, 30),
                 outline=(230, 230, 230), width=max(2, w // 400))
    hx0, hx1 = mx1 - rim // 2, mx1 + int((mx1 - mx0) * .32)
    draw.ellipse((hx0, my0 + rim, hx1, my1 - rim * 2), outline=(200, 40, 48),
                 width=max(6, w // 90))
    cx, cy, r = (mx0 + mx1) // 2, (my0 + my1) // 2, (mx1 - mx0) // 5
    star = [(cx + (r if k % 2 == 0 else r * .45) * np.sin(k * np.pi / 5),
             cy - (r if k % 2 == 0 else r * .45) * np.cos(k * np.pi / 5)) for k in range(10)]
    draw.polygon(star, fill=(250, 214, 64))
    font = ImageFont.load_default(size=max(12, (mx1 - mx0) // 7))
    draw.text((cx, cy + int(r * 1.5)), "STELLA", fill=(250, 250, 250), font=font, anchor="mm")
    return image.filter(ImageFilter.GaussianBlur(0.6))


def _save(image: Image.Image, path: Path, fmt: str, **options: Any) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    image.save(buf, fmt, **options)
    path.write_bytes(buf.getvalue())
    return buf.getvalue()


_AI_XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/" '
    b'Iptc4xmpExt:DigitalSourceType='
    b'"http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def _camera_exif(index: int) -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "DemoCam"
    exif[0x0110] = f"DC-{100 + index}"
    exif[0x0132] = f"2024:05:{10 + index:02d} 12:00:00"
    gps = {1: "N", 2: (55.0, 40.0, 30.0 + index), 3: "E", 4: (12.0, 34.0, 5.0)}
    exif[0x8825] = gps
    return exif


def generate(out: Path) -> dict[str, Any]:
    """Write the demo tree under ``out`` and return what a triage of it should find."""
    if out.exists():
        shutil.rmtree(out)
    seized = out / "seized"
    sets = out / "hashsets"
    sets.mkdir(parents=True)
    originals = {i: synthetic_image(100 + i) for i in range(12)}
    files: dict[str, bytes] = {}

    def put(rel: str, image: Image.Image, fmt: str, **opts: Any) -> bytes:
        files[rel] = _save(image, seized / rel, fmt, **opts)
        return files[rel]

    for i in range(4):  # camera-like originals with EXIF and GPS
        put(f"DCIM/100DEMO/IMG_{i + 1:04d}.JPG", originals[i], "JPEG", quality=92,
            exif=_camera_exif(i))
    for i in range(4, 8):
        put(f"Pictures/shapes/shape_{i}.png", originals[i], "PNG")
    for i in range(8, 10):
        put(f"Pictures/shapes/shape_{i}.jpg", originals[i], "JPEG", quality=90)
    # exact duplicates elsewhere on the device
    for rel, dup in (("DCIM/100DEMO/IMG_0001.JPG", "Pictures/copies/holiday.jpg"),
                     ("Pictures/shapes/shape_4.png", "Pictures/copies/shape_4 copy.png"),
                     ("Pictures/shapes/shape_8.jpg", "Backup/2024/05/shape_8.jpg")):
        (seized / dup).parent.mkdir(parents=True, exist_ok=True)
        (seized / dup).write_bytes(files[rel])
        files[dup] = files[rel]
    # variants of pictures whose originals are not on the device (known only by PDQ)
    w, h = SIZE
    put("Downloads/reencoded_10.jpg", originals[10], "JPEG", quality=45)
    put("Downloads/resized_11.jpg", originals[11].resize((w // 2, h // 2)), "JPEG", quality=85)
    put("Downloads/cropped_2.jpg", originals[2].crop((4, 3, w - 4, h - 3)), "JPEG", quality=88)
    put("Downloads/blurred_5.png", originals[5].filter(ImageFilter.GaussianBlur(1)), "PNG")
    # files whose metadata says they were AI-generated (shapes with metadata written in)
    params = PngImagePlugin.PngInfo()
    params.add_text("parameters", "a red bicycle in a meadow\nSteps: 20, Sampler: Euler a, "
                    "CFG scale: 7, Seed: 42, Size: 640x480, Model hash: 0123abcd, Model: demo")
    put("Pictures/generated/bicycle.png", synthetic_image(200), "PNG", pnginfo=params)
    put("Pictures/generated/declared.jpg", synthetic_image(201), "JPEG", quality=90,
        xmp=_AI_XMP)
    # bad and odd files
    (seized / "Downloads/broken.jpg").write_bytes(files["Pictures/shapes/shape_8.jpg"][:600]
                                                   + b"\x00" * 200)
    (seized / "Downloads/empty.jpg").write_bytes(b"")
    (seized / "Documents").mkdir(parents=True, exist_ok=True)
    (seized / "Documents/notes.txt").write_text("shopping list: apples, pears, rope\n")
    put("Documents/invoice.pdf", originals[7].resize((320, 240)), "PNG")  # wrong extension
    icon = Image.new("RGB", (64, 64), (30, 90, 200))
    ImageDraw.Draw(icon).ellipse((8, 8, 56, 56), fill=(250, 250, 250))
    put("System/icons/app.png", icon, "PNG")
    for name in ("Documents/notes.txt", "Downloads/broken.jpg", "Downloads/empty.jpg"):
        files[name] = (seized / name).read_bytes()

    def dig(rel: str) -> Any:
        return digest_blocks([files[rel]])

    def pdq_hex(image: Image.Image) -> str:
        return pdq_from_rgb(np.asarray(image.convert("RGB")))[0].hex()

    # VICS 2.0 (US profile) with stand-in categories: exact by MD5/SHA-1, one by PDQ only.
    media = [
        {"MediaID": 1, "Category": 1, "MD5": dig("DCIM/100DEMO/IMG_0001.JPG").md5.hex().upper(),
         "IsPrecategorized": "true", "MediaSize": len(files["DCIM/100DEMO/IMG_0001.JPG"])},
        {"MediaID": 2, "Category": 2, "SHA1": dig("Pictures/shapes/shape_4.png").sha1.hex(),
         "MD5": None, "MediaSize": str(len(files["Pictures/shapes/shape_4.png"]))},
        {"MediaID": 3, "Category": 1, "MD5": dig("Pictures/shapes/shape_8.jpg").md5.hex(),
         "SHA1": dig("Pictures/shapes/shape_8.jpg").sha1.hex().upper()},
        {"MediaID": 4, "Category": 3, "MD5": "0" * 31 + "1",
         "AlternativeHashes": [{"HashName": "PDQ", "HashValue": pdq_hex(originals[11])}]},
        {"MediaID": 5, "Category": 4, "MD5": "f" * 32},
    ]
    (sets / "known-vics2.json").write_text(json.dumps(
        {"@odata.context": VICS2_CONTEXT, "value": media}, indent=1))
    # A PDQ list (Meta's pdq-photo-hasher format) of pictures known only perceptually.
    pdq_lines = [f"{pdq_hex(originals[i])},100,known_{i}.jpg" for i in (2, 10)]
    (sets / "known-pdq.txt").write_text("\n".join(pdq_lines) + "\n")
    # NSRL RDS v2 style known-good list: the system icon and the text file.
    rows = ['"SHA-1","MD5","CRC32","FileName","FileSize","ProductCode","OpSystemCode",'
            '"SpecialCode"']
    for rel in ("System/icons/app.png", "Documents/notes.txt"):
        d = dig(rel)
        rows.append(f'"{d.sha1.hex().upper()}","{d.md5.hex().upper()}","00000000",'
                    f'"{Path(rel).name}",{len(files[rel])},1234,"358",""')
    (sets / "nsrl-known-good.txt").write_text("\n".join(rows) + "\n")
    return {
        "files": len(files),
        "hashsets": ["known-vics2.json", "known-pdq.txt", "nsrl-known-good.txt"],
    }
