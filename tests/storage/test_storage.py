"""Blob storage on both backends: a local directory and S3 (moto's server)."""

from __future__ import annotations

import socket

import pytest

from apkdepot.storage import LocalBlobStorage, S3BlobStorage
from tests.helpers import create_store, fixture, flush, make_developer, upload


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_settings(s3_endpoint):
    import uuid

    import boto3

    bucket = f"apkdepot-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", aws_access_key_id="test",
                 aws_secret_access_key="test").create_bucket(Bucket=bucket)
    return dict(s3_bucket=bucket, s3_prefix="depot", s3_endpoint_url=s3_endpoint, s3_region="us-east-1",
                s3_access_key="test", s3_secret_key="test")


@pytest.fixture(params=["local", "s3"])
def blobs(request, tmp_path):
    if request.param == "local":
        return LocalBlobStorage(tmp_path / "blobs")
    s = request.getfixturevalue("s3_settings")
    return S3BlobStorage(s["s3_bucket"], s["s3_prefix"], s["s3_endpoint_url"], s["s3_region"],
                         s["s3_access_key"], s["s3_secret_key"])


def test_put_get_range_size_delete_keys(blobs, tmp_path):
    source = tmp_path / "source.bin"
    data = bytes(range(256)) * 1000
    source.write_bytes(data)
    blobs.put_file("apks/a.apk", source)
    blobs.put_bytes("icons/b.png", b"png-bytes")
    assert blobs.get_bytes("apks/a.apk") == data
    assert blobs.size("apks/a.apk") == len(data) and blobs.size("apks/missing") is None
    assert b"".join(blobs.iter_range("apks/a.apk", 1000, 70999)) == data[1000:71000]
    assert sorted(blobs.keys("apks/")) == ["apks/a.apk"]
    assert blobs.exists("icons/b.png")
    blobs.delete("icons/b.png")
    assert not blobs.exists("icons/b.png")


@pytest.mark.parametrize("key", ["../x", "/abs", "a//b", "a/./b", ""])
def test_keys_cannot_escape(blobs, key):
    with pytest.raises(ValueError):
        blobs.put_bytes(key, b"x")


def test_local_writes_are_atomic(tmp_path):
    blobs = LocalBlobStorage(tmp_path / "blobs")

    class Boom(Exception):
        pass

    def explode(fh):
        fh.write(b"half")
        raise Boom

    with pytest.raises(Boom):
        blobs._atomic_write("apks/x.apk", explode)
    assert list((tmp_path / "blobs").rglob("*.apk")) == []
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


def test_publish_and_download_through_s3(tmp_path, database_url, s3_settings):
    from litestar.testing import TestClient

    from apkdepot.app import create_app
    from apkdepot.services import build_services
    from tests.conftest import RecordingMailer, make_settings

    svc = build_services(make_settings(tmp_path, database_url, **s3_settings), mailer=RecordingMailer())
    assert isinstance(svc.blobs, S3BlobStorage)
    _, token = make_developer(svc)
    app = create_app(services=svc)
    with TestClient(app, base_url="http://testserver.local") as client:
        client.litestar = app.app
        create_store(client, token)
        assert upload(client, token, "shop", "alpha-2.apk").status_code == 201
        # A rejected upload leaves nothing in the bucket either.
        before = sorted(svc.blobs.keys(""))
        assert upload(client, token, "shop", "alpha-3-otherkey.apk").json()["errors"][0]["code"] == "APK-10"
        assert sorted(svc.blobs.keys("")) == before
        flush(client)
        assert "org.apkdepot.alpha" in client.get("/repo/shop/info.xml").text
        data = fixture("alpha-2.apk").read_bytes()
        assert client.get("/repo/shop/apk/org.apkdepot.alpha_2.apk").content == data
        part = client.get("/repo/shop/apk/org.apkdepot.alpha_2.apk", headers={"Range": "bytes=10-19"})
        assert part.status_code == 206 and part.content == data[10:20]
    svc.close()
