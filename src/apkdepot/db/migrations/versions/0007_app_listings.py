"""store listings

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('app_listings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_app_listings_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_listings'))
    )
    with op.batch_alter_table('app_listings', schema=None) as batch_op:
        batch_op.create_index('ix_app_listings_store_id_package', ['store_id', 'package'], unique=False)
        batch_op.create_index('ix_app_listings_store_id_to_version_from_version', ['store_id', 'to_version', 'from_version'], unique=False)
        batch_op.create_index('ix_app_listings_pending_package', ['store_id', 'package'], unique=True,
                              sqlite_where=sa.text('from_version IS NULL'), postgresql_where=sa.text('from_version IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('app_listings', schema=None) as batch_op:
        batch_op.drop_index('ix_app_listings_pending_package')
        batch_op.drop_index('ix_app_listings_store_id_to_version_from_version')
        batch_op.drop_index('ix_app_listings_store_id_package')
    op.drop_table('app_listings')
