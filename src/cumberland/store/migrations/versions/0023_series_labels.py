"""series_labels: reviewers' names, confirmations, splits and merges of a case's series.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series_labels",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_series_labels_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_sha256"], ["media.sha256"],
                                name=op.f("fk_series_labels_media_sha256_media"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "media_sha256", name=op.f("pk_series_labels")),
    )


def downgrade() -> None:
    op.drop_table("series_labels")
