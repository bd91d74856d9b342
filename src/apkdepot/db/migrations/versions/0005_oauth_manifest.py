"""OAuth tokens; manifest details of APKs

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('oauth_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('developer_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['developer_id'], ['developers.id'], name=op.f('fk_oauth_tokens_developer_id_developers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oauth_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_oauth_tokens_token_hash'))
    )
    op.create_index(op.f('ix_oauth_tokens_developer_id'), 'oauth_tokens', ['developer_id'], unique=False)
    with op.batch_alter_table('apks') as batch:
        batch.add_column(sa.Column('manifest_details', sa.Text(), server_default='{}', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('apks') as batch:
        batch.drop_column('manifest_details')
    op.drop_index(op.f('ix_oauth_tokens_developer_id'), table_name='oauth_tokens')
    op.drop_table('oauth_tokens')
