"""info.xml deltas are made once per (old version, current version) and kept as
files: later requests, in any process, read them back instead of asking the
database; the garbage collector keeps only those towards the current version."""

from __future__ import annotations

from apkdepot.catalog.gc import collect_garbage
from apkdepot.index import versions
from tests.helpers import create_store, flush, make_developer, state, upload


def test_a_delta_is_made_once_then_read_back(client, svc, monkeypatch):
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    old = client.get("/api/7/store/getMeta/store_name=shop").json()["data"]["hash"]
    upload(client, token, "shop", "beta-10.apk")
    flush(client)
    made = []
    real = versions.delta_xml
    monkeypatch.setattr(versions, "delta_xml", lambda *a, **k: made.append(a[3:6]) or real(*a, **k))
    first = client.get(f"/repo/shop/info.xml?hash={old}", headers={"Accept-Encoding": "identity"})
    assert first.status_code == 200 and b"org.apkdepot.beta" in first.content and len(made) == 1
    state(client).runtime.cache.deltas.clear()  # as another process, or after eviction
    again = client.get(f"/repo/shop/info.xml?hash={old}", headers={"Accept-Encoding": "identity"})
    packed = client.get(f"/repo/shop/info.xml?hash={old}", headers={"Accept-Encoding": "gzip"})
    assert again.content == first.content and len(made) == 1
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.content == first.content  # httpx decodes the gzip body it asked for
    kept = [k for k in svc.blobs.keys("deltas/")]
    assert len(kept) == 2  # plain and gzip
    # A new version: the old delta files are collected, nothing else is.
    upload(client, token, "shop", "gamma-5.apk")
    flush(client)
    collect_garbage(svc, grace_seconds=0)
    assert [k for k in svc.blobs.keys("deltas/")] == []
    assert client.get(f"/repo/shop/info.xml?hash={old}").status_code == 200
    assert len([k for k in svc.blobs.keys("deltas/")]) >= 1
