"""The app list API for app owners: records, tokens, pagination, errors, limits."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from apkdepot.db.schema import owner_apps
from apkdepot.db.time import utcnow
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, make_developer, upload

BASE = "http://testserver.local/api/mng/apps"


def api_token(client, dev_token: str, name: str = "reporting") -> dict:
    response = client.post("/api/tokens", json={"name": name}, headers=auth(dev_token))
    assert response.status_code == 201, response.text
    return response.json()


def bulk_apps(svc, developer_id: int, count: int, prefix: str = "com.bulk") -> None:
    with svc.db.write() as conn:
        start = conn.execute(sa.select(sa.func.coalesce(sa.func.max(owner_apps.c.position) + 1, 0))
                             .where(owner_apps.c.developer_id == developer_id)).scalar_one()
        conn.execute(owner_apps.insert(), [dict(developer_id=developer_id, position=start + i, platform="android",
                                                app_id=f"{prefix}.app{i:05d}", name=f"App {i}", currency="USD",
                                                time_zone="UTC", status="pending", created_at=utcnow())
                                           for i in range(count)])


def listing(client, token: str, **params):
    return client.get("/api/mng/apps", params=params, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def generous(svc):
    """Pagination tests walk many pages: lift the per-token limits for them."""
    object.__setattr__(svc.settings, "app_list_per_minute", 100_000)
    object.__setattr__(svc.settings, "app_list_per_day", 100_000)


@pytest.mark.parametrize("database_url", BACKENDS, indirect=True)
@pytest.mark.parametrize("limit", [1000, 7, 333, 999])
def test_walking_next_visits_every_app_once(client, svc, generous, limit):
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 2501)
    token = api_token(client, dev_token)["token"]
    seen: list[str] = []
    url = f"{BASE}?limit={limit}" if limit != 1000 else BASE
    pages = 0
    previous_self = None
    while url:
        response = client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert list(body) == ["data", "meta", "links"]
        assert body["meta"] == {"total_items": 2501}
        offset = pages * limit
        assert body["links"]["self"] == f"{BASE}?offset={offset}&limit={limit}"
        if pages == 0:
            assert "prev" not in body["links"]
        else:
            assert body["links"]["prev"] == previous_self
        seen += [item["id"] for item in body["data"]]
        assert all(item["type"] == "app" for item in body["data"])
        previous_self = body["links"]["self"]
        url = body["links"].get("next")
        if url:
            assert url == f"{BASE}?offset={offset + limit}&limit={limit}"
        pages += 1
    assert len(seen) == len(set(seen)) == 2501
    assert seen == [f"com.bulk.app{i:05d}" for i in range(2501)]
    assert pages == -(-2501 // limit)


def test_record_shape_and_defaults(client, svc, generous):
    developer, dev_token = make_developer(svc)
    client.post("/api/apps", json={"platform": "ios", "id": "id123456789", "name": "My iPhone app",
                                   "currency": "jpy", "time_zone": "Asia/Tokyo", "enable_retargetting": True},
                headers=auth(dev_token))
    create_store(client, dev_token)
    upload(client, dev_token, "shop", "beta-10.apk")
    client.post("/api/apps", json={"platform": "android", "id": "com.future.app", "name": "Not yet"}, headers=auth(dev_token))
    token = api_token(client, dev_token)["token"]
    body = listing(client, token).json()
    assert body == {
        "data": [
            {"id": "id123456789", "type": "app", "attributes": {"name": "My iPhone app", "platform": "ios",
             "currency": "JPY", "time_zone": "Asia/Tokyo", "enable_retargetting": True, "status": "active"}},
            {"id": "org.apkdepot.beta", "type": "app", "attributes": {"name": "Beta & Co <b>", "platform": "android",
             "currency": "USD", "time_zone": "UTC", "status": "active"}},
            {"id": "com.future.app", "type": "app", "attributes": {"name": "Not yet", "platform": "android",
             "currency": "USD", "time_zone": "UTC", "status": "pending"}},
        ],
        "meta": {"total_items": 3},
        "links": {"self": f"{BASE}?offset=0&limit=1000"},
    }


def test_android_status_follows_publishing(client, svc, generous):
    developer, dev_token = make_developer(svc)
    token = api_token(client, dev_token)["token"]
    create_store(client, dev_token)
    upload(client, dev_token, "shop", "gamma-5.apk")
    status = lambda: listing(client, token).json()["data"][0]["attributes"]["status"]  # noqa: E731
    assert status() == "active"
    client.delete("/api/stores/shop/apps/org.apkdepot.gamma", headers=auth(dev_token))
    assert status() == "pending"
    upload(client, dev_token, "shop", "gamma-6.apk")
    assert status() == "active"


def test_app_settings_can_be_changed_and_are_checked(client, svc):
    _, dev_token = make_developer(svc)
    created = client.post("/api/apps", json={"platform": "ios", "id": "com.example.ios", "name": "iOS"}, headers=auth(dev_token))
    assert created.status_code == 201 and created.json()["app"]["attributes"]["status"] == "active"
    patched = client.patch("/api/apps/ios/com.example.ios", json={"currency": "BRL", "time_zone": "America/Sao_Paulo",
                                                                  "enable_retargetting": False}, headers=auth(dev_token))
    assert patched.json()["app"]["attributes"] == {"name": "iOS", "platform": "ios", "currency": "BRL",
                                                   "time_zone": "America/Sao_Paulo", "enable_retargetting": False,
                                                   "status": "active"}
    bad = client.patch("/api/apps/ios/com.example.ios", json={"currency": "XXXX", "time_zone": "Mars/Base",
                                                              "enable_retargetting": "yes"}, headers=auth(dev_token))
    assert [e["code"] for e in bad.json()["errors"]] == ["APPS-3", "APPS-4", "APPS-8"]
    assert client.patch("/api/apps/ios/nope", json={}, headers=auth(dev_token)).status_code == 404
    invalid = client.post("/api/apps", json={"platform": "windows", "id": "", "name": ""}, headers=auth(dev_token))
    assert [e["code"] for e in invalid.json()["errors"]] == ["APPS-1", "APPS-2", "APPS-5"]
    again = client.post("/api/apps", json={"platform": "ios", "id": "com.example.ios", "name": "x"}, headers=auth(dev_token))
    assert again.status_code == 409


def test_tokens_are_shown_once_listed_and_revoked(client, svc, generous):
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 3)
    created = api_token(client, dev_token, "ci")
    secret = created["token"]
    assert len(secret) > 700 and secret.startswith("apkd.")
    listed = client.get("/api/tokens", headers=auth(dev_token)).json()["api_tokens"]
    assert [(t["name"], t["revoked"]) for t in listed] == [("ci", False)]
    assert secret not in str(listed) and listed[0]["prefix"] == secret[:12]
    assert listing(client, secret).status_code == 200
    assert client.delete(f"/api/tokens/{created['api_token']['id']}", headers=auth(dev_token)).json() == {"status": "OK"}
    revoked = listing(client, secret)
    assert revoked.status_code == 401
    assert revoked.json() == {"errors": [{"status": "401", "title": "Unauthorized", "code": "MNG-1",
                                          "detail": "Authorization token is malformed"}]}


def test_tokens_are_private_to_their_owner(client, svc, generous):
    alice, alice_dev = make_developer(svc, "alice@example.com")
    bob, bob_dev = make_developer(svc, "bob@example.com")
    bulk_apps(svc, alice.id, 5, "com.alice")
    bulk_apps(svc, bob.id, 2, "com.bob")
    alice_token = api_token(client, alice_dev)
    bob_created = api_token(client, bob_dev)
    bob_token = bob_created["token"]
    ids = [a["id"] for a in listing(client, bob_token).json()["data"]]
    assert ids == ["com.bob.app00000", "com.bob.app00001"]
    # Bob can neither see nor revoke Alice's token, nor change her apps.
    # Both tokens have the same name: tell them apart by id.
    assert alice_token["api_token"]["id"] != bob_created["api_token"]["id"]
    assert [t["id"] for t in client.get("/api/tokens", headers=auth(bob_dev)).json()["api_tokens"]] == [
        bob_created["api_token"]["id"]]
    assert [t["id"] for t in client.get("/api/tokens", headers=auth(alice_dev)).json()["api_tokens"]] == [
        alice_token["api_token"]["id"]]
    assert client.delete(f"/api/tokens/{alice_token['api_token']['id']}", headers=auth(bob_dev)).status_code == 404
    assert listing(client, alice_token["token"]).status_code == 200
    assert client.patch("/api/apps/android/com.alice.app00000", json={"currency": "EUR"}, headers=auth(bob_dev)).status_code == 404
    # The dev token is not an API token, and an API token (apps:read) reaches no account endpoint.
    assert listing(client, bob_dev).status_code == 401
    refused = client.get("/api/accounts/me", headers=auth(bob_token))
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "TOKEN-5"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer abc", "Basic Zm9vOmJhcg==", "Bearer apkd." + "A" * 720])
def test_401_for_missing_malformed_and_unknown_tokens(client, svc, header):
    response = client.get("/api/mng/apps", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json()["errors"][0]["detail"] == "Authorization token is malformed"
    assert "ratelimit-policy" in response.headers


@pytest.mark.parametrize("params,codes", [
    ({"limit": "0"}, ["MNG-2"]), ({"limit": "1001"}, ["MNG-2"]), ({"limit": "ten"}, ["MNG-2"]),
    ({"offset": "-1"}, ["MNG-3"]), ({"offset": "x"}, ["MNG-3"]), ({"limit": "", "offset": "1.5"}, ["MNG-2", "MNG-3"]),
])
def test_400_for_bad_limit_or_offset(client, svc, params, codes):
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 1)
    response = listing(client, api_token(client, dev_token)["token"], **params)
    assert response.status_code == 400
    assert [e["code"] for e in response.json()["errors"]] == codes
    assert response.json()["errors"][0]["status"] == "400" and response.json()["errors"][0]["title"] == "Bad Request"


def test_404_when_the_account_has_no_apps(client, svc):
    _, dev_token = make_developer(svc)
    response = listing(client, api_token(client, dev_token)["token"])
    assert response.status_code == 404
    assert response.json() == {"errors": [{"status": "404", "title": "Not Found", "code": "MNG-4", "detail": "No apps found"}]}


def test_page_past_the_end_is_empty(client, svc):
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 3)
    body = listing(client, api_token(client, dev_token)["token"], offset=10, limit=2).json()
    assert body["data"] == [] and body["links"] == {"prev": f"{BASE}?offset=8&limit=2", "self": f"{BASE}?offset=10&limit=2"}


def test_token_listing_shows_when_it_was_last_used(client, svc, generous):
    developer, dev_token = make_developer(svc)
    bulk_apps(svc, developer.id, 1)
    token = api_token(client, dev_token)["token"]
    assert client.get("/api/tokens", headers=auth(dev_token)).json()["api_tokens"][0]["last_used_at"] is None
    listing(client, token)
    assert client.get("/api/tokens", headers=auth(dev_token)).json()["api_tokens"][0]["last_used_at"] is not None
