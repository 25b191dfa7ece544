"""Tables of Trace An Object within a case (see ``cumberland.intel.trace``).

An object is a region cut out of a case's picture, sanitised, checked and (after a second
person's approval) published on a static site under a random public id. Tips sent from that
site arrive in the tips server's own database (``cumberland.tips``, never this one) and are
brought here by ``cumberland tips pull``, linked to their object and so to its source media.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cumberland.store.models import Base


class TraceObject(Base):
    """A candidate object and where it stands (candidate, approved, withdrawn). ``image`` is
    the sanitised JPEG exactly as it is published; ``whole_pdq`` the 8 dihedral PDQ hashes of
    the whole source picture, so publishing re-checks alert sets without the evidence."""

    __tablename__ = "trace_objects"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    media_sha256: Mapped[bytes] = mapped_column(LargeBinary(32), ForeignKey("media.sha256"))
    region: Mapped[list[int]] = mapped_column(JSON)  # x, y, w, h in the upright picture
    polygon: Mapped[list[list[int]] | None] = mapped_column(JSON, nullable=True)
    fill: Mapped[str] = mapped_column(String(8))  # flat | blur
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    hints: Mapped[list[str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[float] = mapped_column(Float)
    approved_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    approved_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    withdrawn_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    published_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    image: Mapped[bytes] = mapped_column(LargeBinary)
    image_sha256: Mapped[bytes] = mapped_column(LargeBinary(32))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    whole_pdq: Mapped[bytes] = mapped_column(LargeBinary)
    checks: Mapped[dict[str, Any]] = mapped_column(JSON)


class TraceTip(Base):
    """A tip from the public about an object. ``uid`` is the tips server's random id (a tip
    pulled twice is kept once); ``duplicate_of`` points at the first tip of the same object
    with the same or nearly the same text."""

    __tablename__ = "trace_tips"
    __table_args__ = (Index("ix_trace_tips_case_object", "case_id", "object_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    object_id: Mapped[int] = mapped_column(ForeignKey("trace_objects.id", ondelete="CASCADE"))
    uid: Mapped[str] = mapped_column(String(32), unique=True)
    received: Mapped[str] = mapped_column(String(20))  # the hour, UTC: all the server keeps
    lang: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    contact: Mapped[str | None] = mapped_column(Text, nullable=True)
    state: Mapped[str] = mapped_column(String(16))
    duplicate_of: Mapped[int | None] = mapped_column(
        ForeignKey("trace_tips.id", ondelete="SET NULL"), nullable=True)
    pulled_at: Mapped[float] = mapped_column(Float)
    pulled_by: Mapped[str] = mapped_column(String(200))


class TraceTipNote(Base):
    """An investigator's note on a tip (each one also in the audit log)."""

    __tablename__ = "trace_tip_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(
        ForeignKey("trace_tips.id", ondelete="CASCADE"), index=True)
    at: Mapped[float] = mapped_column(Float)
    author: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
