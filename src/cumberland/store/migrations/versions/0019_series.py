"""series, series_members: a case's candidate series and their members (analysis/series.py).

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("prime", sa.Boolean(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_series_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "number", name=op.f("pk_series")),
    )
    op.create_table(
        "series_members",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_series_members_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_sha256"], ["media.sha256"],
                                name=op.f("fk_series_members_media_sha256_media"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "media_sha256", name=op.f("pk_series_members")),
    )


def downgrade() -> None:
    op.drop_table("series_members")
    op.drop_table("series")
