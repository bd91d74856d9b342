"""The hot path never blocks the event loop: no SQL and no password hashing run
on it, whatever the request (cache misses included) — they go to a thread, and
the answer is the same."""

from __future__ import annotations

import base64
import hashlib

import pytest

from apkdepot.index.cache import on_event_loop
from tests.helpers import create_store, flush, make_developer, upload


@pytest.fixture
def blocking_on_loop(svc, monkeypatch):
    """Every database read and password check made while on the event loop."""
    seen: list[str] = []

    def guard(name, original):
        def wrapper(*args, **kwargs):
            if on_event_loop():
                seen.append(name)
            return original(*args, **kwargs)
        return wrapper

    monkeypatch.setattr(svc.db, "read", guard("db.read", svc.db.read))
    monkeypatch.setattr(svc.db, "write", guard("db.write", svc.db.write))
    for name in ("verify_password", "verify_passhash"):
        monkeypatch.setattr(svc.passwords, name, guard(name, getattr(svc.passwords, name)))
    return seen


def test_hot_requests_keep_blocking_work_off_the_loop(client, svc, blocking_on_loop):
    _, token = make_developer(svc)
    other_tokens = [make_developer(svc, f"d{i}@example.com")[1] for i in range(3)]
    create_store(client, token, "shop")
    create_store(client, token, "vault", private=True, basic_user="team", basic_password="hunter22")
    hashes = []
    for name in ("alpha-1.apk", "beta-10.apk", "gamma-5.apk"):
        upload(client, token, "shop", name)
        flush(client)
        hashes.append(client.get("/api/7/store/getMeta/store_name=shop").json()["data"]["hash"])
    upload(client, token, "vault", "alpha-1.apk")
    flush(client)
    blocking_on_loop.clear()

    for dev_token in [token, *other_tokens]:  # token look-ups that miss the cache
        for old in hashes:  # change counts that miss the cache
            answer = client.get(f"/webservices/2/listRepositoryChange/shop/{old}/json", params={"token": dev_token})
            assert answer.json()["status"] == "OK"
    counts = client.get(f"/webservices/2/listRepositoryChange/shop/{hashes[0]}/json", params={"token": token}).json()
    assert counts["listing"][0] == {"repo": "shop", "hasupdates": "TRUE", "added": 2, "removed": 0}
    meta = client.get("/api/7/store/getMeta", params={"store_name": "vault", "store_user": "team",
                                                     "store_pass_sha1": hashlib.sha1(b"hunter22").hexdigest()})
    assert meta.json()["data"]["access"] == "PRIVATE"
    basic = {"Authorization": "Basic " + base64.b64encode(b"team:hunter22").decode()}
    assert client.get("/repo/vault/info.xml", headers=basic).status_code == 200
    assert client.get(f"/repo/shop/info.xml?hash={hashes[0]}").status_code == 200
    assert blocking_on_loop == []
