"""The operators' pages (/admin) and a developer's own activity page: only
operators reach /admin, every form needs the session's CSRF token, and what the
pages do is what the JSON API does."""

from __future__ import annotations

from apkdepot import operators
from tests.helpers import create_store, make_developer
from tests.portal.test_pages import csrf_of, log_in

ADMIN_FORMS = ["/admin/developers/2/disable", "/admin/developers/2/enable", "/admin/stores/shop/suspend",
               "/admin/stores/shop/resume"]


def _world(client, svc):
    admin = make_developer(svc, "admin@example.com", name="Admin")
    operators.set_operator(svc, admin[0].id, True)
    owner = make_developer(svc, "owner@example.com", name="Owner")
    create_store(client, owner[1], "shop")
    return admin, owner


def test_only_operators_reach_the_admin_pages(client, svc):
    _world(client, svc)
    assert client.get("/admin", follow_redirects=False).headers["location"] == "/login?next=/admin"
    assert client.post("/admin/stores/shop/suspend", data={}, follow_redirects=False).status_code == 303
    csrf = log_in(client, "owner@example.com")
    assert "/admin" not in client.get("/dashboard").text.split("<main", 1)[0]  # no link in the owner's menu
    assert client.get("/admin").status_code == 403 and client.get("/admin/audit").status_code == 403
    for path in ADMIN_FORMS:
        refused = client.post(path, data={"csrf_token": csrf, "reason": "mine now"})
        assert refused.status_code == 403, path
    assert client.get("/api/stores/shop", headers={"Authorization": f"Bearer {_world_token(svc)}"}).json()[
        "store"]["suspended"] is None


def _world_token(svc):
    from apkdepot.accounts import services as accounts

    return accounts.dev_token(svc, accounts.developer_by_email(svc, "owner@example.com"))


def test_an_operator_suspends_and_resumes_a_store_and_disables_an_account_from_the_pages(client, svc):
    admin, owner = _world(client, svc)
    csrf = log_in(client, "admin@example.com")
    assert '<a href="/admin">' in client.get("/dashboard").text
    page = client.get("/admin", params={"q": "owner"}).text
    assert "owner@example.com" in page and "shop" in page and "admin@example.com" not in page
    for path in ADMIN_FORMS:
        assert client.post(path, data={"csrf_token": "forged", "reason": "x"}).status_code == 403, path
    missing = client.post("/admin/stores/shop/suspend", data={"csrf_token": csrf, "reason": " "})
    assert missing.status_code == 422 and "Give a reason" in missing.text
    done = client.post("/admin/stores/shop/suspend", data={"csrf_token": csrf, "reason": "ships malware", "q": "sh"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/admin?done=suspended&q=sh"
    assert "ships malware" in client.get("/admin").text
    assert client.get("/api/7/store/getMeta/store_name=shop").json()["errors"][0]["code"] == "STORE-7"
    client.post("/admin/stores/shop/resume", data={"csrf_token": csrf})
    assert client.get("/api/7/store/getMeta/store_name=shop").json()["info"]["status"] == "OK"
    client.post(f"/admin/developers/{owner[0].id}/disable", data={"csrf_token": csrf, "reason": "spam"})
    assert client.get("/api/stores", headers={"Authorization": f"Bearer {owner[1]}"}).status_code == 401
    log = client.get("/admin/audit").text
    assert "developer.disable" in log and "store.resume" in log and "store.suspend" in log
    # No form disables the operator's own account.
    assert f"/admin/developers/{admin[0].id}/disable" not in client.get("/admin").text


def test_developers_read_their_own_activity(client, svc):
    admin, owner = _world(client, svc)
    operators_csrf = log_in(client, "admin@example.com")
    client.post("/admin/stores/shop/suspend", data={"csrf_token": operators_csrf, "reason": "checking"})
    client.post("/logout", data={"csrf_token": operators_csrf})
    client.cookies.clear()
    log_in(client, "owner@example.com")
    page = client.get("/dashboard/activity").text
    assert "store.suspend" in page and "store.create" in page and "account.create" in page
    assert "admin@example.com" not in page and "operator" in page
    assert "Suspended by the operators of this server" in client.get("/dashboard").text
    assert "checking" in client.get("/dashboard/stores/shop").text
    assert client.get("/dashboard/activity", params={"before": "x"}).status_code == 200
    pt = client.get("/dashboard/activity", params={"lang": "pt-BR"}).text
    assert "Sua atividade" in pt
    csrf_of(pt)  # the page carries the log-out form's token
