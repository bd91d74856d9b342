"""store front search

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

from apkdepot.catalog import store_front


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

# SQLite: an FTS5 index over app_search, kept by triggers. A later migration
# that rebuilds app_search in batch mode must make these triggers again.
SQLITE_FTS = (
    "CREATE VIRTUAL TABLE app_search_fts USING fts5(name, body, content='app_search', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER app_search_fts_insert AFTER INSERT ON app_search BEGIN "
    "INSERT INTO app_search_fts(rowid, name, body) VALUES (new.id, new.name, new.body); END",
    "CREATE TRIGGER app_search_fts_delete AFTER DELETE ON app_search BEGIN "
    "INSERT INTO app_search_fts(app_search_fts, rowid, name, body) VALUES ('delete', old.id, old.name, old.body); END",
    "CREATE TRIGGER app_search_fts_update AFTER UPDATE ON app_search BEGIN "
    "INSERT INTO app_search_fts(app_search_fts, rowid, name, body) VALUES ('delete', old.id, old.name, old.body); "
    "INSERT INTO app_search_fts(rowid, name, body) VALUES (new.id, new.name, new.body); END",
)


def upgrade() -> None:
    op.create_table('app_search',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('store_id', sa.Integer(), nullable=False),
    sa.Column('package', sa.String(length=255), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('category', sa.String(length=100), nullable=True),
    sa.Column('sort_name', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['store_id'], ['stores.id'], name=op.f('fk_app_search_store_id_stores'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_search'))
    )
    with op.batch_alter_table('app_search', schema=None) as batch_op:
        batch_op.create_index('ix_app_search_store_id_category', ['store_id', 'category'], unique=False)
        batch_op.create_index('ix_app_search_store_id_package', ['store_id', 'package'], unique=True)
        batch_op.create_index('ix_app_search_store_id_sort_name', ['store_id', 'sort_name'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    else:
        op.execute(f"CREATE INDEX ix_app_search_document ON app_search USING gin ({store_front.pg_document_sql()})")
    store_front.rebuild(bind)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("app_search_fts_update", "app_search_fts_delete", "app_search_fts_insert"):
            op.execute(f"DROP TRIGGER {name}")
        op.execute("DROP TABLE app_search_fts")
    else:
        op.execute("DROP INDEX ix_app_search_document")
    with op.batch_alter_table('app_search', schema=None) as batch_op:
        batch_op.drop_index('ix_app_search_store_id_sort_name')
        batch_op.drop_index('ix_app_search_store_id_package')
        batch_op.drop_index('ix_app_search_store_id_category')
    op.drop_table('app_search')
