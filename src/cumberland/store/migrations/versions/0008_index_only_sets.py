"""matches of index-only hash sets carry no entry: entry_id nullable, one such match per set

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_WHERE = sa.text("entry_id IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.alter_column("entry_id", existing_type=sa.BigInteger().with_variant(
            sa.Integer(), "sqlite"), nullable=True)
        batch_op.create_index("ux_matches_set_only", ["media_sha256", "hashset_id"],
                              unique=True, sqlite_where=_WHERE, postgresql_where=_WHERE)


def downgrade() -> None:
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.drop_index("ux_matches_set_only")
    op.execute("DELETE FROM matches WHERE entry_id IS NULL")
    with op.batch_alter_table("matches", schema=None) as batch_op:
        batch_op.alter_column("entry_id", existing_type=sa.BigInteger().with_variant(
            sa.Integer(), "sqlite"), nullable=False)
