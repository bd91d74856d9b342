"""apkdepot backup / restore: a backup taken while serving, restored into a
fresh data directory (SQLite, whichever database it came from), serves
byte-identical indexes, files and credentials."""

from __future__ import annotations

import json
import stat

import pytest

from apkdepot.backup import backup
from apkdepot.cli import main
from tests.conftest import BACKENDS
from tests.helpers import PASSWORD, auth, client_with, create_store, flush, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

PATHS = ("/repo/shop/info.xml", "/repo/shop/info.xml?hash=00000000000000000000000000000000",
         "/fdroid/shop/repo/index-v2.json", "/fdroid/shop/repo/entry.jar", "/fdroid/shop/repo/index-v1.jar",
         "/api/7/store/getMeta/store_name=shop")


def _served(client) -> dict[str, bytes]:
    """What devices fetch, byte for byte."""
    found = {}
    for path in PATHS:
        answer = client.get(path, headers={"Accept-Encoding": "identity"})
        assert answer.status_code == 200, (path, answer.text[:200])
        # The v7 answer also says how long it took: its data is what must be the same.
        found[path] = json.dumps(answer.json()["data"]).encode() if path.startswith("/api/7/") else answer.content
    return found


def test_a_backup_taken_while_serving_restores_into_a_fresh_installation(client, svc, tmp_path, capsys, mailer):
    developer, token = make_developer(svc, "owner@example.com")
    create_store(client, token, "shop", description="Backed up")
    for name in ("alpha-1.apk", "gamma-5.apk", "gamma-6.apk"):
        assert upload(client, token, "shop", name).status_code == 201
    listing = {"locales": {"en-US": {"name": "Alpha", "summary": "First", "description": "The first app"}}}
    assert client.put("/api/stores/shop/apps/org.apkdepot.alpha/listing", json=listing,
                      headers=auth(token)).status_code == 200
    flush(client)
    before = _served(client)
    apks = client.get("/api/stores/shop/apks", headers=auth(token)).json()["apks"]
    apk_path = apks[0]["url"].removeprefix("http://testserver.local")
    apk_bytes = client.get(apk_path).content

    summary = backup(svc, tmp_path / "backups")
    manifest = json.loads((summary.folder / "manifest.json").read_text())
    assert manifest["rows"]["apks"] == 3 and manifest["blobs"] == summary.blobs > 0
    assert stat.S_IMODE((summary.folder / "secret.key").stat().st_mode) == 0o600

    restored = tmp_path / "restored"
    assert main(["restore", str(summary.folder), "--data", str(restored)]) == 0
    assert "restored" in capsys.readouterr().out
    database = f"sqlite:///{restored / 'apkdepot.sqlite3'}"
    with client_with(tmp_path / "second", database, mailer, data_dir=restored) as second:
        assert _served(second) == before
        assert second.get(apk_path).content == apk_bytes
        # The same secret: the dev token and the password still work; the audit log came along.
        assert second.get("/webservices/2/getRepositoryInfo/shop/json", params={"token": token}).json()["status"] == "OK"
        assert second.post("/api/accounts/login", json={"email": developer.email, "password": PASSWORD}).status_code == 200
        actions = [e["action"] for e in second.get("/api/audit", headers=auth(token)).json()["events"]]
        assert "store.create" in actions and "listing.update" in actions
        # New rows continue after the restored ones.
        create_store(second, token, "after")
        assert upload(second, token, "after", "beta-10.apk").status_code == 201

    # A second restore into the same installation, or into one with another secret, is refused.
    assert main(["restore", str(summary.folder), "--data", str(restored)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["init", "--data", str(tmp_path / "other")]) == 0
    assert main(["restore", str(summary.folder), "--data", str(tmp_path / "other")]) == 2
    assert "another secret" in capsys.readouterr().err
    assert main(["restore", str(tmp_path), "--data", str(tmp_path / "third")]) == 2
    assert "not an ApkDepot backup" in capsys.readouterr().err
