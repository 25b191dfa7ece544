"""face_libraries: an agency's known faces (label, embedding, origin) and the case faces
found within the library distance of one (analysis/face_library.py).

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "face_libraries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("model", sa.String(length=80), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_libraries")),
        sa.UniqueConstraint("name", name=op.f("uq_face_libraries_name")),
    )
    op.create_table(
        "face_library_faces",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("library_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("origin", sa.Text(), nullable=False),
        sa.Column("origin_sha256", sa.LargeBinary(length=32), nullable=True),
        sa.Column("quality", sa.Float(), nullable=True),
        sa.Column("embedding", sa.LargeBinary(length=512), nullable=False),
        sa.ForeignKeyConstraint(["library_id"], ["face_libraries.id"],
                                name=op.f("fk_face_library_faces_library_id_face_libraries"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_face_library_faces")),
    )
    op.create_index(op.f("ix_face_library_faces_library_id"), "face_library_faces",
                    ["library_id"])
    op.create_table(
        "face_library_matches",
        sa.Column("media_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("face_index", sa.Integer(), nullable=False),
        sa.Column("library_face_id", _ID, nullable=False),
        sa.Column("distance", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["media_sha256"], ["media.sha256"],
                                name=op.f("fk_face_library_matches_media_sha256_media"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(
            ["library_face_id"], ["face_library_faces.id"],
            name=op.f("fk_face_library_matches_library_face_id_face_library_faces"),
            ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("media_sha256", "face_index", "library_face_id",
                                name=op.f("pk_face_library_matches")),
    )
    op.create_index(op.f("ix_face_library_matches_library_face_id"), "face_library_matches",
                    ["library_face_id"])


def downgrade() -> None:
    op.drop_table("face_library_matches")
    op.drop_table("face_library_faces")
    op.drop_table("face_libraries")
