"""face_labels: reviewers' names, confirmations, splits and merges of a case's persons.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "face_labels",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("face", sa.String(length=80), nullable=False),
        sa.Column("person", sa.String(length=200), nullable=False),
        sa.Column("confirmed", sa.Boolean(), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_face_labels_case_id_cases"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "face", name=op.f("pk_face_labels")),
    )


def downgrade() -> None:
    op.drop_table("face_labels")
