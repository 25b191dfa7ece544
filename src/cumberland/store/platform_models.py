"""Tables of a seized platform's records within a case (see ``cumberland.intel.platform``).

Every record row keeps where it came from (``src_table`` = index into its import's table list,
``src_line``, ``src_byte``), so each conclusion drawn from it can be traced back to the dump.
Identifiers (e-mails, IPs, payment references, crypto addresses, device fingerprints, phone
numbers, files) are stored once per case, normalised, and referenced by id: entity resolution
and country attribution then work on small integers, and a GeoIP lookup happens once per IP.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from cumberland.store.models import Base, BigId


class PlatformImport(Base):
    """One ``platform import`` run: the dump, its mapping and what was read or skipped."""

    __tablename__ = "platform_imports"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    source: Mapped[str] = mapped_column(Text)
    platform: Mapped[str] = mapped_column(String(200))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    tables: Mapped[list[str]] = mapped_column(JSON)  # src_table indexes into this list
    counts: Mapped[dict[str, Any]] = mapped_column(JSON)
    skipped: Mapped[list[str]] = mapped_column(JSON)  # the first skipped rows, one line each
    started_at: Mapped[float] = mapped_column(Float)
    finished_at: Mapped[float] = mapped_column(Float)


class PlatformIdentifier(Base):
    """A normalised identifier of a kind (email, ip, payment, crypto, fingerprint, phone,
    file) and the country it points to, where one does."""

    __tablename__ = "platform_identifiers"
    __table_args__ = (UniqueConstraint("case_id", "kind", "value"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)


class PlatformAccount(Base):
    __tablename__ = "platform_accounts"
    __table_args__ = (UniqueConstraint("import_id", "ext_id"),
                      Index("ix_platform_accounts_case", "case_id"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    import_id: Mapped[int] = mapped_column(
        ForeignKey("platform_imports.id", ondelete="CASCADE"))
    ext_id: Mapped[str] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text, nullable=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    email: Mapped[str | None] = mapped_column(Text, nullable=True)  # as the platform had it
    email_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    phone_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    registered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    reg_ip_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    stub: Mapped[bool] = mapped_column(Boolean, default=False)  # referenced, never defined
    src_table: Mapped[int] = mapped_column(SmallInteger)
    src_line: Mapped[int] = mapped_column(BigId)
    src_byte: Mapped[int | None] = mapped_column(BigId, nullable=True)


class PlatformLogin(Base):
    __tablename__ = "platform_logins"
    __table_args__ = (Index("ix_platform_logins_account", "account_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ip_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    fingerprint_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    user_agent: Mapped[str | None] = mapped_column(Text, nullable=True)
    src_table: Mapped[int] = mapped_column(SmallInteger)
    src_line: Mapped[int] = mapped_column(BigId)
    src_byte: Mapped[int | None] = mapped_column(BigId, nullable=True)


class PlatformPayment(Base):
    __tablename__ = "platform_payments"
    __table_args__ = (Index("ix_platform_payments_account", "account_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[float | None] = mapped_column(Float, nullable=True)
    method: Mapped[str | None] = mapped_column(Text, nullable=True)
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    currency: Mapped[str | None] = mapped_column(String(16), nullable=True)
    processor: Mapped[str | None] = mapped_column(Text, nullable=True)
    reference_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    crypto_id: Mapped[int | None] = mapped_column(BigId, nullable=True)
    txid: Mapped[str | None] = mapped_column(Text, nullable=True)
    payer_name: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The service the coins came from (a labelled wallet of the transaction export).
    exchange: Mapped[str | None] = mapped_column(Text, nullable=True)
    src_table: Mapped[int] = mapped_column(SmallInteger)
    src_line: Mapped[int] = mapped_column(BigId)
    src_byte: Mapped[int | None] = mapped_column(BigId, nullable=True)


class PlatformCredit(Base):
    """Credits or memberships granted to an account (for a payment, an upload, a task)."""

    __tablename__ = "platform_credits"
    __table_args__ = (Index("ix_platform_credits_account", "account_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[float | None] = mapped_column(Float, nullable=True)
    amount: Mapped[float | None] = mapped_column(Float, nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    src_table: Mapped[int] = mapped_column(SmallInteger)
    src_line: Mapped[int] = mapped_column(BigId)
    src_byte: Mapped[int | None] = mapped_column(BigId, nullable=True)


class PlatformContent(Base):
    """Content activity: an account uploaded, downloaded, viewed or categorised a file."""

    __tablename__ = "platform_content"
    __table_args__ = (Index("ix_platform_content_account", "account_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[float | None] = mapped_column(Float, nullable=True)
    action: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[int | None] = mapped_column(BigId, nullable=True)  # identifier kind "file"
    label: Mapped[str | None] = mapped_column(Text, nullable=True)  # the platform's own tag
    src_table: Mapped[int] = mapped_column(SmallInteger)
    src_line: Mapped[int] = mapped_column(BigId)
    src_byte: Mapped[int | None] = mapped_column(BigId, nullable=True)


class PlatformMessage(Base):
    __tablename__ = "platform_messages"
    __table_args__ = (Index("ix_platform_messages_account", "account_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(Integer)
    import_id: Mapped[int] = mapped_column(Integer)
    account_id: Mapped[int] = mapped_column(BigId)
    at: Mapped[float | None] = mapped_column(Float, nullable=True)
    recipient: Mapped[str | None] = mapped_column(Text, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)
    src_table: Mapped[int] = mapped_column(SmallInteger)
    src_line: Mapped[int] = mapped_column(BigId)
    src_byte: Mapped[int | None] = mapped_column(BigId, nullable=True)


class PlatformFile(Base):
    """A file the platform served, named by its hashes; content rows point at it (kind
    ``file`` identifier) and ``media_sha256`` is the case media it was linked to, if any."""

    __tablename__ = "platform_files"
    __table_args__ = (UniqueConstraint("case_id", "identifier_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    identifier_id: Mapped[int] = mapped_column(BigId)
    sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    md5: Mapped[bytes | None] = mapped_column(LargeBinary(16), nullable=True)
    sha1: Mapped[bytes | None] = mapped_column(LargeBinary(20), nullable=True)
    name: Mapped[str | None] = mapped_column(Text, nullable=True)
    size: Mapped[int | None] = mapped_column(BigId, nullable=True)
    media_sha256: Mapped[bytes | None] = mapped_column(LargeBinary(32), nullable=True)
    status: Mapped[str] = mapped_column(String(16), default="unlinked")


class PlatformLink(Base):
    """Evidence that two accounts belong to one person: what they share, and how strongly.

    ``evidence`` is a list of ``{kind, value, detail, strength}``; ``merged`` says the
    resolver joined them (strength at or above its threshold); ``status`` is a reviewer's
    ``confirmed``/``cut`` (kept across re-runs by ``platform_reviews``)."""

    __tablename__ = "platform_links"
    __table_args__ = (UniqueConstraint("case_id", "account_a", "account_b"),
                      Index("ix_platform_links_b", "account_b"))
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    account_a: Mapped[int] = mapped_column(BigId)
    account_b: Mapped[int] = mapped_column(BigId)
    strength: Mapped[float] = mapped_column(Float)
    merged: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16), default="auto")
    evidence: Mapped[list[dict[str, Any]]] = mapped_column(JSON)


class PlatformReview(Base):
    """A reviewer's decision on a pair of accounts; the resolver obeys it on every run."""

    __tablename__ = "platform_reviews"
    case_id: Mapped[int] = mapped_column(
        ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    account_a: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_b: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision: Mapped[str] = mapped_column(String(16))  # confirmed | cut
    reviewer: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[float] = mapped_column(Float)


class PlatformPerson(Base):
    """A resolved person: its accounts, role, country attribution and activity counts."""

    __tablename__ = "platform_persons"
    __table_args__ = (Index("ix_platform_persons_case_country", "case_id", "country"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(24))
    rank: Mapped[int] = mapped_column(Integer)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    confidence: Mapped[str] = mapped_column(String(16))
    attribution: Mapped[dict[str, Any]] = mapped_column(JSON)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON)


class PlatformPersonAccount(Base):
    __tablename__ = "platform_person_accounts"
    account_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, index=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
