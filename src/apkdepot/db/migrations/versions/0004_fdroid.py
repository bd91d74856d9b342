"""fdroid keys and entries

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('store_keys',
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('key_pem', sa.Text(), nullable=False),
    sa.Column('cert_der', sa.LargeBinary(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_keys_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('store_id', name=op.f('pk_store_keys'))
    )
    op.create_table('fdroid_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('apk_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=False),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['apk_id'], ['apks.id'], name=op.f('fk_fdroid_entries_apk_id_apks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_fdroid_entries_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fdroid_entries'))
    )
    with op.batch_alter_table('fdroid_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fdroid_entries_apk_id'), ['apk_id'], unique=False)
        batch_op.create_index('ix_fdroid_entries_store_id_package', ['store_id', 'package'], unique=False)
        batch_op.create_index('ix_fdroid_entries_store_id_to_version_from_version', ['store_id', 'to_version', 'from_version'], unique=False)



    op.execute(
        "INSERT INTO fdroid_entries (store_id, apk_id, package, from_version) "
        "SELECT a.store_id, a.id, a.package, s.current_version FROM apks a JOIN stores s ON s.id = a.store_id "
        "WHERE a.removed_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table('fdroid_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_fdroid_entries_store_id_to_version_from_version')
        batch_op.drop_index('ix_fdroid_entries_store_id_package')
        batch_op.drop_index(batch_op.f('ix_fdroid_entries_apk_id'))

    op.drop_table('fdroid_entries')
    op.drop_table('store_keys')
