"""A publish in one store does not make every process forget every developer
token; an account change does (the accounts clock moves, the catalog's does not)."""

from __future__ import annotations

from apkdepot.accounts import services as accounts
from apkdepot.accounts.tokens import digest
from tests.helpers import create_store, flush, make_developer, state, upload


def test_publishes_keep_tokens_and_account_changes_forget_them(client, svc):
    developer, token = make_developer(svc)
    create_store(client, token, "shop")
    cache = state(client).runtime.cache
    assert client.get("/webservices/2/getRepositoryInfo/shop/json", params={"token": token}).json()["status"] == "OK"
    assert cache.tokens.peek(digest(token)) is not None
    catalog_before, accounts_before = cache.current_clock()
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    catalog_after, accounts_after = cache.current_clock()
    assert catalog_after > catalog_before and accounts_after == accounts_before
    assert cache.tokens.peek(digest(token)) is not None  # still known: no SQL for it after a publish
    new_token = accounts.regenerate_token(svc, developer.id)
    cache.refresh(wait=True)
    assert cache.current_clock()[1] > accounts_after and cache.tokens.peek(digest(token)) is None
    old = client.get("/webservices/2/getRepositoryInfo/shop/json", params={"token": token}).json()
    assert old["status"] == "FAIL" and old["errors"][0]["code"] == "IARG-2"
    assert client.get("/webservices/2/getRepositoryInfo/shop/json", params={"token": new_token}).json()["status"] == "OK"
