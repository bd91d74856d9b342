"""stores apks and index

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('catalog_clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_clock'))
    )
    op.execute("INSERT INTO catalog_clock (id, seq) VALUES (1, 0)")
    op.create_table('stores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=50), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('theme', sa.String(length=32), server_default='default', nullable=False),
    sa.Column('avatar_key', sa.String(length=120), nullable=True),
    sa.Column('private', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('basic_user', sa.String(length=100), nullable=True),
    sa.Column('basic_pass_hash', sa.String(length=200), nullable=True),
    sa.Column('current_version', sa.Integer(), server_default='0', nullable=False),
    sa.Column('dirty_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['developers.id'], name=op.f('fk_stores_owner_id_developers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stores')),
    sa.UniqueConstraint('name', name=op.f('uq_stores_name'))
    )
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stores_dirty_since'), ['dirty_since'], unique=False)
        batch_op.create_index(batch_op.f('ix_stores_owner_id'), ['owner_id'], unique=False)

    op.create_table('apks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('version_code', sa.BigInteger(), nullable=False),
    sa.Column('version_name', sa.String(length=100), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('min_sdk', sa.Integer(), nullable=False),
    sa.Column('target_sdk', sa.Integer(), nullable=False),
    sa.Column('permissions', sa.Text(), nullable=False),
    sa.Column('abis', sa.String(length=200), nullable=False),
    sa.Column('signer_sha1', sa.String(length=40), nullable=False),
    sa.Column('signer_sha256', sa.String(length=64), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('file_name', sa.String(length=300), nullable=False),
    sa.Column('icon_name', sa.String(length=300), nullable=True),
    sa.Column('icon_sha256', sa.String(length=64), nullable=True),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('website', sa.String(length=500), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('downloads', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('xml_head', sa.Text(), nullable=False),
    sa.Column('xml_tail', sa.Text(), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_apks_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apks')),
    sa.UniqueConstraint('store_id', 'file_name', name=op.f('uq_apks_store_id_file_name')),
    sa.UniqueConstraint('store_id', 'package', 'version_code', name=op.f('uq_apks_store_id_package_version_code'))
    )
    with op.batch_alter_table('apks', schema=None) as batch_op:
        batch_op.create_index('ix_apks_md5', ['md5'], unique=False)
        batch_op.create_index('ix_apks_sha256', ['sha256'], unique=False)
        batch_op.create_index('ix_apks_store_id_md5', ['store_id', 'md5'], unique=False)

    op.create_table('index_pending',
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_index_pending_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id', 'package', name=op.f('pk_index_pending'))
    )
    op.create_table('index_versions',
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('md5', sa.String(length=32), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('appscount', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_index_versions_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id', 'version', name=op.f('pk_index_versions'))
    )
    with op.batch_alter_table('index_versions', schema=None) as batch_op:
        batch_op.create_index('ix_index_versions_store_id_md5', ['store_id', 'md5'], unique=False)

    op.create_table('index_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('apk_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=False),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['apk_id'], ['apks.id'], name=op.f('fk_index_entries_apk_id_apks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_index_entries_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_entries'))
    )
    with op.batch_alter_table('index_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_index_entries_apk_id'), ['apk_id'], unique=False)
        batch_op.create_index('ix_index_entries_open_package', ['store_id', 'package'], unique=True, sqlite_where=sa.text('to_version IS NULL'), postgresql_where=sa.text('to_version IS NULL'))
        batch_op.create_index('ix_index_entries_store_id_to_version_from_version', ['store_id', 'to_version', 'from_version'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('index_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_index_entries_store_id_to_version_from_version')
        batch_op.drop_index('ix_index_entries_open_package', sqlite_where=sa.text('to_version IS NULL'), postgresql_where=sa.text('to_version IS NULL'))
        batch_op.drop_index(batch_op.f('ix_index_entries_apk_id'))

    op.drop_table('index_entries')
    with op.batch_alter_table('index_versions', schema=None) as batch_op:
        batch_op.drop_index('ix_index_versions_store_id_md5')

    op.drop_table('index_versions')
    op.drop_table('index_pending')
    with op.batch_alter_table('apks', schema=None) as batch_op:
        batch_op.drop_index('ix_apks_store_id_md5')
        batch_op.drop_index('ix_apks_sha256')
        batch_op.drop_index('ix_apks_md5')

    op.drop_table('apks')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stores_owner_id'))
        batch_op.drop_index(batch_op.f('ix_stores_dirty_since'))

    op.drop_table('stores')
    op.drop_table('catalog_clock')
