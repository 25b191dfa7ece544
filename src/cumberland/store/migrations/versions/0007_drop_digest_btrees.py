"""drop the digest B-tree indexes of hash_entries (the exact index serves lookups)

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_DIGESTS = ("md5", "sha1", "sha256")


def upgrade() -> None:
    for digest in _DIGESTS:
        op.drop_index(f"ix_hash_entries_{digest}", table_name="hash_entries")


def downgrade() -> None:
    for digest in _DIGESTS:
        op.create_index(f"ix_hash_entries_{digest}", "hash_entries", [digest])
