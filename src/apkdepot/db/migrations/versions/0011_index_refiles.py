"""info.xml entries re-rendered in place

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('index_refiles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('apk_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['apk_id'], ['apks.id'], name=op.f('fk_index_refiles_apk_id_apks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_index_refiles_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_index_refiles'))
    )
    with op.batch_alter_table('index_refiles', schema=None) as batch_op:
        batch_op.create_index('ix_index_refiles_store_id_version', ['store_id', 'version'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('index_refiles', schema=None) as batch_op:
        batch_op.drop_index('ix_index_refiles_store_id_version')
    op.drop_table('index_refiles')
