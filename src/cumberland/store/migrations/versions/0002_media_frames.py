"""video frame hashes (vPDQ) per media

Revision ID: 0002
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'media_frames',
        sa.Column('media_sha256', sa.LargeBinary(length=32), nullable=False),
        sa.Column('idx', sa.Integer(), nullable=False),
        sa.Column('ts', sa.Float(), nullable=False),
        sa.Column('pdq', sa.LargeBinary(length=32), nullable=False),
        sa.Column('quality', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['media_sha256'], ['media.sha256'],
                                name=op.f('fk_media_frames_media_sha256_media'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('media_sha256', 'idx', name=op.f('pk_media_frames')),
    )


def downgrade() -> None:
    op.drop_table('media_frames')
