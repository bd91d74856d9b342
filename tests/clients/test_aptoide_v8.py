"""What the Aptoide v8 app (Aptoide/aptoide-client-v8) sends to the v7 API and
parses, restated as facts. Requests are built as its code builds them:
dataprovider/.../ws/v7/V7.java (the Retrofit interface: GET getApp, GET
listApps{url}, GET listSearchApps, POST listAppsUpdates ?aab=…, POST
store/getMeta), QueryStringMapper.java (the query maps, with the base body's
lang/mature/q/refresh/aab keys and getApp's ``nodes`` as Jackson-written JSON),
ListAppsUpdatesRequest.Body (SNAKE_CASE JSON: apks_data[{package, vercode,
signature, enabled}], store_ids, aaid, not_package_tags, …) and
RoomInstalled.java (the installed signature in computeSha1WithColon's form).
Answers are read against tests/clients/v8_models.py."""

from __future__ import annotations

import json

import pytest

from tests.clients import v8_models as model
from tests.helpers import create_store, flush, make_developer, upload

SIGNER_A_SHA1 = "5a9d0cb1e478780046a7ea64542244561b1bc981"
SIGNER_B_SHA1 = "c9fcc526a4c57ef76140a6cd2b926247c13aca59"


def with_colons(hex_digest: str) -> str:
    """AptoideUtils.AlgorithmU.computeSha1WithColon: upper-case hex pairs joined by ':'."""
    return ":".join(hex_digest[i:i + 2] for i in range(0, len(hex_digest), 2)).upper()


# BaseBody's keys as QueryStringMapper.map(BaseBody, …) writes them on every GET.
BASE_QUERY = {"lang": "en_US", "mature": "false", "q": "myCPU=arm64-v8a,armeabi-v7a&myScreen=1080x2220&myGLES=3.2",
              "refresh": "false", "aptoide_vercode": "10036", "aptoide_package": "cm.aptoide.pt",
              "aptoide_md5sum": "0" * 32, "cdn": "pool", "country": "PT", "aab": "false"}
# ListAppsUpdatesRequest.Body as the app's SNAKE_CASE ObjectMapper writes it.
BASE_BODY = {"lang": "en_US", "mature": False, "q": BASE_QUERY["q"], "aptoide_vercode": 10036,
             "aptoide_package": "cm.aptoide.pt", "aptoide_md5sum": "0" * 32, "cdn": "pool", "country": "PT",
             "aptoide_uid": "a1b2c3", "aaid": "a1b2c3", "not_package_tags": "system"}


@pytest.fixture
def world(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop", description="Things")
    create_store(client, token, "forked")
    for name in ("alpha-2.apk", "beta-10.apk", "gamma-5.apk"):
        upload(client, token, "shop", name)
    upload(client, token, "forked", "alpha-3-otherkey.apk")
    flush(client)
    return {name: client.get(f"/api/7/store/getMeta/store_name={name}").json()["data"]["id"] for name in ("shop", "forked")}


def read(response, response_model, status=200):
    body = response.json()
    assert response.status_code == status, body
    assert model.conforms(body, response_model) == []
    return body


def test_get_app_as_the_app_view_asks(client, world):
    """GetAppRequest.of(packageName, storeName, …): GET getApp with the package, the store and
    nodes={"meta":{},"versions":{},"groups":{}} (Node() written with FAIL_ON_EMPTY_BEANS off)."""
    nodes = json.dumps({"meta": {}, "versions": {}, "groups": {}}, separators=(",", ":"))
    params = {**BASE_QUERY, "package_name": "org.apkdepot.alpha", "store_name": "shop", "nodes": nodes}
    body = read(client.get("/api/7/getApp", params=params), model.GET_APP)
    assert body["info"]["status"] == "OK"
    meta = body["nodes"]["meta"]["data"]
    assert model.missing(meta, model.APP_VIEW_DEREFERENCED) == []
    assert meta["package"] == "org.apkdepot.alpha" and meta["file"]["vercode"] == 2
    assert meta["store"]["name"] == "shop"
    # The app view hands file.signature.sha1 on as the app's signature and compares it with
    # the installed one, which RoomInstalled stores in computeSha1WithColon's form.
    assert meta["file"]["signature"]["sha1"] == with_colons(SIGNER_A_SHA1)
    assert meta["age"]["rating"] != 18  # MATURE_APP_RATING: not shown as mature
    versions = body["nodes"]["versions"]["list"]
    # isLatestTrustedVersion compares versions.list[0].file.md5sum with the meta's file.
    assert [(v["store"]["name"], v["file"]["vercode"]) for v in versions] == [("forked", 3), ("shop", 2)]
    for version in versions:
        assert model.missing(version, model.UPDATE_DEREFERENCED) == []


@pytest.mark.parametrize("how", ["id", "md5"])
def test_get_app_by_id_and_by_md5(client, world, how):
    """GetAppRequest.of(appId, …) sends app_id and nodes.meta.app_id; ofMd5 sends apk_md5sum."""
    listed = client.get("/api/7/listApps", params={**BASE_QUERY, "store_id": world["shop"], "limit": "25"}).json()
    beta = next(a for a in listed["datalist"]["list"] if a["package"] == "org.apkdepot.beta")
    if how == "id":
        params = {"app_id": str(beta["id"]), "nodes": json.dumps({"meta": {"app_id": beta["id"]}, "versions": {
            "package_name": "org.apkdepot.beta"}, "groups": {}})}
    else:
        params = {"apk_md5sum": beta["file"]["md5sum"], "nodes": "{}"}
    body = read(client.get("/api/7/getApp", params={**BASE_QUERY, **params}), model.GET_APP)
    assert body["nodes"]["meta"]["data"]["id"] == beta["id"]


def test_get_app_failures_are_read_as_errors(client, world):
    body = read(client.get("/api/7/getApp", params={**BASE_QUERY, "package_name": "no.such.app"}), model.GET_APP, 404)
    assert body["info"]["status"] == "FAIL" and body["errors"][0]["code"] == "APP-1"
    missing = read(client.get("/api/7/getApp", params=BASE_QUERY), model.GET_APP, 400)
    assert missing["errors"][0]["code"] == "MARG-206"


@pytest.mark.parametrize("style", ["query", "path"])
def test_list_apps_as_store_tabs_ask(client, world, style):
    """ListAppsRequest: GET listApps{url} with the query map store_id, limit, offset, sort
    (ListAppsRequest.Sort: latest, trending7d, trending60d); widgets give the url as
    /store_id=…/limit=…."""
    if style == "query":
        response = client.get("/api/7/listApps", params={**BASE_QUERY, "store_id": str(world["shop"]), "limit": "2",
                                                         "offset": "0", "sort": "trending7d"})
    else:
        response = client.get(f"/api/7/listApps/store_id={world['shop']}/limit=2/sort=latest", params=BASE_QUERY)
    datalist = read(response, model.LIST_APPS)["datalist"]
    assert (datalist["total"], datalist["count"], datalist["next"]) == (3, 2, 2)
    for app in datalist["list"]:
        assert model.missing(app, model.UPDATE_DEREFERENCED) == []


def test_list_apps_updates_as_update_repository_posts_it(client, world):
    """UpdateRepository.getNetworkUpdates → ListAppsUpdatesRequest: POST listAppsUpdates?aab=false
    with the subscribed stores' ids; UpdateRepository reads result.getList() when isOk()."""
    body = {**BASE_BODY, "store_ids": [world["shop"], world["forked"]], "apks_data": [
        {"package": "org.apkdepot.alpha", "vercode": 1, "signature": with_colons(SIGNER_B_SHA1), "enabled": True},
        {"package": "org.apkdepot.beta", "vercode": 1, "signature": with_colons(SIGNER_B_SHA1), "enabled": True},
        {"package": "org.apkdepot.gamma", "vercode": 5, "signature": with_colons(SIGNER_A_SHA1), "enabled": False},
    ]}
    answer = read(client.post("/api/7/listAppsUpdates?aab=false", json=body), model.LIST_APPS_UPDATES)
    assert answer["info"]["status"] == "OK"
    found = {a["package"]: (a["file"]["vercode"], a["store"]["name"]) for a in answer["list"]}
    assert found == {"org.apkdepot.alpha": (3, "forked"), "org.apkdepot.beta": (10, "shop")}
    for app in answer["list"]:
        assert model.missing(app, model.UPDATE_DEREFERENCED) == []
    only_shop = read(client.post("/api/7/listAppsUpdates?aab=false", json={**body, "store_ids": [world["shop"]]}),
                     model.LIST_APPS_UPDATES)
    assert [a["package"] for a in only_shop["list"]] == ["org.apkdepot.beta"]
    # No subscribed store: every public store.
    every = read(client.post("/api/7/listAppsUpdates", json={**body, "store_ids": []}), model.LIST_APPS_UPDATES)
    assert len(every["list"]) == 2
    unknown = read(client.post("/api/7/listAppsUpdates", json={**body, "store_ids": [999999]}),
                   model.LIST_APPS_UPDATES, 404)
    assert unknown["errors"][0]["code"] == "STORE-1"


def test_list_search_apps_as_search_asks(client, world):
    """ListSearchAppsRequest: GET listSearchApps with query, limit, offset and store_names /
    store_ids written comma-separated (getStoreNamesAsString, getStoreIdsAsString)."""
    params = {**BASE_QUERY, "query": "alpha", "limit": "10", "offset": "0", "trusted": "false"}
    everywhere = read(client.get("/api/7/listSearchApps", params=params), model.LIST_APPS)["datalist"]
    assert sorted((a["store"]["name"], a["file"]["vercode"]) for a in everywhere["list"]) == [("forked", 3), ("shop", 2)]
    named = read(client.get("/api/7/listSearchApps", params={**params, "store_names": "shop,forked"}), model.LIST_APPS)
    assert named["datalist"]["total"] == 2
    by_id = read(client.get("/api/7/listSearchApps", params={**params, "store_ids": str(world["forked"])}), model.LIST_APPS)
    assert [a["store"]["name"] for a in by_id["datalist"]["list"]] == ["forked"]
    bad = read(client.get("/api/7/listSearchApps", params={**params, "store_ids": "1,x"}), model.LIST_APPS, 400)
    assert bad["errors"][0]["code"] == "IARG-102"
    assert read(client.get("/api/7/listSearchApps", params=BASE_QUERY), model.LIST_APPS, 400)["errors"][0]["code"] == "MARG-208"


def test_store_get_meta_as_the_store_tab_posts_it(client, world):
    """GetHomeMetaRequest.Body: POST store/getMeta with store_name (and the base body)."""
    body = read(client.post("/api/7/store/getMeta", json={**BASE_BODY, "store_name": "shop"}), model.GET_STORE_META)
    assert body["data"]["name"] == "shop" and body["data"]["stats"]["apps"] == 3
