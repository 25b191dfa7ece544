"""items.artefacts (categories from the path-rule catalogue), items.original_path and
items.deleted_at (what a recycle bin recorded of a deleted file)

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("artefacts", sa.Text(), nullable=True))
    op.add_column("items", sa.Column("original_path", sa.Text(), nullable=True))
    op.add_column("items", sa.Column("deleted_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:  # SQLite drops a column by rebuilding
        batch.drop_column("deleted_at")
        batch.drop_column("original_path")
        batch.drop_column("artefacts")
