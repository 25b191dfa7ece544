"""index for path-prefix filters on items

Revision ID: 0006
Revises: 0002
"""

from __future__ import annotations

from alembic import op

from cumberland.store.pathkey import INDEX_SQL

revision = "0006"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute(INDEX_SQL.get(dialect, INDEX_SQL["sqlite"]))


def downgrade() -> None:
    op.execute("DROP INDEX ix_items_case_path_prefix")
