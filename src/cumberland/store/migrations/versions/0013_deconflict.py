"""deconfliction: case settings, trusted agencies, exchanges, access requests

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deconflict_cases",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.Float(), nullable=True),
        sa.Column("approved_by", sa.String(length=200), nullable=True),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_deconflict_cases_case_id_cases")),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], ondelete="SET NULL",
                                name=op.f("fk_deconflict_cases_owner_id_users")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_deconflict_cases")),
    )
    op.create_table(
        "deconflict_peers",
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=200), nullable=False),
        sa.Column("public_key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("added_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", name=op.f("pk_deconflict_peers")),
        sa.UniqueConstraint("agency", name=op.f("uq_deconflict_peers_agency")),
    )
    op.create_table(
        "deconflict_exchanges",
        sa.Column("exchange_id", sa.String(length=32), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("peer", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.Column("request_sha256", sa.String(length=64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_deconflict_exchanges_case_id_cases")),
        sa.PrimaryKeyConstraint("exchange_id", "role", name=op.f("pk_deconflict_exchanges")),
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("from_case_id", sa.Integer(), nullable=False),
        sa.Column("media_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("requested_at", sa.Float(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_access_requests_case_id_cases")),
        sa.ForeignKeyConstraint(["from_case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_access_requests_from_case_id_cases")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE",
                                name=op.f("fk_access_requests_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_requests")),
        sa.UniqueConstraint("case_id", "user_id", "media_sha256",
                            name=op.f("uq_access_requests_case_id")),
    )
    op.create_index(op.f("ix_access_requests_case_id"), "access_requests", ["case_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_access_requests_case_id"), table_name="access_requests")
    op.drop_table("access_requests")
    op.drop_table("deconflict_exchanges")
    op.drop_table("deconflict_peers")
    op.drop_table("deconflict_cases")
