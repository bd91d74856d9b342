import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from apkdepot.db.engine import make_engine
from apkdepot.db.migrate import downgrade, upgrade
from apkdepot.db.schema import include_object, metadata
from tests.conftest import BACKENDS


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
def test_migrations_create_exactly_the_declared_schema(database_url):
    engine = make_engine(database_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), metadata)
    engine.dispose()
    assert diff == []


def test_migrations_go_down_and_up_again(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade(engine)
    downgrade(engine, "base")
    upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"include_object": include_object}), metadata) == []
    engine.dispose()
