"""The static mirror: info.xml answers laid out for nginx to send itself
(APKDEPOT_STATIC_MIRROR_DIR with deploy/nginx/apkdepot.conf). What is linked
there is exactly what ApkDepot answers, moves the moment a version commits,
and never holds a private store."""

from __future__ import annotations

import gzip
import hashlib
import os
import subprocess

import httpx
import pytest

from apkdepot.config import SettingsError, load_settings
from bench.update_check import front_config
from tests.conftest import TOOL_PATHS, needs_tool
from tests.helpers import WAIT_CAP_SECONDS, auth, client_with, create_store, flush, make_developer, upload, wait_for

def _etag(client, store: str) -> str:
    return client.get(f"/repo/{store}/info.xml", headers={"Accept-Encoding": "identity"}).headers["etag"].strip('"')


def test_answers_are_linked_for_the_current_version_only(tmp_path, database_url, mailer):
    mirror = tmp_path / "static"
    with client_with(tmp_path, database_url, mailer, static_mirror_dir=str(mirror)) as client:
        _, token = make_developer(client.svc)
        create_store(client, token, "shop")
        upload(client, token, "shop", "alpha-1.apk")
        flush(client)
        first = _etag(client, "shop")
        upload(client, token, "shop", "beta-10.apk")
        flush(client)
        store_dir = mirror / "shop"
        assert store_dir.is_symlink()

        full = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).content
        delta = client.get(f"/repo/shop/info.xml?hash={first}", headers={"Accept-Encoding": "identity"}).content
        current = hashlib.md5(full).hexdigest()
        none_new = client.get(f"/repo/shop/info.xml?hash={current}", headers={"Accept-Encoding": "gzip"})
        # Each answer is there in both encodings, byte for byte what was served.
        assert (store_dir / "index.xml").read_bytes() == full
        assert gzip.decompress((store_dir / "index.xml.gz").read_bytes()) == full
        assert (store_dir / f"{first}.xml").read_bytes() == delta and b"org.apkdepot.beta" in delta
        assert gzip.decompress((store_dir / f"{first}.xml.gz").read_bytes()) == delta
        assert (store_dir / f"{current}.xml").read_bytes() == none_new.content
        # An unknown hash stays with ApkDepot (there are unboundedly many).
        client.get(f"/repo/shop/info.xml?hash={'0' * 32}")
        assert not (store_dir / f"{'0' * 32}.xml").exists()

        # A new version moves the link at once: nothing of the old one is reachable.
        client.delete("/api/stores/shop/apps/org.apkdepot.beta", headers=auth(token))
        flush(client)
        assert not (store_dir / "index.xml").exists() and not (store_dir / f"{first}.xml").exists()
        again = client.get(f"/repo/shop/info.xml?hash={first}", headers={"Accept-Encoding": "identity"}).content
        assert (store_dir / f"{first}.xml").read_bytes() == again and b"org.apkdepot.beta" not in again

        # Private: gone from the mirror before the change returns.
        changed = client.patch("/api/stores/shop", headers=auth(token),
                               json={"private": True, "basic_user": "u", "basic_password": "secret-pass1"})
        assert changed.status_code == 200, changed.text
        assert not store_dir.exists() and not (mirror / ".v" / "shop").exists()
        client.get("/repo/shop/info.xml", auth=("u", "secret-pass1"))
        assert not store_dir.exists()


def test_a_lagging_process_never_moves_the_link_back(tmp_path):
    from apkdepot.index.static_mirror import StaticMirror

    mirror = StaticMirror(tmp_path / "static")
    mirror.advance("shop", 5)
    mirror.advance("shop", 4)
    assert mirror.current_version("shop") == 5
    source = tmp_path / "blob.xml"
    source.write_bytes(b"<apklst/>")
    assert not mirror.offer("shop", 4, "index.xml", source)  # made for a version no longer current
    assert mirror.offer("shop", 5, "index.xml", source)
    assert (tmp_path / "static" / "shop" / "index.xml").read_bytes() == b"<apklst/>"
    assert source.stat().st_mode & 0o777 == 0o644  # readable by the front server's user
    mirror.sync([("shop", False, 6), ("other", True, 1)])
    assert mirror.current_version("shop") == 6 and not (tmp_path / "static" / "shop" / "index.xml").exists()


def test_the_mirror_needs_a_public_url_and_local_blobs(tmp_path):
    with pytest.raises(SettingsError):
        load_settings({"APKDEPOT_STATIC_MIRROR_DIR": str(tmp_path)})
    with pytest.raises(SettingsError):
        load_settings({"APKDEPOT_STATIC_MIRROR_DIR": str(tmp_path), "APKDEPOT_PUBLIC_URL": "http://x.test",
                       "APKDEPOT_S3_BUCKET": "b"})
    assert load_settings({"APKDEPOT_STATIC_MIRROR_DIR": str(tmp_path),
                          "APKDEPOT_PUBLIC_URL": "http://x.test"}).static_mirror_dir == str(tmp_path)


@needs_tool("nginx")
def test_nginx_sends_what_apkdepot_would_and_follows_each_publish(tmp_path):
    from tests.test_server import free_port, start_server, stop

    nginx_binary = TOOL_PATHS["nginx"]
    mirror = tmp_path / "static"
    port = free_port()
    front = f"http://127.0.0.1:{port}"
    process, base = start_server(tmp_path / "data", tmp_path / "server.log", workers=1, extra_env={
        "APKDEPOT_STATIC_MIRROR_DIR": str(mirror), "APKDEPOT_PUBLIC_URL": front})
    prefix = tmp_path / "nginx"
    (prefix / "tmp").mkdir(parents=True)
    # Workers as root only because the test's scratch directories are private to it
    # (a deployment gives nginx's user access to the data directory instead).
    (prefix / "nginx.conf").write_text(front_config(prefix, port, base.removeprefix("http://"), mirror,
                                                    as_root=os.geteuid() == 0))
    nginx = subprocess.Popen([nginx_binary, "-c", str(prefix / "nginx.conf"), "-p", str(prefix)],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def nginx_up() -> bool:
            if nginx.poll() is not None:
                pytest.fail("nginx exited: " + nginx.stderr.read().decode())
            try:
                return httpx.get(front + "/healthz", timeout=5).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(nginx_up, "nginx to proxy /healthz")
        with httpx.Client(base_url=front, timeout=WAIT_CAP_SECONDS) as client:
            plain = {"Accept-Encoding": "identity"}
            first = client.get("/repo/demo/info.xml", headers=plain)
            # ApkDepot answered it (its ETag is the index MD5) and linked it for nginx.
            assert first.headers["etag"] == f'"{hashlib.md5(first.content).hexdigest()}"'
            wait_for(lambda: (mirror / "demo" / "index.xml").exists(), "the full index to be mirrored")
            second = client.get("/repo/demo/info.xml", headers=plain)
            assert second.content == first.content and second.headers["etag"] != first.headers["etag"]  # nginx's own
            assert second.headers["content-type"].startswith("application/xml")
            assert second.headers["cache-control"] == "no-cache"
            packed = client.get("/repo/demo/info.xml", headers={"Accept-Encoding": "gzip"})
            assert packed.headers["content-encoding"] == "gzip" and packed.content == first.content
            assert "accept-encoding" in packed.headers["vary"].lower()

            held = hashlib.md5(first.content).hexdigest()
            # The current hash: the empty delta, answered once by ApkDepot, then by nginx.
            unchanged = client.get(f"/repo/demo/info.xml?hash={held}", headers=plain).content
            assert f"<delta>{held}</delta>".encode() in unchanged
            wait_for(lambda: (mirror / "demo" / f"{held}.xml").exists(), "the empty delta to be mirrored")
            assert client.get(f"/repo/demo/info.xml?hash={held}", headers=plain).content == unchanged
            # Anything nginx cannot name goes to ApkDepot.
            assert client.get(f"/repo/demo/info.xml?hash={held.upper()}", headers=plain).content == unchanged
            assert client.get("/repo/demo/info.xml?hash=../../etc/passwd", headers=plain).content == first.content

            # A publish through the front: the next poll with the held hash gets the delta.
            token = client.post("/webservices/2/checkUserCredentials", data={
                "user": "demo@apkdepot.localhost", "passhash": hashlib.sha1(b"demo-pass1").hexdigest()}).json()["token"]
            removed = client.delete("/api/stores/demo/apps/org.apkdepot.beta", headers=auth(token))
            assert removed.status_code in (200, 204)

            def delta_served() -> bytes | None:
                body = client.get(f"/repo/demo/info.xml?hash={held}", headers=plain).content
                return body if b"<del/>" in body else None

            delta = wait_for(delta_served, "the new version's delta through nginx")
            assert b"<apkid>org.apkdepot.beta</apkid>" in delta
            wait_for(lambda: (mirror / "demo" / f"{held}.xml").exists(), "the new delta to be mirrored")
            assert client.get(f"/repo/demo/info.xml?hash={held}", headers=plain).content == delta
    finally:
        nginx.terminate()
        nginx.wait(timeout=WAIT_CAP_SECONDS)
        stop(process)
