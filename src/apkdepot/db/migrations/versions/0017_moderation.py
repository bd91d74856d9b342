"""The moderation queue: moderated stores and versions waiting for review

Revision ID: 0017
Revises: 0016
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderated', sa.Boolean(), server_default=sa.false(), nullable=False))
    with op.batch_alter_table('apks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('review_state', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('review_reasons', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('review_note', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_apks_review_state_id', ['review_state', 'id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('apks', schema=None) as batch_op:
        batch_op.drop_index('ix_apks_review_state_id')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('review_note')
        batch_op.drop_column('review_reasons')
        batch_op.drop_column('review_state')
    with op.batch_alter_table('stores', schema=None) as batch_op:
        batch_op.drop_column('moderated')
