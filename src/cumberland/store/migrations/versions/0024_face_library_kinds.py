"""face_libraries.kind: whose faces a library holds (``victims``, ``offenders`` or
``unspecified``), so that a match can move the review queue (analysis/priority.py).
Libraries loaded before it are ``unspecified``: their matches are shown but move nothing
until an agency says what they hold (``faces library add ... --kind``). Queues are marked
for a rebuild.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("face_libraries", sa.Column("kind", sa.String(20), nullable=False,
                                              server_default="unspecified"))
    op.execute("DELETE FROM review_state")  # derived: rebuilt with the new reasons when opened


def downgrade() -> None:
    with op.batch_alter_table("face_libraries") as batch:  # SQLite drops by rebuilding
        batch.drop_column("kind")
