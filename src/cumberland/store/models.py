"""Tables of a workspace.

Content is stored once as ``media`` (keyed by SHA-256) while every place it was found is an
``item`` of a case, so a picture seen on ten devices is one media and ten items. Matches
belong to media (a hash set says the same of identical bytes in every case).
"""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite's INTEGER PRIMARY KEY is the rowid only when the type is exactly INTEGER.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, bytes: LargeBinary}


class Case(Base):
    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[float] = mapped_column(Float)


class Source(Base):
    """One SOURCE argument of a triage run (a folder, an image file, an archive)."""

    __tablename__ = "sources"
    __table_args__ = (UniqueConstraint("case_id", "uri"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    uri: Mapped[str] = mapped_column(Text)
    raw_path: Mapped[bytes] = mapped_column(LargeBinary)
    kind: Mapped[str] = mapped_column(String(32))
    added_at: Mapped[float] = mapped_column(Float)
    enumerated: Mapped[bool] = mapped_column(Boolean, default=False)


class Item(Base):
    """Every file a source sees, exactly once, with its status and reason."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("case_id", "path_key"),
        Index("ix_items_case_status", "case_id", "status"),
        Index("ix_items_media", "media_sha256"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("items.id", ondelete="CASCADE"), nullable=True
    )
    # The path chain, display form: "laptop.E01 › p2 (NTFS) › /Users/a/pics.7z › img.jpg".
    path: Mapped[str] = mapped_column(Text)
    path_key: Mapped[bytes] = mapped_column(LargeBinary(20))
    chain: Mapped[list[str]] = mapped_column(JSON)
    # Exact bytes of the file-system path, to reopen names that are not valid UTF-8.
    raw_path: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # Where the bytes of an item inside a container are (sources/locator.py, stored form):
    # file → image → volume → inode → archive member ... NULL for files found on the file
    # system, whose locator is their raw_path.
    locator: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, nullable=True)
    size: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    status: Mapped[str] = mapped_column(String(16))  # pending|done|skipped|error|encrypted
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    media_sha256: Mapped[bytes | None] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256"), nullable=True
    )
    mime: Mapped[str | None] = mapped_column(String(100), nullable=True)
    ext_mismatch: Mapped[bool] = mapped_column(Boolean, default=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[float | None] = mapped_column(Float, nullable=True)
    modified: Mapped[float | None] = mapped_column(Float, nullable=True)
    accessed: Mapped[float | None] = mapped_column(Float, nullable=True)
    changed: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Artefact categories from where it was found (sources/artefacts/catalogue.py), sorted
    # and comma-separated: "camera-roll,cloud-sync". NULL: none.
    artefacts: Mapped[str | None] = mapped_column(Text, nullable=True)
    # What a recycle bin recorded of it ($I, INFO2, .trashinfo; analysis/deleted.py).
    original_path: Mapped[str | None] = mapped_column(Text, nullable=True)
    deleted_at: Mapped[float | None] = mapped_column(Float, nullable=True)


class Media(Base):
    """Unique content. Perceptual and metadata facts live here, computed once."""

    __tablename__ = "media"
    sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    md5: Mapped[bytes] = mapped_column(LargeBinary(16), index=True)
    sha1: Mapped[bytes] = mapped_column(LargeBinary(20), index=True)
    size: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))
    mime: Mapped[str] = mapped_column(String(100))
    width: Mapped[int | None] = mapped_column(Integer, nullable=True)
    height: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pdq: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    has_thumb: Mapped[bool] = mapped_column(Boolean, default=False)
    ai_level: Mapped[str | None] = mapped_column(String(20), nullable=True)
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # name -> version of every signal computed for this media (NULL: none)
    signal_versions: Mapped[dict[str, Any] | None] = mapped_column(
        JSON(none_as_null=True), nullable=True)


class SignalRecord(Base):
    """A signal's output for one media, with the signal's version so stale ones can be redone."""

    __tablename__ = "signals"
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class MediaFrame(Base):
    """A video's sampled frame hashes (vPDQ): frame number, seconds, PDQ and quality."""

    __tablename__ = "media_frames"
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True
    )
    idx: Mapped[int] = mapped_column(Integer, primary_key=True)
    ts: Mapped[float] = mapped_column(Float)
    pdq: Mapped[bytes] = mapped_column(LargeBinary(32))
    quality: Mapped[int] = mapped_column(Integer)


class HashSet(Base):
    __tablename__ = "hashsets"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    purpose: Mapped[str] = mapped_column(String(16))  # alert | ignore
    format: Mapped[str] = mapped_column(String(32))
    version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    category_scheme: Mapped[str | None] = mapped_column(String(64), nullable=True)
    source_path: Mapped[str] = mapped_column(Text)
    file_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    file_size: Mapped[int] = mapped_column(BigInteger)
    entry_count: Mapped[int] = mapped_column(BigInteger, default=0)
    skipped_count: Mapped[int] = mapped_column(BigInteger, default=0)
    imported_at: Mapped[float] = mapped_column(Float)
    properties: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class HashEntry(Base):
    __tablename__ = "hash_entries"
    __table_args__ = (
        # Digest lookups go through index/exact.py (memory-mapped, 100 M entries); B-tree
        # indexes on random digests here only slowed imports ~10x.
        Index("ix_hash_entries_set", "hashset_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    hashset_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id", ondelete="CASCADE"))
    md5: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    sha1: Mapped[bytes | None] = mapped_column(LargeBinary(20), nullable=True)
    sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    pdq: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    pdq_quality: Mapped[int | None] = mapped_column(Integer, nullable=True)
    photodna: Mapped[str | None] = mapped_column(Text, nullable=True)
    category: Mapped[int | None] = mapped_column(Integer, nullable=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)


class Match(Base):
    """A media found in a hash set, with the method that found it and its evidence.

    ``entry_id`` is NULL for index-only sets, which keep no entry rows (one match per set)."""

    __tablename__ = "matches"
    __table_args__ = (
        UniqueConstraint("media_sha256", "hashset_id", "entry_id", "method"),
        Index("ix_matches_set", "hashset_id"),
        Index("ux_matches_set_only", "media_sha256", "hashset_id", unique=True,
              sqlite_where=text("entry_id IS NULL"), postgresql_where=text("entry_id IS NULL")),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE")
    )
    hashset_id: Mapped[int] = mapped_column(ForeignKey("hashsets.id", ondelete="CASCADE"))
    entry_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("hash_entries.id", ondelete="CASCADE"), nullable=True
    )
    method: Mapped[str] = mapped_column(String(32))
    distance: Mapped[int | None] = mapped_column(Integer, nullable=True)
    category: Mapped[int | None] = mapped_column(Integer, nullable=True)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Run(Base):
    """One triage invocation: what was asked, with which settings, and how it ended."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    status: Mapped[str] = mapped_column(String(16))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON)
    arguments: Mapped[dict[str, Any]] = mapped_column(JSON)


# --- review workbench: accounts, sessions, decisions, review queue, audit chain -------------


class User(Base):
    """A person who may log in to the web app; the password is an argon2 hash."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin|investigator|reviewer|auditor
    password_hash: Mapped[str] = mapped_column(Text)
    created_at: Mapped[float] = mapped_column(Float)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)


class CaseMember(Base):
    """Who may see a case: everything of a case is invisible (404) to everyone else."""

    __tablename__ = "case_members"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


class WebSession(Base):
    """A login; ``id`` is the SHA-256 of the cookie token, so a leaked table logs nobody in."""

    __tablename__ = "web_sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[float] = mapped_column(Float)
    last_seen: Mapped[float] = mapped_column(Float)
    show_all: Mapped[bool] = mapped_column(Boolean, default=False)


class Reveal(Base):
    """A media a session asked to see sharp (the request itself is in the audit log)."""

    __tablename__ = "reveals"
    session_id: Mapped[str] = mapped_column(
        ForeignKey("web_sessions.id", ondelete="CASCADE"), primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    revealed_at: Mapped[float] = mapped_column(Float, default=0.0)  # a reveal lasts a set time


class Decision(Base):
    """The current reviewer categorisation of a media within a case, with its scheme."""

    __tablename__ = "decisions"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(64))
    category: Mapped[int] = mapped_column(Integer)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[float] = mapped_column(Float)


class ReviewEntry(Base):
    """One tile of a case's review grid: a media, its priority and the facts filters need.

    Materialised so that a page is an index range scan (keyset on priority, sha256) instead of
    a sort of the whole case.
    """

    __tablename__ = "review_queue"
    __table_args__ = (Index("ix_review_queue_order", "case_id", "priority", "media_sha256"),
                      Index("ix_review_queue_path", "case_id", "path_sort", "media_sha256"),
                      Index("ix_review_queue_size", "case_id", "size", "media_sha256"),
                      Index("ix_review_queue_taken", "case_id", "taken", "media_sha256"))
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    priority: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    matched: Mapped[bool] = mapped_column(Boolean)
    known_good: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[int | None] = mapped_column(Integer, nullable=True)
    item_id: Mapped[int] = mapped_column(BigId)
    n_items: Mapped[int] = mapped_column(Integer)
    # Sort keys, so every order pages by keyset on an index: the first item's path (its first
    # 300 characters), the size, and the EXIF capture time as "YYYY:MM:DD HH:MM:SS" ("~" when
    # unknown: it sorts after every date).
    path_sort: Mapped[str] = mapped_column(String(300), default="")
    size: Mapped[int] = mapped_column(BigInteger, default=0)
    taken: Mapped[str] = mapped_column(String(19), default="~")
    # Why it sits where it does: the codes of analysis/priority.py, comma-separated.
    reasons: Mapped[str] = mapped_column(String(200), default="", server_default="")


class Assignment(Base):
    """A media of a case given to a reviewer (by folder, source or count); a media given to
    two reviewers is reviewed twice, which is where second opinions come from."""

    __tablename__ = "assignments"
    __table_args__ = (Index("ix_assignments_user", "case_id", "user_id"),)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    assigned_by: Mapped[str] = mapped_column(String(200))
    assigned_at: Mapped[float] = mapped_column(Float)


class Opinion(Base):
    """Each reviewer's own categorisation of a media (the decision is the latest of them);
    two that differ put the media in the second-opinion queue until a ``final`` one (an
    investigator's) is newer than both."""

    __tablename__ = "opinions"
    __table_args__ = (Index("ix_opinions_user", "case_id", "user_id", "decided_at"),)
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    scheme: Mapped[str] = mapped_column(String(64))
    category: Mapped[int] = mapped_column(Integer)
    decided_at: Mapped[float] = mapped_column(Float)
    final: Mapped[bool] = mapped_column(Boolean, default=False)


class ReviewState(Base):
    """When a case's review queue was built, and from which state of its runs."""

    __tablename__ = "review_state"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    stamp: Mapped[str] = mapped_column(Text)
    refreshed_at: Mapped[float] = mapped_column(Float)
    total: Mapped[int] = mapped_column(Integer, default=0)  # tiles, for progress counters


class AuditEntry(Base):
    """Append-only, hash-chained record of logins, reveals, decisions and exports.

    ``row_hash`` = sha256(prev_hash + canonical JSON of the other fields); the unique
    ``prev_hash`` means the chain cannot fork even when two writers race.
    """

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_action_at", "action", "at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    target: Mapped[str | None] = mapped_column(Text, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    row_hash: Mapped[str] = mapped_column(String(64))


class LibraryImage(Base):
    """An image of a reference library (a hash set of format ``library``) and its keypoints."""

    __tablename__ = "library_images"
    entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("hash_entries.id", ondelete="CASCADE"), primary_key=True)
    hashset_id: Mapped[int] = mapped_column(
        ForeignKey("hashsets.id", ondelete="CASCADE"), index=True)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    features: Mapped[str | None] = mapped_column(Text, nullable=True)  # npz, workspace-relative


class LibraryHash(Base):
    """Extra PDQ hashes of a library image: central and corner regions (crop-robust)."""

    __tablename__ = "library_hashes"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("hash_entries.id", ondelete="CASCADE"), index=True)
    hashset_id: Mapped[int] = mapped_column(
        ForeignKey("hashsets.id", ondelete="CASCADE"), index=True)
    region: Mapped[bool] = mapped_column(Boolean)
    pdq: Mapped[bytes] = mapped_column(LargeBinary(32))
    quality: Mapped[int] = mapped_column(Integer)


class Stack(Base):
    """Duplicate stacks of a case: media showing the same picture share a stack number."""

    __tablename__ = "stacks"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True)
    stack: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(32))


class Series(Base):
    """A candidate series of a case (analysis/series.py): its links and reasons in ``data``,
    as report.json shows them; ``prime``: unknown camera-original material, reviewed first."""

    __tablename__ = "series"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    prime: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class SeriesMember(Base):
    """Which series of its case a media is in (at most one: series are components)."""

    __tablename__ = "series_members"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True)
    number: Mapped[int] = mapped_column(Integer)



class SeriesLabel(Base):
    """A reviewer's word on one media of a case's series (analysis/series_review.py): the
    series it belongs to (a name, or ``#<sha256>`` for an unnamed reviewer's group) and
    whether a reviewer confirmed that series. Labelled media are grouped by their label at
    every rebuild of the series; only the others are linked again."""

    __tablename__ = "series_labels"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(200))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(200))

class SceneElsewhere(Base):
    """The other cases of the workspace in which a media of a case is seen (the same
    picture, or its scene verified in one of their media: analysis/series.elsewhere), for
    every media so seen, in a series or not; names only, none of their media."""

    __tablename__ = "scene_elsewhere"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True)
    cases: Mapped[list[str]] = mapped_column(JSON)

# --- deconfliction (intel/deconflict): case settings, trusted agencies, exchanges, access ------


class DeconflictCase(Base):
    """A case's deconfliction settings: approved for requests (by whom), the reference released
    to another agency on a hit, and the owner named to other teams of the organisation."""

    __tablename__ = "deconflict_cases"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    approved_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    reference: Mapped[str | None] = mapped_column(Text, nullable=True)
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)


class DeconflictPeer(Base):
    """An agency whose Ed25519 key this workspace trusts to sign requests and responses."""

    __tablename__ = "deconflict_peers"
    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    agency: Mapped[str] = mapped_column(String(200), unique=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    added_at: Mapped[float] = mapped_column(Float)


class DeconflictExchange(Base):
    """One exchange as this workspace saw it: a request it made (with the secret needed to
    finish it, wiped at finish) or a request it answered (kept to refuse replays)."""

    __tablename__ = "deconflict_exchanges"
    exchange_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    role: Mapped[str] = mapped_column(String(16), primary_key=True)  # request | response
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), nullable=True)
    peer: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    request_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class AccessRequest(Base):
    """A user asking the owner of a case they are not a member of for access, because a media
    of their own case is also there (they were shown the fact and the owner, not the case)."""

    __tablename__ = "access_requests"
    __table_args__ = (UniqueConstraint("case_id", "user_id", "media_sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    from_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    requested_at: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))  # open | granted | declined


class FaceLabel(Base):
    """A reviewer's word on one face of a case (analysis/persons.py): the person it is
    (a name, or ``#<face>`` for one split off alone) and whether that was confirmed. Faces
    with a label are grouped by it; the others are clustered."""

    __tablename__ = "face_labels"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    face: Mapped[str] = mapped_column(String(80), primary_key=True)  # <sha256 hex>:<n>
    person: Mapped[str] = mapped_column(String(200))
    confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    actor: Mapped[str] = mapped_column(String(200))


class FaceLibrary(Base):
    """An agency's gallery of known faces (victims, offenders): library data, not evidence
    (analysis/face_library.py). Only each face's label, embedding and where it came from are
    kept, never the gallery's pictures."""

    __tablename__ = "face_libraries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    source: Mapped[str] = mapped_column(Text)  # the folder or CSV it was loaded from
    model: Mapped[str] = mapped_column(String(80))  # the embedding model (signals/models.py)
    # whose faces: victims, offenders or unspecified (a match with a victim's or an
    # offender's face moves the review queue: analysis/priority.py)
    kind: Mapped[str] = mapped_column(String(20), default="unspecified",
                                      server_default="unspecified")
    created_at: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[float] = mapped_column(Float)


class FaceLibraryFace(Base):
    """One known face: its label (a name or reference number), its 128-number embedding
    (float32, little endian) and its origin (the gallery file's path under the folder, and
    that file's SHA-256, so adding the folder again skips it; or a CSV's row)."""

    __tablename__ = "face_library_faces"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    library_id: Mapped[int] = mapped_column(
        ForeignKey("face_libraries.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(200))
    origin: Mapped[str] = mapped_column(Text)
    origin_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    quality: Mapped[float | None] = mapped_column(Float, nullable=True)
    embedding: Mapped[bytes] = mapped_column(LargeBinary(512))


class FaceLibraryMatch(Base):
    """A face of a media (``faces`` signal, by its position) within the library distance of
    a known face. Kept per media, like hash matches; rebuilt by triage and enrich."""

    __tablename__ = "face_library_matches"
    media_sha256: Mapped[bytes] = mapped_column(
        LargeBinary(32), ForeignKey("media.sha256", ondelete="CASCADE"), primary_key=True)
    face_index: Mapped[int] = mapped_column(Integer, primary_key=True)
    library_face_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("face_library_faces.id", ondelete="CASCADE"), primary_key=True,
        index=True)
    distance: Mapped[float] = mapped_column(Float)
