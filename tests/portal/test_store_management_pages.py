"""The dashboard's store management: the owner adds a webhook (its secret shown
once), tries it, reads its deliveries and removes it, renames and deletes the
store; nobody else reaches these pages, and every form needs the session's CSRF
token."""

from __future__ import annotations

from apkdepot import webhooks
from apkdepot.catalog import stores
from tests.helpers import create_store, make_developer
from tests.portal.test_pages import log_in


def test_the_owner_manages_webhooks_from_the_dashboard(client, svc):
    _, token = make_developer(svc, "owner@example.com")
    create_store(client, token, "shop")
    csrf = log_in(client, "owner@example.com")
    assert 'href="/dashboard/stores/shop/webhooks/"' in client.get("/dashboard/stores/shop").text
    page = client.get("/dashboard/stores/shop/webhooks/")
    assert page.status_code == 200 and "Nothing sent yet" not in page.text and 'name="url"' in page.text
    bad = client.post("/dashboard/stores/shop/webhooks/", data={"csrf_token": csrf, "url": "http://example.com/h",
                                                               "event_index.version": "on"})
    assert bad.status_code == 422 and "https://" in bad.text and 'value="http://example.com/h"' in bad.text
    forged = client.post("/dashboard/stores/shop/webhooks/", data={"csrf_token": "forged", "url": "https://e.com/"})
    assert forged.status_code == 403 and webhooks.list_hooks(svc, 1) == []
    added = client.post("/dashboard/stores/shop/webhooks/", data={
        "csrf_token": csrf, "url": "https://example.com/hook", "event_app.published": "on", "event_app.removed": "on"})
    assert added.status_code == 200 and "whsec_" in added.text and "shown only now" in added.text
    (hook,) = webhooks.list_hooks(svc, 1)
    assert hook.url == "https://example.com/hook" and hook.events == ("app.published", "app.removed")
    listed = client.get("/dashboard/stores/shop/webhooks/").text
    assert "whsec_" not in listed and "https://example.com/hook" in listed and "Nothing sent yet" in listed
    pinged = client.post(f"/dashboard/stores/shop/webhooks/{hook.id}/ping", data={"csrf_token": csrf},
                         follow_redirects=False)
    assert pinged.status_code == 303 and pinged.headers["location"].endswith("?done=pinged")
    page = client.get("/dashboard/stores/shop/webhooks/?done=pinged").text
    assert "A ping is on its way." in page and "<code>ping</code>" in page and "waiting" in page
    assert client.post(f"/dashboard/stores/shop/webhooks/{hook.id}/delete", data={"csrf_token": "x"}).status_code == 403
    assert client.post("/dashboard/stores/shop/webhooks/999/delete", data={"csrf_token": csrf}).status_code == 404
    removed = client.post(f"/dashboard/stores/shop/webhooks/{hook.id}/delete", data={"csrf_token": csrf},
                          follow_redirects=False)
    assert removed.status_code == 303 and webhooks.list_hooks(svc, 1) == []


def test_nobody_else_reaches_a_stores_webhook_pages(client, svc):
    _, token = make_developer(svc, "owner@example.com")
    make_developer(svc, "other@example.com")
    create_store(client, token, "shop")
    hook, _ = webhooks.create_hook(svc, stores.get_store(svc, "shop"), {"url": "https://example.com/hook"})
    anonymous = client.get("/dashboard/stores/shop/webhooks/", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    csrf = log_in(client, "other@example.com")
    assert client.get("/dashboard/stores/shop/webhooks/").status_code == 403
    for path in ("/dashboard/stores/shop/webhooks/", f"/dashboard/stores/shop/webhooks/{hook.id}/delete",
                 f"/dashboard/stores/shop/webhooks/{hook.id}/ping"):
        assert client.post(path, data={"csrf_token": csrf, "url": "https://evil.example/"}).status_code == 403, path
    assert [h.url for h in webhooks.list_hooks(svc, 1)] == ["https://example.com/hook"]


def test_the_webhooks_documentation(client):
    page = client.get("/webservices/docs/webhooks")
    assert page.status_code == 200
    for text in ("X-ApkDepot-Signature", "X-ApkDepot-Delivery", "app.published", "index.version", "hmac.new"):
        assert text in page.text
    assert 'href="/webservices/docs/webhooks"' in client.get("/webservices/docs/").text


def test_the_owner_renames_and_deletes_a_store_from_the_dashboard(client, svc):
    _, token = make_developer(svc, "owner@example.com")
    make_developer(svc, "other@example.com")
    create_store(client, token, "shop")
    csrf = log_in(client, "other@example.com")
    assert client.post("/dashboard/stores/shop/rename", data={"csrf_token": csrf, "new_name": "mine"}).status_code == 403
    assert client.post("/dashboard/stores/shop/delete", data={"csrf_token": csrf, "confirm": "shop"}).status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    csrf = log_in(client, "owner@example.com")
    bad = client.post("/dashboard/stores/shop/rename", data={"csrf_token": csrf, "new_name": "no spaces"})
    assert bad.status_code == 422 and 'id="e-new_name"' in bad.text
    assert client.post("/dashboard/stores/shop/rename", data={"csrf_token": "x", "new_name": "m"}).status_code == 403
    done = client.post("/dashboard/stores/shop/rename", data={"csrf_token": csrf, "new_name": "market"},
                       follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/dashboard/stores/market?done=renamed"
    assert "Its old name keeps leading here" in client.get(done.headers["location"]).text
    wrong = client.post("/dashboard/stores/market/delete", data={"csrf_token": csrf, "confirm": "shop"})
    assert wrong.status_code == 422 and "type its name" in wrong.text
    gone = client.post("/dashboard/stores/market/delete", data={"csrf_token": csrf, "confirm": "market"},
                       follow_redirects=False)
    assert gone.status_code == 303 and stores.get_store(svc, "market") is None
    assert "stays reserved" in client.get(gone.headers["location"]).text
