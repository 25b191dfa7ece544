"""review_queue.reasons: why each media sits where it does in the queue (the codes of
analysis/priority.py). Queues built before it are marked for a rebuild, which fills it in.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("review_queue", sa.Column("reasons", sa.String(200), nullable=False,
                                            server_default=""))
    op.execute("DELETE FROM review_state")  # derived: rebuilt with reasons when next opened


def downgrade() -> None:
    with op.batch_alter_table("review_queue") as batch:  # SQLite drops a column by rebuilding
        batch.drop_column("reasons")
