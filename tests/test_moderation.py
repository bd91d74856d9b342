"""The moderation queue: in a moderated store, new apps and updates that add
permissions (or change the name or icon) wait for an operator before any
device can see them; other updates go through; the owner sees why, and the
operator's decision reaches the index, the audit log and the webhooks."""

from __future__ import annotations

import pytest

from apkdepot import operators
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, flush, index_entries_of, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


@pytest.fixture
def world(client, svc):
    admin, admin_token = make_developer(svc, "admin@example.com")
    operators.set_operator(svc, admin.id, True)
    owner, token = make_developer(svc, "owner@example.com")
    create_store(client, token, "shop")
    return {"admin": admin_token, "owner": token}


def moderate(client, admin_token: str, on=True):
    answer = client.post("/api/admin/stores/shop/moderation", json={"enabled": on}, headers=auth(admin_token))
    assert answer.status_code == 200, answer.text
    return answer.json()["store"]


def waiting(client, admin_token: str) -> list[dict]:
    answer = client.get("/api/admin/moderation", headers=auth(admin_token))
    assert answer.status_code == 200, answer.text
    return answer.json()["waiting"]


def test_a_new_app_waits_for_approval(client, svc, world):
    assert moderate(client, world["admin"])["moderated"] is True
    assert client.get("/api/stores/shop", headers=auth(world["owner"])).json()["store"]["moderated"] is True
    published = upload(client, world["owner"], "shop", "alpha-1.apk")
    assert published.status_code == 201
    assert published.json()["apk"]["review"] == {"state": "pending", "reasons": ["new app"], "note": None}
    flush(client)
    # Nothing of it reaches devices while it waits.
    assert index_entries_of(client.get("/repo/shop/info.xml").content) == {}
    apk_name = published.json()["apk"]["url"].rsplit("/", 1)[1]
    assert client.get(f"/repo/shop/apk/{apk_name}").status_code == 404
    assert client.get("/api/7/app/getMeta/store_name=shop/package_name=org.apkdepot.alpha").json()["info"][
        "status"] == "FAIL"
    assert client.get("/fdroid/shop/repo/index-v2.json").json()["packages"] == {}
    (entry,) = waiting(client, world["admin"])
    assert entry["package"] == "org.apkdepot.alpha" and entry["reasons"] == ["new app"] and entry["store"] == "shop"
    assert entry["permissions"] == ["android.permission.INTERNET"]
    # Only operators see the queue and decide.
    for method, path in (("GET", "/api/admin/moderation"), ("POST", f"/api/admin/moderation/{entry['id']}/approve")):
        refused = client.request(method, path, headers=auth(world["owner"]))
        assert refused.status_code == 403 and codes(refused) == ["ADMIN-1"], path
    approved = client.post(f"/api/admin/moderation/{entry['id']}/approve", headers=auth(world["admin"]))
    assert approved.status_code == 200
    again = client.post(f"/api/admin/moderation/{entry['id']}/approve", headers=auth(world["admin"]))
    assert again.status_code == 404 and codes(again) == ["MODERATION-1"]
    flush(client)
    assert index_entries_of(client.get("/repo/shop/info.xml").content) == {"org.apkdepot.alpha": 1}
    assert client.get(f"/repo/shop/apk/{apk_name}").status_code == 200
    assert waiting(client, world["admin"]) == []
    listed = client.get("/api/stores/shop/apks", headers=auth(world["owner"])).json()["apks"]
    assert listed[0]["review"] is None


def test_updates_that_add_permissions_wait_and_others_go_through(client, svc, world):
    assert upload(client, world["owner"], "shop", "alpha-1.apk").status_code == 201  # before moderation
    assert upload(client, world["owner"], "shop", "gamma-6.apk").status_code == 201
    flush(client)
    moderate(client, world["admin"])
    held = upload(client, world["owner"], "shop", "alpha-2.apk").json()["apk"]  # adds CAMERA
    assert held["review"]["reasons"] == ["adds permissions: android.permission.CAMERA"]
    through = upload(client, world["owner"], "shop", "gamma-5.apk").json()["apk"]  # drops VIBRATE: nothing new
    assert through["review"] is None
    flush(client)
    assert index_entries_of(client.get("/repo/shop/info.xml").content) == {"org.apkdepot.alpha": 1,
                                                                           "org.apkdepot.gamma": 6}
    # F-Droid lists every listable version: gamma 5 and 6, not alpha 2.
    fdroid = client.get("/fdroid/shop/repo/index-v2.json").json()["packages"]
    assert len(fdroid["org.apkdepot.gamma"]["versions"]) == 2 and len(fdroid["org.apkdepot.alpha"]["versions"]) == 1
    (entry,) = waiting(client, world["admin"])
    no_reason = client.post(f"/api/admin/moderation/{entry['id']}/reject", json={}, headers=auth(world["admin"]))
    assert no_reason.status_code == 422 and codes(no_reason) == ["ADMIN-4"]
    refused = client.post(f"/api/admin/moderation/{entry['id']}/reject", json={"reason": "Why the camera?"},
                          headers=auth(world["admin"]))
    assert refused.status_code == 200
    flush(client)
    assert index_entries_of(client.get("/repo/shop/info.xml").content)["org.apkdepot.alpha"] == 1
    mine = {(a["package"], a["version_code"]): a["review"]
            for a in client.get("/api/stores/shop/apks", headers=auth(world["owner"])).json()["apks"]}
    assert mine[("org.apkdepot.alpha", 2)] == {"state": "rejected", "note": "Why the camera?",
                                                "reasons": ["adds permissions: android.permission.CAMERA"]}
    actions = [e["action"] for e in client.get("/api/audit", headers=auth(world["owner"])).json()["events"]]
    assert "moderation.reject" in actions and "app.held" in actions
    # Turning moderation off lets the next upload straight through.
    assert moderate(client, world["admin"], False)["moderated"] is False
    bad = client.post("/api/admin/stores/shop/moderation", json={"enabled": "yes"}, headers=auth(world["admin"]))
    assert bad.status_code == 422 and codes(bad) == ["MODERATION-2"]


def test_the_queue_pages_and_filters(client, svc, world):
    moderate(client, world["admin"])
    for name in ("alpha-1.apk", "beta-10.apk", "gamma-5.apk"):
        assert upload(client, world["owner"], "shop", name).status_code == 201
    first = client.get("/api/admin/moderation?limit=2", headers=auth(world["admin"])).json()
    rest = client.get(f"/api/admin/moderation?limit=2&after={first['next_after']}", headers=auth(world["admin"])).json()
    assert [w["package"] for w in first["waiting"] + rest["waiting"]] == [
        "org.apkdepot.alpha", "org.apkdepot.beta", "org.apkdepot.gamma"]
    assert client.get("/api/admin/moderation?store=other", headers=auth(world["admin"])).json()["waiting"] == []
    for query in ("limit=0", "after=-1", "limit=x"):
        assert client.get(f"/api/admin/moderation?{query}", headers=auth(world["admin"])).status_code == 400
    assert client.post("/api/admin/moderation/abc/approve", headers=auth(world["admin"])).status_code == 404


def test_the_moderation_pages(client, svc, world):
    from tests.portal.test_pages import log_in

    moderate(client, world["admin"])
    assert upload(client, world["owner"], "shop", "alpha-1.apk").status_code == 201
    assert upload(client, world["owner"], "shop", "beta-10.apk").status_code == 201
    owner_csrf = log_in(client, "owner@example.com")
    page = client.get("/dashboard/stores/shop").text
    assert "Waiting for review" in page and "The operators moderate this store" in page
    assert client.get("/admin/moderation").status_code == 403
    client.post("/logout", data={"csrf_token": owner_csrf})
    csrf = log_in(client, "admin@example.com")
    queue = client.get("/admin/moderation").text
    assert "org.apkdepot.alpha" in queue and "org.apkdepot.beta" in queue and "new app" in queue
    alpha, beta = (w["id"] for w in waiting(client, world["admin"]))
    assert client.post(f"/admin/moderation/{alpha}/approve", data={"csrf_token": "forged"}).status_code == 403
    done = client.post(f"/admin/moderation/{alpha}/approve", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin/moderation?done=approved"
    refused = client.post(f"/admin/moderation/{beta}/reject", data={"csrf_token": csrf, "reason": " "})
    assert refused.status_code == 422
    client.post(f"/admin/moderation/{beta}/reject", data={"csrf_token": csrf, "reason": "Not ours"})
    assert "Nothing waits for review." in client.get("/admin/moderation").text
    # The store row's switches: moderation off, and a take-down.
    off = client.post("/admin/stores/shop/moderation", data={"csrf_token": csrf}, follow_redirects=False)
    assert off.headers["location"] == "/admin?done=unmoderated"
    assert client.get("/api/stores/shop", headers=auth(world["owner"])).json()["store"]["moderated"] is False
    flush(client)
    gone = client.post("/admin/stores/shop/takedown", data={"csrf_token": csrf, "package": "org.apkdepot.alpha",
                                                           "version_code": "", "reason": "Malware"},
                       follow_redirects=False)
    assert gone.headers["location"] == "/admin?done=taken-down"
    flush(client)
    assert index_entries_of(client.get("/repo/shop/info.xml").content) == {}
    missing = client.post("/admin/stores/shop/takedown", data={"csrf_token": csrf, "package": "no.such",
                                                              "reason": "x"})
    assert missing.status_code == 404


def test_decisions_reach_the_webhooks(client, svc, world):
    import json

    import sqlalchemy as sa

    from apkdepot.db.schema import webhook_deliveries

    client.post("/api/stores/shop/webhooks", json={"url": "https://example.com/h", "events": ["moderation.decided"]},
                headers=auth(world["owner"]))
    moderate(client, world["admin"])
    upload(client, world["owner"], "shop", "alpha-1.apk")
    (entry,) = waiting(client, world["admin"])
    client.post(f"/api/admin/moderation/{entry['id']}/reject", json={"reason": "No"}, headers=auth(world["admin"]))
    with svc.db.read() as conn:
        (payload,) = conn.execute(sa.select(webhook_deliveries.c.payload)).scalars().all()
    assert json.loads(payload)["data"] == {"package": "org.apkdepot.alpha", "version_code": 1, "decision": "rejected",
                                           "reason": "No"}
