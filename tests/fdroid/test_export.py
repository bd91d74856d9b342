"""apkdepot export-store: a store's F-Droid repository as plain files, which
fdroidserver accepts from nginx serving them statically."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess

import httpx
import pytest

from apkdepot.cli import main
from tests.conftest import TOOL_PATHS, needs_tool
from tests.helpers import FIXTURES, WAIT_CAP_SECONDS, auth, create_store, flush, make_developer, upload, wait_for

pytestmark = needs_tool("nginx", "jarsigner")

STATIC_NGINX = """
{user}worker_processes 1; daemon off; pid {prefix}/nginx.pid; error_log {prefix}/error.log warn;
events {{ worker_connections 64; }}
http {{ access_log off; client_body_temp_path {prefix}/tmp; proxy_temp_path {prefix}/tmp;
  fastcgi_temp_path {prefix}/tmp; uwsgi_temp_path {prefix}/tmp; scgi_temp_path {prefix}/tmp;
  types {{ application/json json; application/java-archive jar; application/vnd.android.package-archive apk;
           image/png png; application/xml xml; }}
  server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
"""


def test_an_exported_store_is_a_repository_fdroidserver_accepts_from_a_static_server(client, svc, tmp_path, capsys):
    import fdroidserver.common
    import fdroidserver.index
    from fdroidserver.exception import VerificationException

    from tests.test_server import free_port

    fdroidserver.common.config = {"jarsigner": shutil.which("jarsigner")}
    _, token = make_developer(svc)
    create_store(client, token, "shop", description="Exported")
    for name in ("alpha-1.apk", "alpha-2.apk", "gamma-5.apk"):
        assert upload(client, token, "shop", name).status_code == 201
        flush(client)  # one index version each: entry.jar names diffs
    fingerprint = client.get("/api/stores/shop", headers=auth(token)).json()["store"]["fdroid"]["fingerprint"]
    target = tmp_path / "export"
    data = str(svc.settings.data_dir)
    assert main(["export-store", "shop", str(target), "--data", data,
                 "--database-url", svc.settings.database_url]) == 0
    assert "exported index version" in capsys.readouterr().out
    served = client.get("/fdroid/shop/repo/index-v2.json").content
    assert (target / "repo" / "index-v2.json").read_bytes() == served
    assert (target / "repo" / "entry.jar").read_bytes() == client.get("/fdroid/shop/repo/entry.jar").content
    assert sorted(p.name for p in (target / "repo" / "diff").iterdir())  # the diffs entry.jar names

    port = free_port()
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    (prefix / "nginx.conf").write_text(STATIC_NGINX.format(
        user="user root;\n" if os.geteuid() == 0 else "", prefix=prefix, port=port, root=target))
    nginx = subprocess.Popen([TOOL_PATHS["nginx"], "-c", str(prefix / "nginx.conf"), "-p", str(prefix)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/repo"
    try:
        def up() -> bool:
            if nginx.poll() is not None:
                pytest.fail("nginx exited: " + nginx.stderr.read().decode())
            try:
                return httpx.get(base + "/entry.jar", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(up, "nginx serving the exported folder")
        index, _ = fdroidserver.index.download_repo_index_v2(f"{base}?fingerprint={fingerprint}")
        versions = [v for package in index["packages"].values() for v in package["versions"].values()]
        assert len(versions) == 3
        for version in versions:
            data = httpx.get(base + version["file"]["name"], timeout=WAIT_CAP_SECONDS).content
            assert hashlib.sha256(data).hexdigest() == version["file"]["sha256"]
        assert {hashlib.sha256((FIXTURES / n).read_bytes()).hexdigest() for n in ("alpha-1.apk", "alpha-2.apk",
                                                                                    "gamma-5.apk")} \
            == {v["file"]["sha256"] for v in versions}
        with pytest.raises(VerificationException):  # a wrong fingerprint is refused, as from the live server
            fdroidserver.index.download_repo_index_v2(f"{base}?fingerprint={'AB' * 32}")
    finally:
        nginx.terminate()
        nginx.wait(timeout=WAIT_CAP_SECONDS)


def test_private_suspended_and_unknown_stores_are_not_exported(client, svc, tmp_path, capsys):
    from apkdepot import operators

    _, token = make_developer(svc)
    create_store(client, token, "hidden", private=True, basic_user="u", basic_password="password1")
    create_store(client, token, "paused")
    operators.set_suspended(svc, "paused", "checking")
    data = ["--data", str(svc.settings.data_dir), "--database-url", svc.settings.database_url]
    for name, why in (("hidden", "private or suspended"), ("paused", "private or suspended"),
                      ("nope", "no store named")):
        assert main(["export-store", name, str(tmp_path / name), *data]) == 2
        assert why in capsys.readouterr().err
        assert not (tmp_path / name).exists()
