"""listing images

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa



revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('listing_images',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('media_type', sa.String(length=20), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_listing_images_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_images'))
    )
    with op.batch_alter_table('listing_images', schema=None) as batch_op:
        batch_op.create_index('ix_listing_images_store_id_package_name', ['store_id', 'package', 'name'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('listing_images', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_images_store_id_package_name')
    op.drop_table('listing_images')
