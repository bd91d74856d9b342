"""A SQLite installation's backup restored into PostgreSQL: the same answers,
and new rows continue after the restored ids (the sequences follow)."""

from __future__ import annotations

import pytest

from apkdepot.backup import backup
from apkdepot.cli import main
from tests.conftest import _empty_postgres
from tests.helpers import auth, client_with, create_store, flush, make_developer, upload
from tests.test_backup import _served

pytestmark = pytest.mark.postgres


def test_a_sqlite_backup_restores_into_postgresql(client, svc, tmp_path, mailer, postgres_database):
    _, token = make_developer(svc, "owner@example.com")
    create_store(client, token, "shop")
    for name in ("alpha-1.apk", "gamma-5.apk"):
        assert upload(client, token, "shop", name).status_code == 201
    flush(client)
    before = _served(client)
    summary = backup(svc, tmp_path / "backups")
    _empty_postgres(postgres_database)
    restored = tmp_path / "restored"
    assert main(["restore", str(summary.folder), "--data", str(restored), "--database-url", postgres_database]) == 0
    with client_with(tmp_path / "second", postgres_database, mailer, data_dir=restored) as second:
        assert _served(second) == before
        create_store(second, token, "after")
        assert upload(second, token, "after", "beta-10.apk").status_code == 201
        assert second.put("/api/stores/shop/categories", json={"categories": [{"name": "Tools"}]},
                          headers=auth(token)).status_code == 200
