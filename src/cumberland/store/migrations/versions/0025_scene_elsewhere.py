"""scene_elsewhere: the other cases in which each media of a case is seen (its picture or
its scene), series member or not.

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scene_elsewhere",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("cases", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_scene_elsewhere_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["media_sha256"], ["media.sha256"],
                                name=op.f("fk_scene_elsewhere_media_sha256_media"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "media_sha256", name=op.f("pk_scene_elsewhere")),
    )


def downgrade() -> None:
    op.drop_table("scene_elsewhere")
