"""review flow: reveals expire, sort keys and size of the review queue, assignments, opinions

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reveals") as batch:
        batch.add_column(sa.Column("revealed_at", sa.Float(), nullable=False,
                                   server_default="0"))
    with op.batch_alter_table("review_queue") as batch:
        batch.add_column(sa.Column("path_sort", sa.String(300), nullable=False,
                                   server_default=""))
        batch.add_column(sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("taken", sa.String(19), nullable=False, server_default="~"))
    for name, column in (("path", "path_sort"), ("size", "size"), ("taken", "taken")):
        op.create_index(f"ix_review_queue_{name}", "review_queue",
                        ["case_id", column, "media_sha256"])
    with op.batch_alter_table("review_state") as batch:
        batch.add_column(sa.Column("total", sa.Integer(), nullable=False, server_default="0"))
    op.execute("DELETE FROM review_state")  # every queue is rebuilt with its sort keys
    op.create_table(
        "assignments",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_by", sa.String(200), nullable=False),
        sa.Column("assigned_at", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_assignments_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_assignments_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "media_sha256", "user_id",
                                name=op.f("pk_assignments")),
    )
    op.create_index("ix_assignments_user", "assignments", ["case_id", "user_id"])
    op.create_table(
        "opinions",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(64), nullable=False),
        sa.Column("category", sa.Integer(), nullable=False),
        sa.Column("decided_at", sa.Float(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"],
                                name=op.f("fk_opinions_case_id_cases"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_opinions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "media_sha256", "user_id", name=op.f("pk_opinions")),
    )
    op.create_index("ix_opinions_user", "opinions", ["case_id", "user_id", "decided_at"])


def downgrade() -> None:
    op.drop_index("ix_opinions_user", table_name="opinions")
    op.drop_table("opinions")
    op.drop_index("ix_assignments_user", table_name="assignments")
    op.drop_table("assignments")
    for name in ("path", "size", "taken"):
        op.drop_index(f"ix_review_queue_{name}", table_name="review_queue")
    with op.batch_alter_table("review_queue") as batch:
        batch.drop_column("taken")
        batch.drop_column("size")
        batch.drop_column("path_sort")
    with op.batch_alter_table("review_state") as batch:
        batch.drop_column("total")
    with op.batch_alter_table("reveals") as batch:
        batch.drop_column("revealed_at")
