"""store categories

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('store_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_categories_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_store_categories'))
    )
    with op.batch_alter_table('store_categories', schema=None) as batch_op:
        batch_op.create_index('ix_store_categories_store_id_to_version', ['store_id', 'to_version'], unique=False)
        batch_op.create_index('ix_store_categories_pending', ['store_id'], unique=True,
                              sqlite_where=sa.text('from_version IS NULL'), postgresql_where=sa.text('from_version IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('store_categories', schema=None) as batch_op:
        batch_op.drop_index('ix_store_categories_pending')
        batch_op.drop_index('ix_store_categories_store_id_to_version')
    op.drop_table('store_categories')
