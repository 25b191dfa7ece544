"""OCR: word recall and character error rate per text size, false text, ms per image.

Candidates, measured in the same run on the same inputs:

* ``cumberland``: ``signals.ocr.read_text`` as triage runs it (PP-OCRv6 text detector and
  recogniser from the rapidocr wheel, Tesseract with Debian's trained data for the lines
  PP-OCR is unsure of, Cyrillic);
* ``tesseract``: Tesseract alone on the whole picture (sparse-text page segmentation, the
  same trained data), as a Tesseract-based tool runs it: the baseline of the ratios;
* ``rapidocr``: RapidOCR's own pipeline (its detector, angle classifier and PP-OCRv6
  recogniser; its recogniser has no Cyrillic).

Inputs (../shared/corpus/photos; the bench stops when absent):

* *text samples*: words in 15 languages rendered with Debian's DejaVu fonts onto corpus
  photos, at letter heights of 12-80 px, on a sign plate or straight onto the photo, turned
  by up to +-10 degrees, warped in perspective, partly covered (1 in 5), saved as JPEG at
  quality 60-90; the aim's recall is over the words the bar leaves whole, covered words are
  counted apart;
* *text-free photos*: corpus photos of animals, plants, food and landscapes (ImageNet
  classes whose pictures rarely carry writing), less those where writing was seen by eye
  (``WRITING``);
* *mix*: text samples and text-free photos at 1 : 9, for ms per image.

A word counts as read when a word of the output equals it ignoring case (``exact``) or
also ignoring diacritics (``folded``); CER is the edit distance from the closest output word
over the word's length. Times are CPU milliseconds of this process (the machine is shared:
the load average is printed beside them) and wall milliseconds.

    .venv/bin/python bench/ocr.py [--per-size 15] [--free 300] [--mix 200] [--baseline 40]
                                  [--langs rus,ukr]
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

# bench/platform.py would shadow the standard library's platform (NumPy and onnxruntime
# import it): bench/ goes last on the path, before any of them is imported
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE] + [str(_HERE)]
import cv2  # noqa: E402
import numpy as np  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from _corpus import SHARED_PHOTOS  # noqa: E402
from cumberland.settings import Settings  # noqa: E402
from cumberland.signals import models  # noqa: E402
from cumberland.signals.ocr import fold, read_text  # noqa: E402

FONTS = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSerif.ttf", "DejaVuSansMono.ttf")
SIZES = (12, 16, 20, 28, 40, 56, 80)
WORDS = {
    "eng": ["HOTEL", "Pharmacy", "Station", "School", "Welcome", "Street"],
    "deu": ["Bäckerei", "Straße", "Fußgänger", "Größe", "Ausfahrt", "Grundschule"],
    "fra": ["Boulangerie", "Hôpital", "Gâteau", "Entrée", "Français", "Plage"],
    "nld": ["Apotheek", "Fietspad", "Gemeente", "Ingang", "Winkel", "Zuivel"],
    "dan": ["Bageri", "Købmand", "Skole", "Sølvgade", "Gården", "Indgang"],
    "swe": ["Järnväg", "Köpcenter", "Skola", "Göteborg", "Hälsning", "Utgång"],
    "nor": ["Butikk", "Sjøgata", "Tromsø", "Skole", "Kjøpesenter", "Brød"],
    "spa": ["Panadería", "Niño", "Estación", "Mañana", "Farmacia", "Calle"],
    "ita": ["Farmacia", "Città", "Stazione", "Gelateria", "Perché", "Uscita"],
    "por": ["Padaria", "Estação", "Coração", "Avenida", "Escola", "Informação"],
    "pol": ["Łódź", "Apteka", "Księgarnia", "Dworzec", "Gdańsk", "Źródło"],
    "ces": ["Nádraží", "Lékárna", "Příliš", "Škola", "Obchod", "Dětské"],
    "hun": ["Gyógyszertár", "Iskola", "Pékség", "Tűzoltóság", "Bejárat", "Győr"],
    "rus": ["Гостиница", "Аптека", "Школа", "Москва", "Вокзал", "Магазин"],
    "ukr": ["Київ", "Аптека", "Школа", "Вулиця", "Їжа", "Готель"],
}
NATURE_BEFORE = "n02666196"  # ImageNet synsets before 'abacus' are animals
NATURE_FROM = "n07500000"  # food, plants, landscapes; writing-bearing classes below excluded
HAS_TEXT = {"n07248320", "n07565083", "n09835506", "n10148035", "n10565667"}
# Photos of those classes that carry real writing, found by looking at every photo on which
# any engine read words (photographers' names and sites, dates, captions, signs, a T-shirt):
# they are not text-free, so words read there are not false text.
WRITING = {
    "n01614925_bald_eagle", "n01644373_tree_frog", "n01667778_terrapin",
    "n01689811_alligator_lizard", "n01729322_hognose_snake", "n01749939_green_mamba",
    "n01751748_sea_snake", "n01828970_bee_eater", "n01914609_sea_anemone",
    "n01950731_sea_slug", "n02071294_killer_whale", "n02074367_dugong",
    "n02085782_Japanese_spaniel", "n02086646_Blenheim_spaniel", "n02088632_bluetick",
    "n02091134_whippet", "n02093256_Staffordshire_bullterrier", "n02093859_Kerry_blue_terrier",
    "n02097209_standard_schnauzer", "n02100583_vizsla", "n02109047_Great_Dane",
    "n02111500_Great_Pyrenees", "n02114855_coyote", "n02129165_lion", "n02487347_macaque",
    "n02493509_titi", "n02536864_coho", "n02606052_rock_beauty", "n07579787_plate",
    "n07720875_bell_pepper", "n07734744_mushroom", "n07754684_jackfruit", "n07920052_espresso",
    "n09288635_geyser", "n12985857_coral_fungus",
}


@dataclass
class Sample:
    pixels: np.ndarray
    words: list[str]
    size: int
    lang: str
    covered: list[bool]  # per word: the bar across the text hides part of it
    box: tuple[int, int, int, int]  # where the text lies in the picture (x0, y0, x1, y1)


def _photos() -> tuple[list[Path], list[Path]]:
    every = sorted(SHARED_PHOTOS.glob("*.JPEG"))
    free = [p for p in every if (p.name < NATURE_BEFORE or p.name >= NATURE_FROM)
            and p.name.split("_")[0] not in HAS_TEXT and p.stem not in WRITING]
    return every, free


def _jpeg(rgb: np.ndarray, quality: int) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def _render(photo: Path, words: list[str], size: int, rng: np.random.Generator
            ) -> tuple[np.ndarray, list[bool], tuple[int, int, int, int]]:
    """Words of letter height ``size`` (cap height) on a corpus photo, turned, warped,
    partly covered, JPEG-compressed; which words the bar covers, and the text's box."""
    base = Image.open(photo).convert("RGB")
    text = " ".join(words)
    font = ImageFont.truetype(str(FONTS / FONT_FILES[int(rng.integers(len(FONT_FILES)))]),
                              round(size / 0.73))  # DejaVu's cap height is ~0.73 em
    left, top, right, bottom = font.getbbox(text)
    pad = max(4, size // 3)
    layer = Image.new("RGBA", (right - left + 2 * pad, bottom - top + 2 * pad), (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    plate = rng.random() < 0.5
    ink = tuple(int(v) for v in rng.integers(0, 60, 3)) if plate else \
        ((255, 255, 255) if rng.random() < 0.5 else (20, 20, 20))
    if plate:
        draw.rectangle((0, 0, layer.width, layer.height),
                       fill=(*(int(v) for v in rng.integers(200, 256, 3)), 255))
    else:
        draw.text((pad - left, pad - top), text, font=font, fill=(128, 128, 128, 255),
                  stroke_width=max(1, size // 12),
                  stroke_fill=(0, 0, 0, 255) if ink[0] > 128 else (255, 255, 255, 255))
    draw.text((pad - left, pad - top), text, font=font, fill=(*ink, 255))
    covered = [False] * len(words)
    if rng.random() < 0.2:  # a bar across part of the text
        x0 = int(rng.integers(pad, max(pad + 1, layer.width // 2)))
        x1 = x0 + max(2, layer.width // 12)
        draw.rectangle((x0, 0, x1, layer.height), fill=(90, 60, 40, 255))
        start = pad - left
        for k, word in enumerate(words):
            end = start + font.getlength(word)
            covered[k] = x0 < end and start < x1
            start = end + font.getlength(" ")
    layer = layer.rotate(float(rng.uniform(-10, 10)), resample=Image.Resampling.BICUBIC,
                         expand=True)
    arr = np.asarray(layer)
    h, w = arr.shape[:2]
    jitter = rng.uniform(-0.08, 0.08, (4, 2)) * [w, h]
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = src + jitter
    dst -= dst.min(axis=0)  # the warped layer whole: a corner pushed out cut letters off
    w, h = int(np.ceil(dst[:, 0].max())), int(np.ceil(dst[:, 1].max()))
    warp = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    arr = cv2.warpPerspective(arr, warp, (w, h))
    if w > base.width - 8 or h > base.height - 8:  # large text: a larger canvas
        scale = max((w + 16) / base.width, (h + 16) / base.height)
        base = base.resize((round(base.width * scale), round(base.height * scale)))
    x = int(rng.integers(4, base.width - w - 3))
    y = int(rng.integers(4, base.height - h - 3))
    base.paste(Image.fromarray(arr), (x, y), Image.fromarray(arr))
    ys, xs = np.nonzero(arr[:, :, 3])
    box = (x + int(xs.min()), y + int(ys.min()), x + int(xs.max()) + 1, y + int(ys.max()) + 1)
    return _jpeg(np.asarray(base), int(rng.integers(60, 91))), covered, box


def samples(photos: list[Path], per_size: int, seed: int = 7,
            languages: list[str] | None = None) -> list[Sample]:
    """``per_size`` samples at each size, the languages in turn (all of them by default)."""
    rng = np.random.default_rng(seed)
    langs = languages or sorted(WORDS)
    out = []
    for size in SIZES:
        for i in range(per_size):
            lang = langs[(i + size) % len(langs)]
            words = [str(w) for w in rng.choice(WORDS[lang], size=int(rng.integers(1, 3)),
                                                replace=False)]
            photo = photos[int(rng.integers(len(photos)))]
            pixels, covered, box = _render(photo, words, size, rng)
            out.append(Sample(pixels, words, size, lang, covered, box))
    return out


def _edit(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _tokens(text: str) -> list[str]:
    return [t.strip(".,:;!?\"'()[]") for t in text.split()]


Engine = Callable[[np.ndarray], str]


def cumberland_engine(settings: Settings) -> Engine:
    return lambda rgb: read_text(rgb, settings).text


def tesseract_engine(spec: str) -> Engine:
    import tesserocr

    for language in models.languages(spec):
        models.verified(models.tessdata(language))
    api = tesserocr.PyTessBaseAPI(path=str(models.TESSDATA) + "/", lang=spec,
                                  psm=tesserocr.PSM.SPARSE_TEXT, oem=tesserocr.OEM.LSTM_ONLY)

    def run(rgb: np.ndarray) -> str:
        api.SetImage(Image.fromarray(rgb))
        api.Recognize()
        words = []
        for conf, word in zip(api.AllWordConfidences(), api.GetUTF8Text().split(),
                              strict=False):
            if conf >= 60:
                words.append(word)
        return " ".join(words)

    return run


def rapidocr_engine() -> Engine:
    import logging

    from rapidocr import RapidOCR

    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    engine = RapidOCR(params={"Global.log_level": "error",
                              "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                              "EngineConfig.onnxruntime.inter_op_num_threads": 1})

    def run(rgb: np.ndarray) -> str:
        found = engine(rgb)
        return " ".join(found.txts or ())

    return run


def timed(engine: Engine, rgb: np.ndarray) -> tuple[str, float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    text = engine(rgb)
    return text, (time.process_time() - cpu) * 1000, (time.perf_counter() - wall) * 1000


@dataclass
class Read:
    """One rendered word and how an engine did on it."""

    size: int
    lang: str
    covered: bool
    exact: bool
    folded: bool
    cer: float


def recall(engine: Engine, batch: list[Sample]) -> list[Read]:
    out: list[Read] = []
    for s in batch:
        text, _, _ = timed(engine, s.pixels)
        got = _tokens(text)
        low = {t.casefold() for t in got}
        folded = {fold(t) for t in got}
        for word, covered in zip(s.words, s.covered, strict=True):
            best = min((_edit(word.casefold(), t.casefold()) for t in got), default=len(word))
            out.append(Read(s.size, s.lang, covered, word.casefold() in low, fold(word) in folded,
                            min(1.0, best / len(word))))
    return out


def _mean(reads: list[Read], key: str) -> float:
    return float(np.mean([getattr(r, key) for r in reads])) if reads else float("nan")


def _visible(reads: list[Read], at_least: int = 0) -> list[Read]:
    """Words the bar does not touch, of letter height ``at_least`` px or more: the aim's
    words (a word with a letter hidden cannot be read exactly by anyone; those are counted
    apart, with their CER)."""
    return [r for r in reads if not r.covered and r.size >= at_least]


def false_text(engine: Engine, photos: list[Path]) -> tuple[float, list[str]]:
    hits = []
    for p in photos:
        out, _, _ = timed(engine, np.asarray(Image.open(p).convert("RGB")))
        if _tokens(out):
            hits.append(f"{p.name}: {out[:40]!r}")
    return len(hits) / max(1, len(photos)), hits


def mix_ms(engine: Engine, text: list[Sample], free: list[Path]) -> tuple[float, float]:
    cpu, wall = [], []
    images = [s.pixels for s in text] + [np.asarray(Image.open(p).convert("RGB")) for p in free]
    for rgb in images:
        _, c, w = timed(engine, rgb)
        cpu.append(c)
        wall.append(w)
    return statistics.mean(cpu), statistics.mean(wall)


def _row(name: str, reads: list[Read], key: str, keys: tuple[object, ...]) -> str:
    cells = []
    for k in keys:
        sub = [r for r in _visible(reads) if getattr(r, key) == k]
        cells.append(f"{_mean(sub, 'exact'):5.2f}/{_mean(sub, 'folded'):4.2f}/"
                     f"{_mean(sub, 'cer'):4.2f} {len(sub):3d}")
    return f"{name:11s} " + " ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--per-size", type=int, default=15, help="text samples per size")
    parser.add_argument("--free", type=int, default=300, help="text-free photos")
    parser.add_argument("--mix", type=int, default=200, help="images in the timing mix")
    parser.add_argument("--baseline", type=int, default=40,
                        help="the baselines run on this share of each input (they are slow)")
    parser.add_argument("--langs", default="",
                        help="text samples in these languages only (comma-separated codes, "
                             "e.g. rus,ukr; default all 15)")
    args = parser.parse_args()
    languages = [lang for lang in args.langs.split(",") if lang]
    if unknown := sorted(set(languages) - set(WORDS)):
        sys.exit(f"unknown language(s) {', '.join(unknown)}: known {', '.join(sorted(WORDS))}")
    if not SHARED_PHOTOS.is_dir():
        sys.exit(f"{SHARED_PHOTOS} is absent: this benchmark needs the shared corpus")
    every, free = _photos()
    settings = Settings()
    models.check(models.ocr_models(settings.ocr_tesseract))
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores at start; "
          f"{len(free)} text-free corpus photos of {len(every)}")
    batch = samples(every, args.per_size, languages=languages)
    free_set = free[:args.free]
    n_text = max(1, args.mix // 10)
    mix_text, mix_free = batch[::max(1, len(batch) // n_text)][:n_text], free[-(args.mix - n_text):]
    engines = {"cumberland": cumberland_engine(settings),
               "tesseract": tesseract_engine("Latin+Cyrillic"),
               "rapidocr": rapidocr_engine()}
    results: dict[str, dict[str, object]] = {}
    for name, engine in engines.items():
        share = 1 if name == "cumberland" else max(1, len(batch) // args.baseline)
        sub = batch[::share]
        reads = recall(engine, sub)
        rate, hits = false_text(engine, free_set if name == "cumberland"
                                else free_set[::max(1, len(free_set) // args.baseline)])
        cpu, wall = mix_ms(engine, mix_text if name == "cumberland" else mix_text[:2],
                           mix_free if name == "cumberland" else mix_free[:18])
        results[name] = {"reads": reads, "false": rate, "hits": hits, "cpu": cpu,
                         "wall": wall, "samples": len(sub)}
        print(f"{name}: {len(sub)} text samples; load average {os.getloadavg()[0]:.1f}",
              flush=True)
    print("\nvisible words: recall exact / folded (diacritics ignored) / CER, and count, "
          "per letter height (px):\n" + " " * 12 + " ".join(f"{s:>18d}" for s in SIZES))
    for name, r in results.items():
        print(_row(name, r["reads"], "size", SIZES))  # type: ignore[arg-type]
    langs = sorted(languages or WORDS)
    print("\nthe same per language, letters >= 20 px:\n" + " " * 12
          + " ".join(f"{lang:>18s}" for lang in langs))
    for name, r in results.items():
        big = [x for x in r["reads"] if x.size >= 20]  # type: ignore[attr-defined]
        print(_row(name, big, "lang", tuple(langs)))
    base = results["tesseract"]
    print(f"\n{'engine':11s} {'recall>=20px':>13s} {'folded':>7s} {'CER':>6s} "
          f"{'covered':>8s} {'its CER':>8s} {'false text':>11s} {'CPU ms/img':>11s} "
          f"{'wall ms':>8s} {'x tesseract':>12s}")
    for name, r in results.items():
        vis = _visible(r["reads"], 20)  # type: ignore[arg-type]
        hidden = [x for x in r["reads"] if x.covered and x.size >= 20]  # type: ignore[attr-defined]
        print(f"{name:11s} {_mean(vis, 'exact'):13.3f} {_mean(vis, 'folded'):7.3f} "
              f"{_mean(vis, 'cer'):6.3f} {_mean(hidden, 'exact'):8.3f} "
              f"{_mean(hidden, 'cer'):8.3f} {r['false']:11.3f} {r['cpu']:11.1f} "
              f"{r['wall']:8.1f} {float(base['cpu']) / float(r['cpu']):11.2f}x")  # type: ignore[arg-type]
    print("\nfalse text (cumberland):", *results["cumberland"]["hits"][:20], sep="\n  ")  # type: ignore[misc]
    print(f"\nload average {os.getloadavg()[0]:.1f} at end")


if __name__ == "__main__":
    main()
