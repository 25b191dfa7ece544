"""items.locator: the typed chain that reopens an item inside a container (image, volume,
inode, archive member), so any process can read its bytes again

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("items", sa.Column("locator", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:  # SQLite drops a column by rebuilding
        batch.drop_column("locator")
