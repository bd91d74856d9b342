"""Old names of renamed stores and names of deleted ones

Revision ID: 0016
Revises: 0015
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'store_aliases',
        sa.Column('name', sa.String(length=50), nullable=False),
        sa.Column('store_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_store_aliases_store_id_stores'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('name', name=op.f('pk_store_aliases')),
    )
    op.create_index(op.f('ix_store_aliases_store_id'), 'store_aliases', ['store_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_store_aliases_store_id'), table_name='store_aliases')
    op.drop_table('store_aliases')
