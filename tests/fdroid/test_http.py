"""The F-Droid repository's HTTP: ETag and If-None-Match, gzip, Range and 416,
HEAD, for the version files, diffs and APKs alike."""

from __future__ import annotations

import pytest

from tests.helpers import create_store, flush, make_developer, upload


@pytest.fixture
def repo(client, svc):
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    old_timestamp = client.get("/fdroid/shop/repo/entry.json").json()["timestamp"]
    upload(client, token, "shop", "gamma-5.apk")
    flush(client)
    return old_timestamp


@pytest.mark.parametrize("name", ["entry.json", "index-v2.json", "entry.jar", "index-v1.jar", "diff/{old}.json",
                                  "org.apkdepot.alpha_1.apk"])
def test_etag_304_range_416_and_head(client, repo, name):
    url = "/fdroid/shop/repo/" + name.format(old=repo)
    whole = client.get(url, headers={"Accept-Encoding": "identity"})
    assert whole.status_code == 200, whole.text
    etag = whole.headers["etag"]
    size = len(whole.content)
    assert size > 20 and whole.headers["accept-ranges"] == "bytes"
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    part = client.get(url, headers={"Range": "bytes=10-19", "Accept-Encoding": "identity"})
    assert part.status_code == 206 and part.content == whole.content[10:20]
    assert part.headers["content-range"] == f"bytes 10-19/{size}"
    tail = client.get(url, headers={"Range": "bytes=-5", "Accept-Encoding": "identity"})
    assert tail.status_code == 206 and tail.content == whole.content[-5:]
    beyond = client.get(url, headers={"Range": f"bytes={size}-", "Accept-Encoding": "identity"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{size}"
    head = client.head(url, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200 and head.content == b"" and head.headers["etag"] == etag


@pytest.mark.parametrize("name", ["entry.json", "index-v2.json", "diff/{old}.json"])
def test_json_files_are_gzipped_on_request(client, repo, name):
    url = "/fdroid/shop/repo/" + name.format(old=repo)
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    packed = client.get(url, headers={"Accept-Encoding": "gzip"}, extensions={})
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    assert packed.content == plain.content  # the client undoes the gzip
    assert client.get(url, headers={"If-None-Match": packed.headers["etag"]}).status_code == 304
    assert int(packed.headers["content-length"]) < len(plain.content)
