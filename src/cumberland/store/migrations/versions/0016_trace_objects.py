"""Trace An Object: candidate objects, tips pulled from the tips server, notes on tips

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "trace_objects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("region", sa.JSON(), nullable=False),
        sa.Column("polygon", sa.JSON(), nullable=True),
        sa.Column("fill", sa.String(length=8), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("hints", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("approved_at", sa.Float(), nullable=True),
        sa.Column("withdrawn_by", sa.String(length=200), nullable=True),
        sa.Column("withdrawn_at", sa.Float(), nullable=True),
        sa.Column("published_at", sa.Float(), nullable=True),
        sa.Column("image", sa.LargeBinary(), nullable=False),
        sa.Column("image_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("whole_pdq", sa.LargeBinary(), nullable=False),
        sa.Column("checks", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_trace_objects_case_id_cases")),
        sa.ForeignKeyConstraint(["media_sha256"], ["media.sha256"],
                                name=op.f("fk_trace_objects_media_sha256_media")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_objects")),
        sa.UniqueConstraint("public_id", name=op.f("uq_trace_objects_public_id")),
    )
    op.create_index(op.f("ix_trace_objects_case_id"), "trace_objects", ["case_id"])
    op.create_table(
        "trace_tips",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("uid", sa.String(length=32), nullable=False),
        sa.Column("received", sa.String(length=20), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("duplicate_of", sa.Integer(), nullable=True),
        sa.Column("pulled_at", sa.Float(), nullable=False),
        sa.Column("pulled_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_trace_tips_case_id_cases")),
        sa.ForeignKeyConstraint(["object_id"], ["trace_objects.id"], ondelete="CASCADE",
                                name=op.f("fk_trace_tips_object_id_trace_objects")),
        sa.ForeignKeyConstraint(["duplicate_of"], ["trace_tips.id"], ondelete="SET NULL",
                                name=op.f("fk_trace_tips_duplicate_of_trace_tips")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_tips")),
        sa.UniqueConstraint("uid", name=op.f("uq_trace_tips_uid")),
    )
    op.create_index("ix_trace_tips_case_object", "trace_tips", ["case_id", "object_id"])
    op.create_table(
        "trace_tip_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tip_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.Float(), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["tip_id"], ["trace_tips.id"], ondelete="CASCADE",
                                name=op.f("fk_trace_tip_notes_tip_id_trace_tips")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trace_tip_notes")),
    )
    op.create_index(op.f("ix_trace_tip_notes_tip_id"), "trace_tip_notes", ["tip_id"])


def downgrade() -> None:
    op.drop_table("trace_tip_notes")
    op.drop_table("trace_tips")
    op.drop_table("trace_objects")
