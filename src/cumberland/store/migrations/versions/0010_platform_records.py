"""a seized platform's records: imports, identifiers, accounts, logins, payments, credits,
content, messages, files, entity-resolution links and reviews, persons

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table('platform_content',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('at', sa.Float(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False),
    sa.Column('file_id', BigId, nullable=True),
    sa.Column('label', sa.Text(), nullable=True),
    sa.Column('src_table', sa.SmallInteger(), nullable=False),
    sa.Column('src_line', BigId, nullable=False),
    sa.Column('src_byte', BigId, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_content'))
    )
    op.create_index('ix_platform_content_account', 'platform_content', ['account_id'], unique=False)
    op.create_table('platform_credits',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('at', sa.Float(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('src_table', sa.SmallInteger(), nullable=False),
    sa.Column('src_line', BigId, nullable=False),
    sa.Column('src_byte', BigId, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_credits'))
    )
    op.create_index('ix_platform_credits_account', 'platform_credits', ['account_id'], unique=False)
    op.create_table('platform_logins',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('at', sa.Float(), nullable=True),
    sa.Column('ip_id', BigId, nullable=True),
    sa.Column('fingerprint_id', BigId, nullable=True),
    sa.Column('user_agent', sa.Text(), nullable=True),
    sa.Column('src_table', sa.SmallInteger(), nullable=False),
    sa.Column('src_line', BigId, nullable=False),
    sa.Column('src_byte', BigId, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_logins'))
    )
    op.create_index('ix_platform_logins_account', 'platform_logins', ['account_id'], unique=False)
    op.create_table('platform_messages',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('at', sa.Float(), nullable=True),
    sa.Column('recipient', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('src_table', sa.SmallInteger(), nullable=False),
    sa.Column('src_line', BigId, nullable=False),
    sa.Column('src_byte', BigId, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_messages'))
    )
    op.create_index('ix_platform_messages_account', 'platform_messages', ['account_id'], unique=False)
    op.create_table('platform_payments',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('at', sa.Float(), nullable=True),
    sa.Column('method', sa.Text(), nullable=True),
    sa.Column('amount', sa.Float(), nullable=True),
    sa.Column('currency', sa.String(length=16), nullable=True),
    sa.Column('processor', sa.Text(), nullable=True),
    sa.Column('reference_id', BigId, nullable=True),
    sa.Column('crypto_id', BigId, nullable=True),
    sa.Column('txid', sa.Text(), nullable=True),
    sa.Column('payer_name', sa.Text(), nullable=True),
    sa.Column('src_table', sa.SmallInteger(), nullable=False),
    sa.Column('src_line', BigId, nullable=False),
    sa.Column('src_byte', BigId, nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_payments'))
    )
    op.create_index('ix_platform_payments_account', 'platform_payments', ['account_id'], unique=False)
    op.create_table('platform_person_accounts',
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('person_id', BigId, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_platform_person_accounts'))
    )
    op.create_index(op.f('ix_platform_person_accounts_case_id'), 'platform_person_accounts', ['case_id'], unique=False)
    op.create_index(op.f('ix_platform_person_accounts_person_id'), 'platform_person_accounts', ['person_id'], unique=False)
    op.create_table('platform_files',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('identifier_id', BigId, nullable=False),
    sa.Column('sha256', sa.LargeBinary(length=32), nullable=True),
    sa.Column('md5', sa.LargeBinary(length=16), nullable=True),
    sa.Column('sha1', sa.LargeBinary(length=20), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('size', BigId, nullable=True),
    sa.Column('media_sha256', sa.LargeBinary(length=32), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_files_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_files')),
    sa.UniqueConstraint('case_id', 'identifier_id', name=op.f('uq_platform_files_case_id'))
    )
    op.create_table('platform_identifiers',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_identifiers_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_identifiers')),
    sa.UniqueConstraint('case_id', 'kind', 'value', name=op.f('uq_platform_identifiers_case_id'))
    )
    op.create_table('platform_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('platform', sa.String(length=200), nullable=False),
    sa.Column('mapping', sa.JSON(), nullable=False),
    sa.Column('tables', sa.JSON(), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('skipped', sa.JSON(), nullable=False),
    sa.Column('started_at', sa.Float(), nullable=False),
    sa.Column('finished_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_imports_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_imports'))
    )
    op.create_index(op.f('ix_platform_imports_case_id'), 'platform_imports', ['case_id'], unique=False)
    op.create_table('platform_links',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('account_a', BigId, nullable=False),
    sa.Column('account_b', BigId, nullable=False),
    sa.Column('strength', sa.Float(), nullable=False),
    sa.Column('merged', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_links_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_links')),
    sa.UniqueConstraint('case_id', 'account_a', 'account_b', name=op.f('uq_platform_links_case_id'))
    )
    op.create_index('ix_platform_links_b', 'platform_links', ['account_b'], unique=False)
    op.create_table('platform_persons',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=True),
    sa.Column('confidence', sa.String(length=16), nullable=False),
    sa.Column('attribution', sa.JSON(), nullable=False),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_persons_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_persons'))
    )
    op.create_index('ix_platform_persons_case_country', 'platform_persons', ['case_id', 'country'], unique=False)
    op.create_table('platform_reviews',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('account_a', BigId, nullable=False),
    sa.Column('account_b', BigId, nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('reviewer', sa.String(length=200), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.Float(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_reviews_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'account_a', 'account_b', name=op.f('pk_platform_reviews'))
    )
    op.create_table('platform_accounts',
    sa.Column('id', BigId, autoincrement=True, nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('ext_id', sa.Text(), nullable=False),
    sa.Column('username', sa.Text(), nullable=True),
    sa.Column('name', sa.Text(), nullable=True),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('email_id', BigId, nullable=True),
    sa.Column('phone_id', BigId, nullable=True),
    sa.Column('registered_at', sa.Float(), nullable=True),
    sa.Column('reg_ip_id', BigId, nullable=True),
    sa.Column('stub', sa.Boolean(), nullable=False),
    sa.Column('src_table', sa.SmallInteger(), nullable=False),
    sa.Column('src_line', BigId, nullable=False),
    sa.Column('src_byte', BigId, nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_platform_accounts_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['platform_imports.id'], name=op.f('fk_platform_accounts_import_id_platform_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_platform_accounts')),
    sa.UniqueConstraint('import_id', 'ext_id', name=op.f('uq_platform_accounts_import_id'))
    )
    op.create_index('ix_platform_accounts_case', 'platform_accounts', ['case_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_platform_accounts_case', table_name='platform_accounts')
    op.drop_table('platform_accounts')
    op.drop_table('platform_reviews')
    op.drop_index('ix_platform_persons_case_country', table_name='platform_persons')
    op.drop_table('platform_persons')
    op.drop_index('ix_platform_links_b', table_name='platform_links')
    op.drop_table('platform_links')
    op.drop_index(op.f('ix_platform_imports_case_id'), table_name='platform_imports')
    op.drop_table('platform_imports')
    op.drop_table('platform_identifiers')
    op.drop_table('platform_files')
    op.drop_index(op.f('ix_platform_person_accounts_person_id'), table_name='platform_person_accounts')
    op.drop_index(op.f('ix_platform_person_accounts_case_id'), table_name='platform_person_accounts')
    op.drop_table('platform_person_accounts')
    op.drop_index('ix_platform_payments_account', table_name='platform_payments')
    op.drop_table('platform_payments')
    op.drop_index('ix_platform_messages_account', table_name='platform_messages')
    op.drop_table('platform_messages')
    op.drop_index('ix_platform_logins_account', table_name='platform_logins')
    op.drop_table('platform_logins')
    op.drop_index('ix_platform_credits_account', table_name='platform_credits')
    op.drop_table('platform_credits')
    op.drop_index('ix_platform_content_account', table_name='platform_content')
    op.drop_table('platform_content')
