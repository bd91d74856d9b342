"""Renaming and deleting stores: the old name keeps leading to a renamed store
(files redirect, devices' hashes keep answering under it, nobody else can take
it), a deleted store's name stays reserved, and nobody but the owner (or an
operator) can do either."""

from __future__ import annotations

import hashlib

import pytest

from apkdepot import operators
from apkdepot.catalog import owner_apps
from apkdepot.catalog.gc import collect_garbage
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, flush, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def info_hash(client, store: str) -> str:
    return hashlib.md5(client.get(f"/repo/{store}/info.xml", headers={"Accept-Encoding": "identity"}).content).hexdigest()


def test_a_renamed_store_answers_under_both_names(client, svc):
    _, token = make_developer(svc)
    _, other = make_developer(svc, "other@example.com")
    create_store(client, token, "shop")
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
    flush(client)
    held = info_hash(client, "shop")
    fingerprint = client.get("/api/stores/shop", headers=auth(token)).json()["store"]["fdroid"]["fingerprint"]
    for body, code, status in (({"name": "Not A Name!"}, "REPO-3", 422), ({"name": 5}, "REPO-3", 422), ({}, "REPO-3", 422)):
        refused = client.post("/api/stores/shop/rename", json=body, headers=auth(token))
        assert refused.status_code == status and codes(refused) == [code], body
    create_store(client, other, "taken")
    taken = client.post("/api/stores/shop/rename", json={"name": "taken"}, headers=auth(token))
    assert taken.status_code == 409 and codes(taken) == ["REPO-2"]
    theirs = client.post("/api/stores/shop/rename", json={"name": "mine"}, headers=auth(other))
    assert theirs.status_code == 403 and codes(theirs) == ["REPO-1"]

    renamed = client.post("/api/stores/shop/rename", json={"name": "Market"}, headers=auth(token))
    assert renamed.status_code == 200, renamed.text
    card = renamed.json()["store"]
    assert card["name"] == "market" and card["fdroid"]["fingerprint"] == fingerprint  # devices keep trusting it
    assert "/fdroid/market/repo" in card["fdroid"]["url"]
    # Files: a redirect to the new name, query kept; the new index names the new name.
    moved = client.get("/repo/shop/info.xml?hash=" + held, follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == f"/repo/market/info.xml?hash={held}"
    index = client.get("/repo/market/info.xml").text
    assert "/repo/market/apk/" in index and "/repo/shop/" not in index and "<apkid>org.apkdepot.alpha</apkid>" in index
    apk_name = index.split("<path>")[1].split("</path>")[0]
    assert client.get(f"/repo/shop/apk/{apk_name}", follow_redirects=False).headers["location"] == \
        f"/repo/market/apk/{apk_name}"
    for path in ("/fdroid/shop/repo/index-v2.json", "/fdroid/shop/repo"):
        answer = client.get(path, follow_redirects=False)
        assert answer.status_code == 301 and answer.headers["location"] == path.replace("/shop/", "/market/"), path
    assert client.get("/fdroid/market/repo/index-v2.json").json()["repo"]["address"].endswith("/fdroid/market/repo")
    assert client.get("/stores/shop", follow_redirects=False).headers["location"] == "/stores/market"
    assert client.get("/stores/shop/org.apkdepot.alpha", follow_redirects=False).headers["location"] == \
        "/stores/market/org.apkdepot.alpha"
    # A device that holds the old name and hash is told what changed (nothing but the name) ...
    change = client.get(f"/webservices/2/listRepositoryChange/shop/{held}/json", params={"token": token}).json()
    assert change["listing"] == [{"repo": "shop", "hasupdates": "TRUE", "added": 0, "removed": 0}]
    now = info_hash(client, "market")
    assert now != held
    same = client.get(f"/webservices/2/listRepositoryChange/shop,market/{now},{now}/json", params={"token": token}).json()
    assert [e["hasupdates"] for e in same["listing"]] == ["FALSE", "FALSE"]
    assert client.get("/api/7/store/getMeta/store_name=shop").json()["data"]["name"] == "market"
    # ... and the old name is nobody else's.
    grab = client.post("/api/stores", json={"name": "shop"}, headers=auth(other))
    assert grab.status_code == 409 and codes(grab) == ["REPO-2"]
    assert client.post("/api/stores/taken/rename", json={"name": "shop"}, headers=auth(other)).status_code == 409
    # The owner may take an old name back.
    back = client.post("/api/stores/market/rename", json={"name": "shop"}, headers=auth(token))
    assert back.status_code == 200 and back.json()["store"]["name"] == "shop"
    assert client.get("/repo/market/info.xml", follow_redirects=False).headers["location"] == "/repo/shop/info.xml"
    assert client.get("/repo/shop/info.xml").status_code == 200
    actions = [(e["action"], e["after"]) for e in client.get("/api/audit", headers=auth(token)).json()["events"]
               if e["action"] == "store.rename"]
    assert actions == [("store.rename", {"name": "shop"}), ("store.rename", {"name": "market"})]


def test_pending_changes_survive_a_rename(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop")
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201  # waiting for its index version
    assert client.post("/api/stores/shop/rename", json={"name": "market"}, headers=auth(token)).status_code == 200
    flush(client)
    assert "<apkid>org.apkdepot.alpha</apkid>" in client.get("/repo/market/info.xml").text


def test_deleting_a_store(client, svc):
    owner, token = make_developer(svc)
    _, other = make_developer(svc, "other@example.com")
    create_store(client, token, "shop")
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
    flush(client)
    theirs = client.delete("/api/stores/shop?confirm=shop", headers=auth(other))
    assert theirs.status_code == 403 and codes(theirs) == ["REPO-1"]
    assert client.delete("/api/stores/shop?confirm=shop").status_code == 401
    for query in ("", "?confirm=", "?confirm=other"):
        refused = client.delete(f"/api/stores/shop{query}", headers=auth(token))
        assert refused.status_code == 422 and codes(refused) == ["REPO-8"], query
    assert client.get("/repo/shop/info.xml").status_code == 200  # nothing happened
    gone = client.delete("/api/stores/shop?confirm=shop", headers=auth(token))
    assert gone.status_code == 200 and gone.json()["deleted_versions"] == 1
    assert client.get("/repo/shop/info.xml").status_code == 404
    assert client.get("/api/stores", headers=auth(token)).json()["stores"] == []
    assert client.get("/api/7/store/getMeta/store_name=shop").json()["errors"][0]["code"] == "STORE-1"
    grab = client.post("/api/stores", json={"name": "shop"}, headers=auth(other))
    assert grab.status_code == 409 and codes(grab) == ["REPO-2"]  # a deleted store's name stays reserved
    apps, _ = owner_apps.page(svc, owner.id, 10, 0)  # the app list API: no store holds it now
    assert [(a.id, a.status) for a in apps] == [("org.apkdepot.alpha", "pending")]
    collected = collect_garbage(svc, grace_seconds=0)
    assert collected.blobs >= 1  # the APK no store holds any more, and the store's index files
    assert list(svc.blobs.keys("apks/")) == []
    assert [e["action"] for e in client.get("/api/audit", headers=auth(token)).json()["events"]][0] == "store.delete"


def test_operators_rename_and_delete_any_store(client, svc):
    admin, admin_token = make_developer(svc, "admin@example.com")
    operators.set_operator(svc, admin.id, True)
    _, token = make_developer(svc)
    create_store(client, token, "shop")
    create_store(client, token, "spare")
    refused = client.post("/api/admin/stores/shop/rename", json={"name": "x"}, headers=auth(token))
    assert refused.status_code == 403 and codes(refused) == ["ADMIN-1"]
    missing = client.post("/api/admin/stores/nope/rename", json={"name": "x"}, headers=auth(admin_token))
    assert missing.status_code == 404 and codes(missing) == ["ADMIN-3"]
    renamed = client.post("/api/admin/stores/shop/rename", json={"name": "better"}, headers=auth(admin_token))
    assert renamed.status_code == 200 and renamed.json()["store"]["name"] == "better"
    no_reason = client.post("/api/admin/stores/spare/delete", json={"confirm": "spare"}, headers=auth(admin_token))
    assert no_reason.status_code == 422 and codes(no_reason) == ["ADMIN-4"]
    deleted = client.post("/api/admin/stores/spare/delete", json={"confirm": "spare", "reason": "abandoned"},
                          headers=auth(admin_token))
    assert deleted.status_code == 200
    mine = client.get("/api/audit", headers=auth(token)).json()["events"]
    assert mine[0]["action"] == "store.delete" and mine[0]["actor"] == "operator" and \
        mine[0]["after"] == {"reason": "abandoned"}
    assert [s["name"] for s in client.get("/api/stores", headers=auth(token)).json()["stores"]] == ["better"]
