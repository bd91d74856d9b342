"""Per-developer accounts clock value (tokens forgotten one developer at a time)

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('developers') as batch:
        batch.add_column(sa.Column('accounts_seq', sa.BigInteger(), server_default='0', nullable=False))
        batch.create_index(batch.f('ix_developers_accounts_seq'), ['accounts_seq'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('developers') as batch:
        batch.drop_index(batch.f('ix_developers_accounts_seq'))
        batch.drop_column('accounts_seq')
