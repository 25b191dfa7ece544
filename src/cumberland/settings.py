"""Thresholds and limits in one place, so a run records exactly what it used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class PriorityWeights:
    """Points that move a media within its tier of the review queue (unknown, then matched,
    then known-good: never crossed). Bonuses bring it forward, penalties back; the defaults
    are documented in docs/artefacts.md and tested (tests/artefacts/test_priority.py).

    Thumbnails from a thumbnail cache are never ranked as icons or system files: they stand
    for pictures the user had, which may be gone."""

    series: int = 400  # in a series of unknown camera-original material (analysis/series.py)
    known_victim: int = 250  # a face matches a victims' face library (analysis/face_library.py)
    known_offender: int = 140  # a face matches an offenders' face library
    camera: int = 30  # camera EXIF (make, model or maker notes) or camera provenance
    origin_folder: int = 25  # in a camera roll or a messaging app's media
    user_folder: int = 15  # pictures, desktop and documents, downloads, screenshots, cloud sync
    full_size: int = 20  # longer side at least full_size_px
    deleted: int = 15  # deleted or recovered, in a recycle bin, or held by a thumbnail cache
    ai_weak: int = 10  # penalties by the provenance level (signals/provenance/model.py)
    ai_strong: int = 20
    ai_declared: int = 30
    system_folder: int = 30  # every copy in system or program folders
    icon: int = 60  # tiny (longer side at most icon_max_px) with alpha or in such a folder
    full_size_px: int = 1024
    icon_max_px: int = 128


@dataclass(frozen=True, slots=True)
class Settings:
    """Knobs of a triage run. Defaults follow ../shared/docs/formats.md (PDQ d<=31, q>=50)."""

    pdq_max_distance: int = 31
    pdq_min_quality: int = 50
    thumb_size: int = 256
    # JPEG DCT-domain downscaling before PDQ: decode at 1/2, 1/4 or 1/8 scale as long as the
    # shorter side stays at least this many pixels. 0 turns it off (full-resolution decode).
    pdq_draft_min_side: int = 512
    # Files up to this size are read once into memory and decoded from there; larger ones are
    # hashed by streaming and decoded from the file (only media kinds that need decoding).
    in_memory_limit: int = 64 * 1024 * 1024
    # Images declaring more pixels than this are not decoded (decompression bombs).
    max_image_pixels: int = 180_000_000
    # Pixels actually decoded, which bounds a worker's memory (~30 bytes a pixel through
    # hashing): JPEGs are reduced while decoding (pdq_draft_min_side) and fit; PNG, TIFF,
    # WebP, HEIC... decode at full size and above this are ``skipped (limit: ...)``.
    max_decode_pixels: int = 50_000_000
    # Items handed to a worker at once: at most chunk_size, and no more files than add up to
    # chunk_bytes (tiny files go 256 at a time, which halves the per-chunk overhead; large
    # ones a few at a time, which keeps workers evenly loaded and checkpoints frequent).
    chunk_size: int = 256
    chunk_bytes: int = 16 * 1024 * 1024
    # Results written per transaction (each transaction is a checkpoint of finished items).
    write_batch: int = 256
    # Archives (zip, tar, tar.gz and other stream-only ones) with at least this many members
    # fan out: each member becomes a pending item that any worker fingerprints (disk images
    # always fan out). Smaller ones are read in one go by the worker that opened them.
    fanout_members: int = 256
    # Containers (archives, disk images) nested deeper than this are recorded, not opened.
    max_depth: int = 8
    # Per outermost archive: bytes expanded, expanded/compressed ratio (checked once past
    # 16 MiB) and entries; hitting one records the archive as ``skipped (limit: ...)``.
    archive_max_bytes: int = 32 * 1024**3
    archive_max_ratio: int = 1000
    archive_max_entries: int = 1_000_000
    # Video: one frame hashed per int(seconds * fps) decoded frames (vPDQ samples at 1 fps,
    # exactly as Meta's vpdq-hash-video: signals/video.py). With a prune distance, frames
    # within that many bits of the last kept one are dropped as near-identical (the optional
    # step of vPDQ's README); None keeps every sampled frame, as the reference tool does.
    video_frame_interval_ms: int = 1000
    video_prune_distance: int | None = None
    # A known video matches when this share of its unique good-quality frames has a frame
    # within pdq_max_distance in the seized video (vPDQ's rule; quality >= pdq_min_quality).
    video_match_percent: int = 80
    # Time budget of one item (a file, an archive member, a file in a disk image), from when
    # its reading starts: item_time_limit seconds plus item_time_per_gib per GiB of it. Past
    # it the worker (stuck, perhaps in a native library) is killed and replaced and the item
    # recorded as ``error (time limit: ...)``. 0: no limit.
    item_time_limit: float = 3600.0
    item_time_per_gib: float = 600.0
    workers: int = 0  # 0: one per CPU core
    # Where members that must be decoded but are too large for memory and cannot be re-read
    # (an archive member) are spooled: a run's private folder, set by triage (inside the
    # workspace unless the examiner names one). A member larger than spool_max_bytes is
    # hashed but not decoded: ``skipped (limit: spool_max_bytes ...)``.
    spool_dir: str | None = None
    spool_max_bytes: int = 8 * 1024**3
    # C2PA trust anchors (PEM); without them every valid signature reads "untrusted signer".
    trust_anchors: str | None = None
    # File of keys for encrypted volumes (BitLocker recovery passwords or passwords, LUKS
    # passphrases), one a line. Only its path is recorded with the run, never the keys.
    volume_keys: str | None = None
    # Folder of ONNX plug-ins (model + manifest): agency-supplied detectors and classifiers.
    plugins_dir: str | None = None
    # An agency's own catalogue of path rules (TOML), added to the built-in one
    # (sources/artefacts/catalogue.toml; docs/artefacts.md).
    catalogue: str | None = None
    # How the review queue orders media within a tier (analysis/priority.py).
    priority: PriorityWeights = field(default_factory=PriorityWeights)
    # Text in pictures (signals/ocr.py): Tesseract languages or scripts ('+'-separated)
    # read beside the PP-OCRv6 recogniser, whose alphabet is Latin only (Russian and
    # Ukrainian with their dictionaries: twice the words of the Cyrillic script model on
    # bench/ocr.py; "" reads Latin script only, faster); the
    # detector's working size (longer side) and that of its first pass, which says where to
    # look (0: one pass over the whole picture); the bounded copy lines are read from; regions
    # read at most (the strongest: a picture of foliage can light up hundreds); words kept
    # from this confidence (0-100) up (Tesseract's Cyrillic words from 20 below it).
    ocr_tesseract: str = "rus+ukr"
    ocr_detect_side: int = 640
    ocr_gate_side: int = 320
    ocr_max_side: int = 1600
    ocr_max_regions: int = 64
    ocr_min_confidence: int = 60
    # Faces (signals/faces.py): the bounded copy faces are found on (longer side), faces
    # kept at most (the largest), the smallest face kept (shorter side of its box, in the
    # copy's pixels) and the detector's score from which a face counts.
    faces_max_side: int = 1280
    faces_max: int = 64
    face_min_size: int = 24
    face_min_score: float = 0.7
    # Face libraries (analysis/face_library.py): a case face within this dlib distance of
    # a known face is recorded as a match (stricter than dlib's one-to-one 0.6: a library
    # search compares each face with every known face).
    face_library_distance: float = 0.5
    # OCR and faces on a video look at most this many of its keyframes (signals/frames.py:
    # the first frame of each shot, decoded in the vPDQ pass), spread over the video.
    video_vision_keyframes: int = 4

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
