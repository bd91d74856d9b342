"""Remembered state is forgotten one store and one developer at a time: a
publish in one store keeps every other store's answers and every token; a
developer's new token forgets that developer's token alone."""

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


def _counting_answers(monkeypatch, dispatch=None) -> list[str]:
    """The paths the hot path had to answer afresh (not from its remembered
    answers), of the web services or of the given dispatch module."""
    if dispatch is None:
        from apkdepot.api.ws import dispatch

    made: list[str] = []
    real = dispatch.answer

    async def counting(request):
        made.append(request.scope["path"])
        return await real(request)

    monkeypatch.setattr(dispatch, "answer", counting)
    return made


def _hash(client, store: str) -> str:
    return client.get(f"/repo/{store}/info.xml", headers={"Accept-Encoding": "identity"}).headers["etag"].strip('"')


def test_a_publish_forgets_only_the_answers_that_read_its_store(client, svc, monkeypatch):
    _, token = make_developer(svc)
    for name in ("one", "two"):
        create_store(client, token, name)
        upload(client, token, name, "alpha-1.apk")
    flush(client)
    held = {name: _hash(client, name) for name in ("one", "two")}
    made = _counting_answers(monkeypatch)

    def check(name: str) -> dict:
        return client.get(f"/webservices/listRepositoryChange/{name}/{held[name]}/json",
                          params={"token": token}).json()["listing"][0]

    # The first asks may be answered off the loop (the token's first lookup), and only
    # answers made from the snapshot alone are remembered: ask until both are.
    assert check("one")["hasupdates"] == "FALSE" and check("two")["hasupdates"] == "FALSE"
    check("one"), check("two")
    made.clear()
    check("one"), check("two")
    assert made == []  # both remembered

    upload(client, token, "two", "beta-10.apk")
    flush(client)
    assert check("one")["hasupdates"] == "FALSE"
    assert made == []  # store one's answer survived the publish in store two
    assert check("two") == {"repo": "two", "hasupdates": "TRUE", "added": 1, "removed": 0}
    assert len(made) == 1  # store two's was made again, with the new version


def test_an_answer_naming_an_unknown_store_is_made_again_once_the_store_exists(client, svc):
    _, token = make_developer(svc)
    path = f"/webservices/listRepositoryChange/later/{'0' * 32}/json"
    first = client.get(path, params={"token": token}).json()
    client.get(path, params={"token": token})
    create_store(client, token, "later")
    flush(client)
    second = client.get(path, params={"token": token}).json()
    assert first != second and second["listing"][0]["repo"] == "later"
    assert second["listing"][0]["hasupdates"] == "TRUE"


def test_a_new_token_forgets_only_that_developers_token(client, svc, monkeypatch):
    first, first_token = make_developer(svc, "first@example.com")
    _, second_token = make_developer(svc, "second@example.com")
    create_store(client, first_token, "mine")
    flush(client)
    cache = state(client).runtime.cache
    for token in (first_token, second_token):
        client.get("/webservices/2/getRepositoryInfo/mine/json", params={"token": token})
    assert cache.tokens.peek(digest(second_token)) is not None
    accounts.regenerate_token(svc, first.id)
    cache.refresh(wait=True)
    assert cache.tokens.peek(digest(first_token), "gone") == "gone"
    assert cache.tokens.peek(digest(second_token)) is not None  # the other developer's is kept


def test_an_unknown_token_that_becomes_valid_is_looked_up_again(client, svc):
    developer, _ = make_developer(svc)
    cache = state(client).runtime.cache
    create_store(client, accounts.dev_token(svc, developer), "mine")
    # A token that matched nobody is remembered as such until any token changes.
    cache.developer_for_token("not-a-token-yet")
    assert cache.tokens.peek(digest("not-a-token-yet"), "gone") is None
    new_token = accounts.regenerate_token(svc, developer.id)
    cache.refresh(wait=True)
    assert cache.tokens.peek(digest("not-a-token-yet"), "gone") == "gone"
    assert client.get("/webservices/2/getRepositoryInfo/mine/json", params={"token": new_token}).json()["status"] == "OK"


def test_a_store_listing_page_is_remembered_until_its_store_or_the_download_epoch_moves(client, svc, monkeypatch):
    import hashlib

    from apkdepot.index import cache as cache_module

    _, token = make_developer(svc)
    create_store(client, token, "shop")
    create_store(client, token, "vault", private=True, basic_user="team", basic_password="hunter22")
    for store in ("shop", "vault"):
        upload(client, token, store, "alpha-1.apk")
    flush(client)
    epoch = [1000]
    monkeypatch.setattr(cache_module, "current_epoch", lambda seconds: epoch[0])
    from apkdepot.api.v7 import dispatch as v7_dispatch

    made = _counting_answers(monkeypatch, v7_dispatch)
    page = "/api/7/apps/get/store_name=shop/limit=10"
    first = client.get(page)
    assert first.status_code == 200 and first.headers["x-request-id"]
    assert client.get(page).content == first.content
    assert made == [page]  # the second was the remembered answer
    made.clear()

    epoch[0] += 1  # the download counts it shows may have moved
    client.get(page)
    assert made == [page]

    made.clear()
    upload(client, token, "shop", "beta-10.apk")
    flush(client)
    listed = client.get(page).json()["datalist"]
    assert made == [page] and listed["total"] == 2

    # A private store's page is remembered per credentials: wrong ones never get the right ones' answer.
    right = {"store_user": "team", "store_pass_sha1": hashlib.sha1(b"hunter22").hexdigest()}
    wrong = {"store_user": "team", "store_pass_sha1": hashlib.sha1(b"nope").hexdigest()}
    vault = "/api/7/apps/get/store_name=vault"
    assert client.get(vault, params=right).json()["datalist"]["total"] == 1
    assert client.get(vault, params=right).json()["datalist"]["total"] == 1
    assert client.get(vault, params=wrong).json()["errors"][0]["code"] == "STORE-4"
    assert client.get(vault).json()["errors"][0]["code"] == "STORE-3"
