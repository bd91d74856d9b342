"""The v7 API (PROTOCOL §5)."""

from __future__ import annotations

import hashlib

import pytest

from tests.helpers import create_store, flush, make_developer, upload

SIGNER_A_SHA1 = "5a9d0cb1e478780046a7ea64542244561b1bc981"
SIGNER_B_SHA1 = "c9fcc526a4c57ef76140a6cd2b926247c13aca59"


@pytest.fixture
def world(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop", description="Things")
    create_store(client, token, "forked")
    create_store(client, token, "vault", private=True, basic_user="team", basic_password="hunter22")
    for name in ("alpha-2.apk", "beta-10.apk", "gamma-5.apk"):
        upload(client, token, "shop", name)
    upload(client, token, "forked", "alpha-3-otherkey.apk")  # newer alpha, another key
    upload(client, token, "vault", "gamma-6.apk")
    flush(client)
    return token


def colon(hex_digest):
    """The v8 app's AptoideUtils.computeSha1WithColon form: upper-case pairs joined by colons."""
    return ":".join(hex_digest[i:i + 2] for i in range(0, len(hex_digest), 2)).upper()


def ok(response):
    body = response.json()
    assert response.status_code == 200 and body["info"]["status"] == "OK", body
    assert set(body["info"]["time"]) == {"seconds", "human"}
    return body


@pytest.mark.parametrize("style", ["query", "path", "post"])
def test_store_get_meta_in_every_style(client, world, style):
    if style == "query":
        response = client.get("/api/7/store/getMeta", params={"store_name": "shop"})
    elif style == "path":
        response = client.get("/api/7/store/getMeta/store_name=shop")
    else:
        response = client.post("/api/7/store/getMeta", json={"store_name": "shop"})
    data = ok(response)["data"]
    info_xml = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"})
    assert data["hash"] == hashlib.md5(info_xml.content).hexdigest()
    assert data["name"] == "shop" and data["access"] == "PUBLIC" and data["status"] == "ACTIVE"
    assert data["appearance"] == {"theme": "default", "description": "Things"}
    assert data["stats"] == {"apps": 3, "subscribers": 0, "downloads": 0}
    assert len(data["added"]) == 19 and data["added"][10] == " "  # yyyy-MM-dd HH:mm:ss
    assert "avatar" not in data  # nulls are left out
    assert ok(client.get("/api/7/store/getMeta", params={"store_id": data["id"]}))["data"]["name"] == "shop"


def test_store_errors(client, world):
    missing = client.get("/api/7/store/getMeta/store_name=nowhere")
    assert missing.status_code == 404
    assert missing.json()["info"]["status"] == "FAIL"
    assert missing.json()["errors"] == [{"code": "STORE-1", "description": "Store doesn't exist: nowhere"}]
    private = client.get("/api/7/store/getMeta", params={"store_name": "vault"}).json()
    assert private["errors"][0]["code"] == "STORE-3"
    wrong = client.get("/api/7/store/getMeta", params={"store_name": "vault", "store_user": "team",
                                                       "store_pass_sha1": hashlib.sha1(b"nope").hexdigest()}).json()
    assert wrong["errors"][0]["code"] == "STORE-4"
    right = ok(client.get("/api/7/store/getMeta", params={"store_name": "vault", "store_user": "team",
                                                          "store_pass_sha1": hashlib.sha1(b"hunter22").hexdigest()}))
    assert right["data"]["access"] == "PRIVATE" and right["data"]["stats"]["apps"] == 1
    assert client.get("/api/7/store/getMeta").json()["errors"][0]["code"] == "MARG-205"
    assert client.get("/api/7/no/such/thing").status_code == 404
    pt = client.get("/api/7/store/getMeta/store_name=nowhere", headers={"Accept-Language": "pt-BR"}).json()
    assert pt["errors"][0]["description"] == "A loja não existe: nowhere"


def test_apps_get_paginates(client, world):
    first = ok(client.get("/api/7/apps/get/store_name=shop/limit=2"))["datalist"]
    assert (first["total"], first["count"], first["offset"], first["limit"], first["next"]) == (3, 2, 0, 2, 2)
    assert first["hidden"] == 0 and first["loaded"] is True
    assert [a["package"] for a in first["list"]] == ["org.apkdepot.alpha", "org.apkdepot.beta"]
    app = first["list"][0]
    path = "http://testserver.local/repo/shop/apk/org.apkdepot.alpha_2.apk"
    assert app["file"] == {"vername": "1.1", "vercode": 2, "md5sum": app["file"]["md5sum"], "path": path,
                           "path_alt": path, "filesize": app["size"], "malware": {"rank": "UNKNOWN"}}
    assert app["store"] == {"id": app["store"]["id"], "name": "shop"}
    assert app["stats"] == {"downloads": 0, "pdownloads": 0, "rating": {"avg": 0.0, "total": 0, "votes": []}}
    last = ok(client.post("/api/7/apps/get", json={"store_name": "shop", "limit": 2, "offset": 2}))["datalist"]
    assert [a["package"] for a in last["list"]] == ["org.apkdepot.gamma"] and "next" not in last
    bad = client.get("/api/7/apps/get", params={"store_name": "shop", "limit": "1000"}).json()
    assert bad["errors"][0]["code"] == "IARG-105"


def test_app_get_meta(client, world):
    data = ok(client.get("/api/7/app/getMeta", params={"package_name": "org.apkdepot.beta", "store_name": "shop"}))["data"]
    assert data["name"] == "Beta & Co <b>" and data["file"]["signature"]["sha1"] == colon(SIGNER_B_SHA1)
    assert data["file"]["used_permissions"] == ["android.permission.ACCESS_FINE_LOCATION", "android.permission.INTERNET"]
    by_id = ok(client.get(f"/api/7/app/getMeta/app_id={data['id']}"))["data"]
    assert by_id["package"] == "org.apkdepot.beta"
    assert client.get("/api/7/app/getMeta", params={"package_name": "no.such.app"}).json()["errors"][0]["code"] == "APP-1"
    assert client.get("/api/7/app/getMeta").json()["errors"][0]["code"] == "MARG-206"
    # Private stores are not searched without credentials.
    assert client.get("/api/7/app/getMeta", params={"package_name": "org.apkdepot.gamma"}).json()["data"]["file"]["vercode"] == 5
    # A store name that is there but blank names no store: it does not widen the search to every store.
    for blank in ("", " \n\u2005"):
        for endpoint in ("app/getMeta", "getApp", "store/getMeta"):
            answer = client.get(f"/api/7/{endpoint}", params={"app_id": data["id"], "store_name": blank})
            assert answer.status_code == 404 and answer.json()["errors"][0]["code"] == "STORE-1", (endpoint, blank)


def test_list_apps_updates_only_same_signer(client, world):
    body = ok(client.post("/api/7/listAppsUpdates", json={
        "apks_data": [
            {"package": "org.apkdepot.alpha", "vercode": 1, "signature": SIGNER_A_SHA1.upper()},
            {"package": "org.apkdepot.beta", "vercode": 10, "signature": SIGNER_B_SHA1},
            {"package": "org.apkdepot.gamma", "vercode": 1, "signature": colon(SIGNER_A_SHA1)},
        ]}))
    found = {a["package"]: (a["file"]["vercode"], a["store"]["name"]) for a in body["datalist"]["list"]}
    # alpha 3 in "forked" is newer but signed by key B: ignored; alpha 2 (key A) is offered.
    # beta is already current; gamma 6 lives in a private store, gamma 5 is offered.
    assert found == {"org.apkdepot.alpha": (2, "shop"), "org.apkdepot.gamma": (5, "shop")}
    with_b = ok(client.post("/api/7/listAppsUpdates", json={
        "apks_data": [{"package": "org.apkdepot.alpha", "vercode": 1, "signature": SIGNER_B_SHA1}]}))
    assert [(a["file"]["vercode"], a["store"]["name"]) for a in with_b["datalist"]["list"]] == [(3, "forked")]
    only_shop = ok(client.post("/api/7/listAppsUpdates", json={
        "store_names": ["forked"], "apks_data": [{"package": "org.apkdepot.alpha", "vercode": 1, "signature": SIGNER_A_SHA1}]}))
    assert only_shop["datalist"]["list"] == []


def test_list_apps_updates_bad_input(client, world):
    too_many = [{"package": f"p.q{i}", "vercode": 1, "signature": SIGNER_A_SHA1} for i in range(101)]
    assert client.post("/api/7/listAppsUpdates", json={"apks_data": too_many}).json()["errors"][0]["code"] == "IARG-106"
    bad = client.post("/api/7/listAppsUpdates", json={"apks_data": [{"package": 5, "vercode": "x"}]}).json()
    assert bad["errors"] == [{"code": "IARG-102", "description": "Invalid value for parameter apks_data[0]"}]
    assert client.post("/api/7/listAppsUpdates", json={}).json()["errors"][0]["code"] == "MARG-207"
    assert client.post("/api/7/listAppsUpdates", content=b"{nope", headers={"content-type": "application/json"}).json()["errors"][0]["code"] == "IARG-103"
    assert client.get("/api/7/listAppsUpdates").status_code == 405
    unknown = client.post("/api/7/listAppsUpdates", json={"store_names": ["ghost"], "apks_data": too_many[:1]}).json()
    assert unknown["errors"][0]["code"] == "STORE-1"
