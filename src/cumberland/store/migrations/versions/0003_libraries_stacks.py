"""reference libraries (images, region hashes, keypoints) and duplicate stacks

Revision ID: 0003
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0004'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        'library_images',
        sa.Column('entry_id', BigId, nullable=False),
        sa.Column('hashset_id', sa.Integer(), nullable=False),
        sa.Column('width', sa.Integer(), nullable=False),
        sa.Column('height', sa.Integer(), nullable=False),
        sa.Column('features', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['entry_id'], ['hash_entries.id'], name=op.f('fk_library_images_entry_id_hash_entries'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hashset_id'], ['hashsets.id'], name=op.f('fk_library_images_hashset_id_hashsets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_library_images')),
    )
    op.create_index(op.f('ix_library_images_hashset_id'), 'library_images', ['hashset_id'])
    op.create_table(
        'library_hashes',
        sa.Column('id', BigId, autoincrement=True, nullable=False),
        sa.Column('entry_id', BigId, nullable=False),
        sa.Column('hashset_id', sa.Integer(), nullable=False),
        sa.Column('region', sa.Boolean(), nullable=False),
        sa.Column('pdq', sa.LargeBinary(length=32), nullable=False),
        sa.Column('quality', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['entry_id'], ['hash_entries.id'], name=op.f('fk_library_hashes_entry_id_hash_entries'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['hashset_id'], ['hashsets.id'], name=op.f('fk_library_hashes_hashset_id_hashsets'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_library_hashes')),
    )
    op.create_index(op.f('ix_library_hashes_entry_id'), 'library_hashes', ['entry_id'])
    op.create_index(op.f('ix_library_hashes_hashset_id'), 'library_hashes', ['hashset_id'])
    op.create_table(
        'stacks',
        sa.Column('case_id', sa.Integer(), nullable=False),
        sa.Column('media_sha256', sa.LargeBinary(length=32), nullable=False),
        sa.Column('stack', sa.Integer(), nullable=False),
        sa.Column('method', sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_stacks_case_id_cases'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['media_sha256'], ['media.sha256'], name=op.f('fk_stacks_media_sha256_media'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('case_id', 'media_sha256', name=op.f('pk_stacks')),
    )


def downgrade() -> None:
    op.drop_table('stacks')
    op.drop_index(op.f('ix_library_hashes_hashset_id'), table_name='library_hashes')
    op.drop_index(op.f('ix_library_hashes_entry_id'), table_name='library_hashes')
    op.drop_table('library_hashes')
    op.drop_index(op.f('ix_library_images_hashset_id'), table_name='library_images')
    op.drop_table('library_images')
