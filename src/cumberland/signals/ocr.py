"""Text in pictures: find text regions first, read only those (most pictures have none).

Chosen on bench/ocr.py (docs/benchmarks.md), where Tesseract alone read few of the words
rendered on photos and RapidOCR's own pipeline cost seconds a picture:

1. *Detection*: the PP-OCRv6 text detector shipped in the ``rapidocr`` wheel (ONNX, run
   directly through onnxruntime) gives a probability map of text at a reduced size
   (``Settings.ocr_detect_side``, longer side); regions are its blobs, as rotated
   rectangles grown by DB's "unclip" margin. A first pass at ``Settings.ocr_gate_side``
   says where text may be; only those areas are looked at again at the full working size,
   so a picture without text costs that small pass.
2. *Recognition*: each region is cut out of the bounded upright copy, straightened and read
   by the PP-OCRv6 recogniser of the same wheel (CTC over 18,708 characters: every Latin
   alphabet of the operation with its diacritics, English to Hungarian). It has no Cyrillic:
   a Cyrillic line reads there as nothing, as noise, or as confident Latin look-alikes
   ('Ixa' for 'Їжа', 'Anteka' for 'Аптека'). So Tesseract (``tesserocr``, in process,
   trained data from Debian's packages) reads the line too with ``Settings.ocr_tesseract``
   (default Russian and Ukrainian) when PP-OCR's reading is not confident or is made only
   of the letters Cyrillic glyphs resemble, and the region is long enough to hold a word.
   Only Tesseract's Cyrillic words count; they replace PP-OCR's reading when that one is
   look-alikes and theirs covers the line, or when they are the more confident.

Words below ``Settings.ocr_min_confidence`` or without two letters or digits are dropped
(blobs of bark and foliage read as noise otherwise). Boxes are fractions of the upright
picture, so they lie on the thumbnail as they are. ``search`` holds the text folded (lower
case, no diacritics) for full-text search in either database.

As the ``ocr`` signal it keeps a row only for pictures with text read (or with more regions
than were read): a text-free picture costs one detector pass and leaves nothing. A video is
read on its keyframes (``frames.vision_keyframes``: at most ``Settings.video_vision_keyframes``
of the shots' first frames kept in the vPDQ pass, at most 640 pixels), each keyframe with
text kept with its time.
"""

from __future__ import annotations

import functools
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import onnxruntime as ort

from cumberland.records import Output
from cumberland.settings import Settings
from cumberland.signals import exif, frames, models
from cumberland.signals.base import Consumes, Inputs, Signal
from cumberland.signals.pixels import RGB, bounded, upright_of

_MEAN = 0.5  # PP-OCRv6 detector normalisation: (x / 255 - 0.5) / 0.5
_BIN_THRESHOLD = 0.3  # probability that makes a pixel text
_BOX_THRESHOLD = 0.6  # mean probability a region must reach
# The first pass (bench/ocr.py): a blob is worth more than a glance from this mean
# probability up (text stays above it at every size, a third of the blobs of text-free
# photos fall below), and is taken as it is from this height (first-pass pixels, margin
# included) up: a second look at text that large read no more words and cost twice the
# time, on text-free photos too (their blobs of fur and foliage are large)
_GATE_THRESHOLD = 0.7
_GATE_LARGE = 24
_UNCLIP = 1.6  # DB's margin: a region grows by area * ratio / perimeter on each side
_REC_HEIGHT = 48  # the PP-OCRv6 recogniser's input height
_REC_MAX_WIDTH = 1600  # a longer line is squeezed (its characters stay readable)
_TESS_HEIGHT = 64  # Tesseract reads a region best when its text is ~30 px high
_TESS_AGAIN = 40  # the height of the second look at a line Tesseract was unsure of
_MIN_REGION_SIDE = 4  # regions thinner than this (in the detector's pixels) are noise
_TRUST_PP = 90.0  # a PP-OCR reading this confident is kept without asking Tesseract
# Tesseract is asked only about regions this much longer than high: three Cyrillic letters
# and the unclip margin make at least that, while most of the regions bark, fur and foliage
# light up are squarer (bench/ocr.py: two thirds of its calls on text-free photos saved)
_TESS_ASPECT = 1.4
# Latin letters and digits PP-OCR reads Cyrillic glyphs as (folded: 'í' counts as 'i'): a
# reading made only of these may be a Cyrillic line
_LOOKALIKE = set("ABCDEHIJKMNOPRTUWXYabceghiklmnoprtuwxy03467"
                 "ΑΒΕΗΙΚΜΝΟΡΤΥΧαβγεηικμνοπρτυχω")  # PP-OCR's alphabet has Greek too
# a reading of look-alikes below this confidence is checked with Tesseract: PP-OCR reads
# Cyrillic lines at 70-95, Latin ones at 97-100 (bench/ocr.py)
_TRUST_LOOKALIKE = 97.0
_SPAN = 0.7  # Tesseract's Cyrillic letters, against PP-OCR's letters, to replace its reading
# Tesseract's Cyrillic words are kept from this much below Settings.ocr_min_confidence: it
# gives the words it reads right on photos 40-60 where PP-OCR gives 80-99, and only words of
# three or more Cyrillic letters count (bench/ocr.py: Russian and Ukrainian recall up by a
# third, no more false text on the text-free photos)
_TESS_OFFSET = 20


@dataclass(slots=True)
class Word:
    text: str
    confidence: float  # 0-100, Tesseract's
    box: list[float]  # x, y, w, h as fractions of the picture


@dataclass(slots=True)
class Line:
    text: str
    confidence: float
    quad: list[list[float]]  # four corners, fractions of the picture, clockwise from top left
    words: list[Word] = field(default_factory=list)


@dataclass(slots=True)
class TextFound:
    """What one picture says: its lines, and how the search for them went."""

    lines: list[Line]
    regions: int  # text regions the detector found (before the cap)
    capped: bool  # more regions than Settings.ocr_max_regions: only the strongest were read
    width: int  # the copy boxes are fractions of
    height: int

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def data(self) -> dict[str, Any]:
        """The signal's row: text, its folded form for search, lines with words and boxes."""
        return {
            "text": self.text, "search": fold(self.text), "regions": self.regions,
            "capped": self.capped, "size": [self.width, self.height],
            "lines": [{"text": ln.text, "confidence": round(ln.confidence, 1),
                       "quad": [[round(x, 4), round(y, 4)] for x, y in ln.quad],
                       "words": [{"text": w.text, "confidence": round(w.confidence, 1),
                                  "box": [round(v, 4) for v in w.box]} for w in ln.words]}
                      for ln in self.lines],
        }


def fold(text: str) -> str:
    """Lower case without diacritics, so 'Zürich' finds 'ZURICH' and 'Łódź' finds 'lodz'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("ł", "l").replace("ø", "o").replace("đ", "d").replace("ß", "ss")


@dataclass(frozen=True, slots=True)
class Region:
    """A rotated rectangle of text in the bounded copy's pixels."""

    center: tuple[float, float]
    size: tuple[float, float]  # along the text, across it
    angle: float  # degrees, as cv2.minAreaRect
    score: float

    def corners(self) -> np.ndarray[Any, np.dtype[np.float32]]:
        """Top left, top right, bottom right, bottom left, along the reading direction."""
        pts = cv2.boxPoints((self.center, self.size, self.angle)).astype(np.float32)
        return _reading_order(pts)


def _reading_order(pts: np.ndarray[Any, np.dtype[np.float32]]
                   ) -> np.ndarray[Any, np.dtype[np.float32]]:
    """Order four corners so the first edge is the longer one, going left to right."""
    start = int(np.argmin(pts[:, 0] + pts[:, 1]))
    pts = np.roll(pts, -start, axis=0)
    if np.linalg.norm(pts[1] - pts[0]) < np.linalg.norm(pts[3] - pts[0]):
        pts = pts[[0, 3, 2, 1]]  # the first edge went down: walk the other way round
        if pts[1][0] < pts[0][0]:  # vertical text: read it top to bottom
            pts = np.roll(pts, 1, axis=0)
    return pts


@functools.cache
def _detector() -> ort.InferenceSession:
    return _session(models.TEXT_DETECTOR)


def _probability(rgb: RGB, side: int) -> tuple[np.ndarray[Any, np.dtype[np.float32]],
                                               float, float]:
    """The detector's text probability map of ``rgb`` at ``side`` (longer side, in steps of
    32), and the factors from its pixels back to ``rgb``'s."""
    height, width = rgb.shape[:2]
    scale = min(1.0, side / max(height, width))
    dh, dw = (max(32, round(height * scale / 32) * 32), max(32, round(width * scale / 32) * 32))
    small = cv2.cvtColor(cv2.resize(rgb, (dw, dh), interpolation=cv2.INTER_AREA),
                         cv2.COLOR_RGB2BGR)  # PaddleOCR models take OpenCV's order
    tensor = ((small.astype(np.float32) / 255.0 - _MEAN) / _MEAN).transpose(2, 0, 1)[None]
    session = _detector()
    prob = session.run(None, {session.get_inputs()[0].name: tensor})[0][0, 0]
    return prob, width / dw, height / dh


def detect_regions(rgb: RGB, detect_side: int) -> list[Region]:
    """Text regions of a picture, strongest first, in its own pixel coordinates."""
    return _regions(*_probability(rgb, detect_side))


def _regions(prob: np.ndarray[Any, np.dtype[np.float32]], sx: float, sy: float,
             threshold: float = _BOX_THRESHOLD) -> list[Region]:
    """The blobs of a probability map whose mean reaches ``threshold``, as regions in the
    picture's pixels (``sx``, ``sy``: picture pixels per map pixel)."""
    mask = cv2.dilate((prob > _BIN_THRESHOLD).astype(np.uint8), np.ones((2, 2), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    found: list[Region] = []
    for contour in contours:
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        if min(rw, rh) < _MIN_REGION_SIDE / 2:
            continue
        x, y, bw, bh = cv2.boundingRect(contour)
        blob = np.zeros((bh, bw), np.uint8)
        cv2.fillPoly(blob, [contour - [x, y]], 1)
        score = float(cv2.mean(prob[y:y + bh, x:x + bw], blob)[0])
        if score < threshold:
            continue
        grow = rw * rh * _UNCLIP / (2 * (rw + rh))
        rw, rh = rw + 2 * grow, rh + 2 * grow
        if min(rw, rh) < _MIN_REGION_SIDE:
            continue
        # back to the picture's pixels (the resize may change the aspect a little)
        corners = cv2.boxPoints(((cx, cy), (rw, rh), angle)) * [sx, sy]
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(corners.astype(np.float32))
        long_side, short_side = (rw, rh) if rw >= rh else (rh, rw)
        found.append(Region((cx, cy), (long_side, short_side),
                            angle if rw >= rh else angle - 90.0, score))
    found.sort(key=lambda r: -r.score * r.size[0] * r.size[1])
    return found


def find_regions(rgb: RGB, detect_side: int, gate_side: int) -> list[Region]:
    """``detect_regions`` at ``detect_side``, run only where a first pass at ``gate_side``
    (a quarter of the pixels at half the side) saw small text: a text-free picture costs
    that pass alone; text the first pass already sees large is taken from it as it is."""
    height, width = rgb.shape[:2]
    if gate_side <= 0 or gate_side >= min(detect_side, max(height, width)):
        return detect_regions(rgb, detect_side)
    prob, sx, sy = _probability(rgb, gate_side)
    found: list[Region] = []
    boxes: list[list[int]] = []
    for region in _regions(prob, sx, sy, _GATE_THRESHOLD):
        if region.size[1] >= _GATE_LARGE * sy:
            found.append(region)
            continue
        corners = region.corners()
        pad = region.size[1]  # margin: the line's height
        (x0, y0), (x1, y1) = corners.min(axis=0) - pad, corners.max(axis=0) + pad
        boxes.append([max(0, round(x0)), max(0, round(y0)), min(width, round(x1)),
                      min(height, round(y1))])
    areas = _merged(boxes)
    if sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in areas) > height * width / 2:
        return detect_regions(rgb, detect_side)  # text all over: one pass is cheaper
    scale = min(1.0, detect_side / max(height, width))
    large = [r.corners() for r in found]
    for x0, y0, x1, y1 in areas:
        side = max(32, round(max(x1 - x0, y1 - y0) * scale))
        for r in detect_regions(rgb[y0:y1, x0:x1], side):
            centre = (r.center[0] + x0, r.center[1] + y0)
            if not any(cv2.pointPolygonTest(quad, centre, False) >= 0 for quad in large):
                found.append(Region(centre, r.size, r.angle, r.score))  # not read twice
    found.sort(key=lambda r: -r.score * r.size[0] * r.size[1])
    return found


def _merged(boxes: list[list[int]]) -> list[list[int]]:
    """Overlapping boxes (x0, y0, x1, y1) joined until none overlap."""
    out: list[list[int]] = []
    for box in boxes:
        while True:
            other = next((o for o in out if box[0] < o[2] and o[0] < box[2]
                          and box[1] < o[3] and o[1] < box[3]), None)
            if other is None:
                break
            out.remove(other)
            box = [min(box[0], other[0]), min(box[1], other[1]), max(box[2], other[2]),
                   max(box[3], other[3])]
        out.append(box)
    return out


def _session(model: models.Model) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1  # one item per worker process: cores go to workers
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(str(models.verified(model)), options,
                                providers=["CPUExecutionProvider"])


@functools.cache
def _recogniser() -> tuple[ort.InferenceSession, list[str]]:
    session = _session(models.TEXT_RECOGNISER)
    characters = session.get_modelmeta().custom_metadata_map["character"].split("\n")
    return session, ["", *characters, " "]  # CTC blank first, space last (PaddleOCR's order)


@dataclass(slots=True)
class _Reading:
    """One line read: its words with confidences (0-100) and spans along the line (0-1)."""

    words: list[tuple[str, float, float, float]]

    @property
    def confidence(self) -> float:
        return float(np.mean([w[1] for w in self.words])) if self.words else 0.0


def _read_pp(line: RGB) -> _Reading:
    """PP-OCRv6 recognition of one straightened line (greedy CTC)."""
    session, charset = _recogniser()
    height = _REC_HEIGHT
    width = min(_REC_MAX_WIDTH, max(height, round(line.shape[1] * height / line.shape[0])))
    resized = cv2.resize(cv2.cvtColor(line, cv2.COLOR_RGB2BGR), (width, height))
    tensor = ((resized.astype(np.float32) / 255.0 - _MEAN) / _MEAN).transpose(2, 0, 1)[None]
    probs = session.run(None, {session.get_inputs()[0].name: tensor})[0][0]
    best, conf = probs.argmax(axis=1), probs.max(axis=1)
    steps = len(best)
    words: list[tuple[str, float, float, float]] = []
    chars: list[tuple[str, float, int]] = []
    previous = 0

    def close() -> None:
        if chars:
            text = "".join(c for c, _, _ in chars)
            words.append((text, 100.0 * float(np.mean([p for _, p, _ in chars])),
                          chars[0][2] / steps, (chars[-1][2] + 1) / steps))
            chars.clear()

    for t, (index, p) in enumerate(zip(best.tolist(), conf.tolist(), strict=True)):
        if index != previous and index != 0:
            char = charset[index] if index < len(charset) else ""
            if char == " ":
                close()
            elif char:
                chars.append((char, p, t))
        previous = index
    close()
    return _Reading(words)


class _Tesseract:
    """One Tesseract engine per process and language list (the API is not thread-safe).

    Lines are read raw (page segmentation mode 13): Tesseract's layout analysis finds
    nothing in a crop that the text fills from edge to edge."""

    def __init__(self, spec: str) -> None:
        import tesserocr

        self._ril = tesserocr.RIL.WORD
        for language in models.languages(spec):
            models.verified(models.tessdata(language))
        self.api = tesserocr.PyTessBaseAPI(
            path=str(models.TESSDATA) + "/", lang=spec, psm=tesserocr.PSM.RAW_LINE,
            oem=tesserocr.OEM.LSTM_ONLY)
        self.lock = threading.Lock()

    def read(self, line: RGB, height: int = _TESS_HEIGHT) -> _Reading:
        """The line read at ``height`` pixels high."""
        from PIL import Image

        grey = cv2.cvtColor(line, cv2.COLOR_RGB2GRAY)
        scale = height / grey.shape[0]
        grey = cv2.resize(grey, (max(8, round(grey.shape[1] * scale)), height),
                          interpolation=cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA)
        words: list[tuple[str, float, float, float]] = []
        with self.lock:
            self.api.SetImage(Image.fromarray(grey))
            self.api.Recognize()
            iterator = self.api.GetIterator()
            while iterator is not None:
                try:
                    text = iterator.GetUTF8Text(self._ril)
                except RuntimeError:  # "No text returned": an empty line
                    break
                box = iterator.BoundingBox(self._ril)
                if text and text.strip() and box:
                    words.append((text.strip(), float(iterator.Confidence(self._ril)),
                                  box[0] / grey.shape[1], box[2] / grey.shape[1]))
                if not iterator.Next(self._ril):
                    break
        return _Reading(words)


@functools.cache
def _tesseract(spec: str) -> _Tesseract:
    return _Tesseract(spec)


def _straighten(rgb: RGB, corners: np.ndarray[Any, np.dtype[np.float32]]
                ) -> tuple[RGB, np.ndarray[Any, np.dtype[np.float64]]]:
    """The region cut out level at ``_REC_HEIGHT`` pixels high; and the transform from its
    pixels back to the picture's."""
    along = float(np.linalg.norm(corners[1] - corners[0]))
    across = float(np.linalg.norm(corners[3] - corners[0]))
    out_h = _REC_HEIGHT
    out_w = max(8, round(along * out_h / max(across, 1.0)))
    target = np.array([[0, 0], [out_w, 0], [out_w, out_h], [0, out_h]], np.float32)
    warp = cv2.getPerspectiveTransform(corners, target)
    line = np.asarray(cv2.warpPerspective(rgb, warp, (out_w, out_h), flags=cv2.INTER_CUBIC,
                                          borderMode=cv2.BORDER_REPLICATE), np.uint8)
    return line, np.asarray(np.linalg.inv(warp), np.float64)


def _trim(word: str) -> str:
    """Without the punctuation a plate's edge reads as ('[Hotel', 'Skola.')."""
    start, end = 0, len(word)
    while start < end and not word[start].isalnum():
        start += 1
    while end > start and not word[end - 1].isalnum():
        end -= 1
    return word[start:end]


def _cyrillic(reading: _Reading) -> _Reading:
    """Only the words Tesseract read in Cyrillic letters (three or more, none Latin).

    Tesseract is asked for what PP-OCR cannot read; a Latin line it is handed (one PP-OCR
    was unsure of) comes back as Cyrillic look-alikes ('Вадегі' for 'Bageri') or, from
    bark and fur, as short strings, often with a confidence above the floor: measured on
    bench/ocr.py, those were most of its words."""
    def cyrillic(word: str) -> bool:
        letters = [c for c in _trim(word) if c.isalpha()]
        return len(letters) >= 3 and all("CYRILLIC" in unicodedata.name(c, "")
                                         for c in letters)

    return _Reading([w for w in reading.words if cyrillic(w[0])])


def _read_cyrillic(line: RGB, spec: str, floor: float, again: bool) -> _Reading:
    """Tesseract's Cyrillic words of a line: those read from confidence ``floor`` up, and,
    when ``again``, the less confident ones that a second reading at another scale gives
    alike.

    On photos Tesseract is unsure of many words it reads right (confidences of 0-40 for
    clean-looking lines), and its reading of noise changes with the scale while a real word
    stays: on bench/ocr.py the second look read 5 more Russian and Ukrainian words in 100 and
    no false word on the text-free photos. It is taken only for lines with such a word whose
    PP-OCR reading is look-alikes (elsewhere a word that unsure could not replace PP-OCR's
    reading: Latin lines PP-OCR was unsure of are read once, as before)."""
    engine = _tesseract(spec)
    first = _cyrillic(engine.read(line))
    if not again:
        return _Reading([w for w in first.words if w[1] >= floor])
    if all(w[1] >= floor for w in first.words):
        return first
    second = {_trim(w[0]).casefold(): w[1]
              for w in _cyrillic(engine.read(line, _TESS_AGAIN)).words}
    return _Reading([(text, max(confidence, second.get(_trim(text).casefold(), 0.0)), start, end)
                     for text, confidence, start, end in first.words
                     if confidence >= floor or _trim(text).casefold() in second])


def _lookalike(reading: _Reading) -> bool:
    """Whether PP-OCR's reading could be a Cyrillic line read in its Latin alphabet: only
    letters and digits Cyrillic glyphs resemble ('Ixa' for 'Їжа', 'Mara3' for 'Магазин', 'K'
    for 'Київ', read at confidences of 75-96 on bench/ocr.py), or nothing at all."""
    return all(c in _LOOKALIKE for w in reading.words for c in fold(w[0]) if c.isalnum())


def _prefer(tess: _Reading, pp: _Reading, lookalike: bool) -> bool:
    """Whether Tesseract's Cyrillic words replace PP-OCR's reading of a line.

    They do when PP-OCR's reading is only Cyrillic look-alikes and Tesseract's covers the
    line as well (as many letters, nearly: a Latin word made of look-alikes, 'Butikk', comes
    back from Tesseract as a shorter Cyrillic string), or when Tesseract is the more
    confident."""
    if not tess.words:
        return False
    if lookalike:
        letters = sum(c.isalpha() for w in tess.words for c in w[0])
        if letters >= _SPAN * sum(c.isalnum() for w in pp.words for c in w[0]):
            return True
    return tess.confidence > pp.confidence


def _useful(word: str, confidence: float, minimum: float) -> bool:
    letters = sum(c.isalnum() for c in word)
    return confidence >= minimum and letters >= 2 and letters * 2 >= len(word)


def read_text(rgb: RGB, settings: Settings) -> TextFound:
    """The text of a picture (upright RGB pixels): detection first, then each region read.

    The picture is bounded to ``Settings.ocr_max_side`` first; at most
    ``Settings.ocr_max_regions`` regions are read (the strongest), ``capped`` says when more
    were found."""
    copy, _ = bounded(rgb, settings.ocr_max_side)
    height, width = copy.shape[:2]
    regions = find_regions(copy, settings.ocr_detect_side, settings.ocr_gate_side)
    kept = regions[:settings.ocr_max_regions]
    lines = [line for region in kept
             if (line := _read_region(copy, region, settings)) is not None]
    lines.sort(key=lambda ln: (round(ln.quad[0][1] * 40), ln.quad[0][0]))  # reading order
    return TextFound(lines, len(regions), len(regions) > len(kept), width, height)


def _read_region(copy: RGB, region: Region, settings: Settings) -> Line | None:
    height, width = copy.shape[:2]
    corners = region.corners()
    line_px, back = _straighten(copy, corners)
    reading = _read_pp(line_px)
    floor = float(settings.ocr_min_confidence)
    lookalike = reading.confidence < _TRUST_LOOKALIKE and _lookalike(reading)
    if settings.ocr_tesseract and (reading.confidence < _TRUST_PP or lookalike) \
            and region.size[0] >= _TESS_ASPECT * region.size[1]:
        other = _read_cyrillic(line_px, settings.ocr_tesseract, floor - _TESS_OFFSET, lookalike)
        if _prefer(other, reading, lookalike):
            reading, floor = other, 0.0  # its words were weighed by _read_cyrillic
    line_w = line_px.shape[1]
    words: list[Word] = []
    for raw, confidence, start, end in reading.words:
        text = _trim(raw)
        if not _useful(text, confidence, floor):
            continue
        x1, x2 = start * line_w, end * line_w
        pts = cv2.perspectiveTransform(np.array(
            [[[x1, 0], [x2, 0], [x2, _REC_HEIGHT], [x1, _REC_HEIGHT]]], np.float64), back)[0]
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        words.append(Word(text, confidence, [
            max(0.0, lo[0] / width), max(0.0, lo[1] / height),
            min(1.0, (hi[0] - lo[0]) / width), min(1.0, (hi[1] - lo[1]) / height)]))
    if not words:
        return None
    quad = [[float(x) / width, float(y) / height] for x, y in corners]
    return Line(" ".join(w.text for w in words),
                sum(w.confidence for w in words) / len(words), quad, words)


def _sample(text: str) -> str:
    sample = " | ".join(text.splitlines())
    return f"{sample[:120]}{'...' if len(sample) > 120 else ''}"


def _picture(inputs: Inputs) -> Output | None:
    found = read_text(upright_of(inputs), inputs.settings)
    if not found.lines and not found.capped:
        return None
    reasons = []
    if found.lines:
        reasons.append(f"text read ({len(found.lines)} line(s)): {_sample(found.text)}")
    if found.capped:
        reasons.append(f"{found.regions} text regions found: the strongest "
                       f"{inputs.settings.ocr_max_regions} were read")
    return Output(data=found.data(), reasons=reasons, value=found)


def _video(inputs: Inputs) -> Output | None:
    """A video's keyframes read like pictures; the row holds each keyframe with text (its
    time ``t`` in seconds) and all their text together for search."""
    keys, total = frames.vision_keyframes(inputs)
    read = [(t, read_text(rgb, inputs.settings)) for t, rgb in keys]
    kept = [(t, found) for t, found in read if found.lines or found.capped]
    if not kept:
        return None
    text = "\n".join(found.text for _, found in kept if found.text)
    entries = []
    for t, found in kept:
        entry = found.data()
        del entry["search"]
        entries.append({"t": round(t, 3), **entry})
    capped = any(found.capped for _, found in kept)
    reasons = [f"text read on {sum(1 for _, f in kept if f.lines)} of {len(keys)} keyframe(s) "
               f"(at {', '.join(f'{t:.1f} s' for t, f in kept if f.lines)}): {_sample(text)}"]
    if capped:
        reasons.append(f"a keyframe had more than {inputs.settings.ocr_max_regions} text "
                       "regions: the strongest were read")
    reasons += frames.keyframe_note(len(keys), total)
    return Output(data={"text": text, "search": fold(text),
                        "regions": sum(f.regions for _, f in kept), "capped": capped,
                        "keyframes": len(keys), "keyframes_total": total, "frames": entries},
                  reasons=reasons)


def _compute(inputs: Inputs) -> Output | None:
    return _video(inputs) if inputs.kind == "video" else _picture(inputs)


def _check(settings: Settings) -> None:
    models.check(models.ocr_models(settings.ocr_tesseract))


SIGNAL = Signal.define(
    "ocr", 2, ["image", "video"], [Consumes.PIXELS, Consumes.FRAMES, Consumes.SIGNALS], _compute,
    "text in the picture or the video's keyframes (PP-OCRv6 regions, then PP-OCRv6 + "
    "Tesseract), with boxes",
    needs=[exif.SIGNAL.name], check=_check)
