"""Operators: the role, disabling an account (every credential stops at once,
on every process), suspending a store (it leaves every protocol), and the
audit log that records it all. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa

from apkdepot import operators
from apkdepot.accounts import api_tokens
from apkdepot.accounts import services as accounts
from apkdepot.db.schema import audit_events, portal_sessions
from tests.conftest import BACKENDS
from tests.helpers import (PASSWORD, auth, client_with, create_store, flush, make_developer, state, upload,
                           wait_for)

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


@pytest.fixture
def people(svc):
    """An operator, a store owner and another developer: (developer, dev token) each."""
    admin = make_developer(svc, "admin@example.com", name="Admin")
    operators.set_operator(svc, admin[0].id, True)
    owner = make_developer(svc, "owner@example.com", name="Owner")
    other = make_developer(svc, "other@example.com", name="Other")
    return {"admin": admin, "owner": owner, "other": other}


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def log_in(client, email: str):
    return client.post("/api/accounts/login", json={"email": email, "password": PASSWORD})


def test_only_operators_reach_the_operator_api(client, svc, people):
    # The developer endpoints act on a fourth account (disabling the owner would
    # end the owner's own credentials half-way through the matrix).
    owner_id = make_developer(svc, "subject@example.com", name="Subject")[0].id
    create_store(client, people["owner"][1], "shop")
    calls = [("GET", "/api/admin/developers", None), ("GET", f"/api/admin/developers/{owner_id}", None),
             ("POST", f"/api/admin/developers/{owner_id}/disable", {"reason": "spam"}),
             ("POST", f"/api/admin/developers/{owner_id}/enable", None),
             ("POST", f"/api/admin/developers/{owner_id}/operator", None),
             ("DELETE", f"/api/admin/developers/{owner_id}/operator", None),
             ("GET", "/api/admin/stores", None), ("GET", "/api/admin/stores/shop", None),
             ("POST", "/api/admin/stores/shop/suspend", {"reason": "malware"}),
             ("POST", "/api/admin/stores/shop/resume", None), ("GET", "/api/admin/audit", None)]
    for method, path, body in calls:
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401 and codes(anonymous) == ["AUTH-3"], (method, path)
        for who in ("owner", "other"):  # the data's owner is no operator either
            refused = client.request(method, path, json=body, headers=auth(people[who][1]))
            assert refused.status_code == 403 and codes(refused) == ["ADMIN-1"], (who, method, path)
        allowed = client.request(method, path, json=body, headers=auth(people["admin"][1]))
        assert allowed.status_code == 200, (method, path, allowed.text)
    # Nothing the refused calls asked for happened: the log holds the operator's calls alone.
    actions = [e["action"] for e in client.get("/api/admin/audit", headers=auth(people["admin"][1])).json()["events"]]
    assert actions[:6] == ["store.resume", "store.suspend", "operator.revoke", "operator.grant", "developer.enable",
                           "developer.disable"]


def test_operator_lists_search_and_page(client, people):
    admin = auth(people["admin"][1])
    create_store(client, people["owner"][1], "shop")
    create_store(client, people["other"][1], "other-shop")
    found = client.get("/api/admin/developers", params={"q": "OWNER@"}, headers=admin).json()["developers"]
    assert [d["email"] for d in found] == ["owner@example.com"] and found[0]["stores"] == 1
    first = client.get("/api/admin/developers", params={"limit": 2}, headers=admin).json()["developers"]
    rest = client.get("/api/admin/developers", params={"after": first[-1]["id"]}, headers=admin).json()["developers"]
    assert [d["email"] for d in first + rest] == ["admin@example.com", "owner@example.com", "other@example.com"]
    stores = client.get("/api/admin/stores", params={"q": "other@"}, headers=admin).json()["stores"]
    assert [(s["name"], s["owner"]["email"]) for s in stores] == [("other-shop", "other@example.com")]
    assert client.get("/api/admin/stores", params={"q": "%"}, headers=admin).json()["stores"] == []
    for params in ({"limit": "0"}, {"limit": "x"}, {"after": "-1"}, {"q": "x" * 201}):
        bad = client.get("/api/admin/developers", params=params, headers=admin)
        assert bad.status_code == 400 and codes(bad)[0] in ("IARG-105", "IARG-104"), params
    missing = client.get("/api/admin/developers/999999", headers=admin)
    assert missing.status_code == 404 and codes(missing) == ["ADMIN-2"]
    assert client.get("/api/admin/developers/abc", headers=admin).status_code == 404
    assert codes(client.get("/api/admin/stores/nope", headers=admin)) == ["ADMIN-3"]


def test_a_disabled_account_loses_every_credential_at_once_and_gets_them_back(client, svc, people, database_url,
                                                                             tmp_path, mailer):
    developer, token = people["owner"]
    create_store(client, token, "shop")
    api_token = api_tokens.create_token(svc, developer.id)[1]
    app_list_before = client.get("/api/mng/apps", headers={"Authorization": f"Bearer {api_token}"}).status_code
    assert app_list_before != 401
    session = log_in(client, developer.email)
    assert session.status_code == 200
    client.cookies.clear()
    granted = client.post("/webservices/3/oauth2Authentication", data={
        "mode": "json", "client_id": "Aptoide", "grant_type": "password", "username": developer.email,
        "password": PASSWORD}).json()
    ws = "/webservices/2/getRepositoryInfo/shop/json"
    with client_with(tmp_path, database_url, mailer) as second:  # another server process on the same database
        assert second.get(ws, params={"token": token}).json()["status"] == "OK"  # remembered there
        admin = auth(people["admin"][1])
        for body in ({}, {"reason": ""}, {"reason": "x" * 501}, {"reason": 3}):
            bad = client.post(f"/api/admin/developers/{developer.id}/disable", json=body, headers=admin)
            assert bad.status_code == 422 and codes(bad) == ["ADMIN-4"]
        disabled = client.post(f"/api/admin/developers/{developer.id}/disable", json={"reason": "spam"},
                               headers=admin)
        assert disabled.json()["developer"]["disabled"]["reason"] == "spam"
        assert client.get(ws, params={"token": token}).json()["errors"][0]["code"] == "IARG-2"
        wait_for(lambda: second.get(ws, params={"token": token}).json()["status"] == "FAIL",
                 "the other process refuses the dev token")
        assert client.get("/api/stores", headers=auth(token)).status_code == 401
        assert client.get("/api/mng/apps", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401
        assert client.post("/webservices/3/getUserInfo", data={"access_token": granted["access_token"],
                                                               "mode": "json"}).json()["status"] == "FAIL"
        refused = log_in(client, developer.email)
        assert refused.status_code == 403 and codes(refused) == ["AUTH-10"]
        assert codes(log_in(client, "nobody@example.com")) == ["AUTH-1"]  # no hint to those without the password
        # The stores keep serving devices.
        assert client.get("/repo/shop/info.xml").status_code == 200
        client.post(f"/api/admin/developers/{developer.id}/enable", headers=admin)
        assert client.get(ws, params={"token": token}).json()["status"] == "OK"
        wait_for(lambda: second.get(ws, params={"token": token}).json()["status"] == "OK",
                 "the other process accepts the dev token again")
        assert client.get("/api/mng/apps", headers={"Authorization": f"Bearer {api_token}"}).status_code == \
            app_list_before
        assert log_in(client, developer.email).status_code == 200


def test_operators_cannot_lock_themselves_out(client, people):
    admin_id, admin = people["admin"][0].id, auth(people["admin"][1])
    for method, path, body in (("POST", f"/api/admin/developers/{admin_id}/disable", {"reason": "oops"}),
                               ("DELETE", f"/api/admin/developers/{admin_id}/operator", None)):
        refused = client.request(method, path, json=body, headers=admin)
        assert refused.status_code == 409 and codes(refused) == ["ADMIN-5"]
    assert client.get("/api/admin/audit", headers=admin).status_code == 200


def test_a_suspended_store_leaves_every_protocol_and_comes_back(client, svc, people):
    token = people["owner"][1]
    create_store(client, token, "shop")
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
    flush(client)
    held = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).headers["etag"].strip('"')
    apk_path = client.get("/api/stores/shop/apks", headers=auth(token)).json()["apks"][0]["url"]
    apk_path = apk_path.removeprefix("http://testserver.local")
    checks = {
        "v7": lambda: client.get("/api/7/store/getMeta/store_name=shop").json(),
        "ws": lambda: client.get(f"/webservices/2/listRepositoryChange/shop/{held}/json",
                                 params={"token": people["other"][1]}).json(),
        "info": lambda: client.get("/repo/shop/info.xml"),
        "fdroid": lambda: client.get("/fdroid/shop/repo/index-v2.json"),
        "apk": lambda: client.get(apk_path),
        "front": lambda: client.get("/stores/shop"),
        "search": lambda: client.get("/api/7/apps/search/query=alpha").json(),
    }
    assert checks["v7"]()["info"]["status"] == "OK" and checks["info"]().status_code == 200
    assert checks["search"]()["datalist"]["list"]
    suspended = client.post("/api/admin/stores/shop/suspend", json={"reason": "ships malware"},
                            headers=auth(people["admin"][1]))
    assert suspended.json()["store"]["suspended"]["reason"] == "ships malware"
    assert checks["v7"]()["errors"][0]["code"] == "STORE-7"
    assert client.get("/api/7/apps/get/store_name=shop").json()["errors"][0]["code"] == "STORE-7"
    assert checks["ws"]()["errors"] == [{"code": "IARG-4", "msg": "This store is suspended: shop"}]
    for name in ("info", "fdroid", "apk"):
        gone = checks[name]()
        assert gone.status_code == 410 and b"IARG-4" in gone.content, name
    assert checks["front"]().status_code == 404
    assert checks["search"]()["datalist"]["list"] == []
    # The owner still manages the store and sees why it is silent.
    mine = client.get("/api/stores/shop", headers=auth(token)).json()["store"]
    assert mine["suspended"]["reason"] == "ships malware"
    assert "ships malware" in client.get("/dashboard", cookies=_session_cookies(client, "owner@example.com")).text
    client.cookies.clear()
    client.post("/api/admin/stores/shop/resume", headers=auth(people["admin"][1]))
    assert checks["v7"]()["info"]["status"] == "OK"
    assert checks["ws"]()["listing"] == [{"repo": "shop", "hasupdates": "FALSE"}]
    for name in ("info", "fdroid", "apk", "front"):
        assert checks[name]().status_code == 200, name
    assert client.get("/api/stores/shop", headers=auth(token)).json()["store"]["suspended"] is None


def _session_cookies(client, email: str) -> dict:
    response = log_in(client, email)
    assert response.status_code == 200
    return dict(response.cookies)


def test_the_audit_log_records_who_changed_what_and_shows_owners_their_own(client, svc, people):
    owner, token = people["owner"]
    admin = auth(people["admin"][1])
    create_store(client, token, "shop", description="first")
    client.patch("/api/stores/shop", json={"description": "second"}, headers=auth(token))
    created = client.post("/api/tokens", json={"name": "ci"}, headers=auth(token)).json()["api_token"]
    client.delete(f"/api/tokens/{created['id']}", headers=auth(token))
    client.post("/api/admin/stores/shop/suspend", json={"reason": "checking"}, headers=admin)
    create_store(client, people["other"][1], "elsewhere")
    mine = client.get("/api/audit", headers=auth(token)).json()["events"]
    assert [e["action"] for e in mine] == ["store.suspend", "token.revoke", "token.create", "store.update",
                                           "store.create", "account.create"]
    assert {e["owner_id"] for e in mine} == {owner.id}
    by_operator = mine[0]
    assert by_operator["actor"] == "operator" and by_operator["ip"] is None and by_operator["actor_id"] is None
    assert by_operator["after"] == {"suspended": "checking"}
    update = mine[3]
    assert update["actor"] == "owner@example.com" and update["ip"] == "testclient"
    assert update["before"] == {"description": "first"} and update["after"] == {"description": "second"}
    # The operator sees everyone's, with their own name on their actions.
    everything = client.get("/api/admin/audit", headers=admin).json()["events"]
    assert everything[0]["action"] == "store.create" and everything[0]["subject"] == "elsewhere"
    assert everything[1]["actor"] == "admin@example.com"
    assert [e["action"] for e in client.get("/api/admin/audit", params={"action": "token."},
                                             headers=admin).json()["events"]] == ["token.revoke", "token.create"]
    # Pages continue with "before"; the CSV export has all of it.
    page = client.get("/api/audit", params={"limit": 2}, headers=auth(token)).json()
    rest = client.get("/api/audit", params={"before": page["next_before"]}, headers=auth(token)).json()
    assert [e["id"] for e in page["events"] + rest["events"]] == [e["id"] for e in mine]
    exported = client.get("/api/audit", params={"format": "csv"}, headers=auth(token))
    assert exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [r["action"] for r in rows] == [e["action"] for e in mine] and rows[0]["actor"] == "operator"
    assert codes(client.get("/api/audit", params={"format": "xml"}, headers=auth(token))) == ["IARG-102"]
    assert client.get("/api/audit").status_code == 401
    # Another developer's log holds none of it.
    assert all(e["owner_id"] == people["other"][0].id
               for e in client.get("/api/audit", headers=auth(people["other"][1])).json()["events"])


def test_the_audit_log_is_append_only(svc, people):
    with svc.db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(audit_events)).scalar() >= 1
    for statement in (audit_events.update().values(action="forged"), audit_events.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with svc.db.write() as conn:
                conn.execute(statement)
    with svc.db.read() as conn:
        assert "forged" not in set(conn.execute(sa.select(audit_events.c.action)).scalars())


def test_an_operator_takes_down_a_version_or_an_app_and_the_owner_reads_why(client, people):
    token = people["owner"][1]
    create_store(client, token, "shop")
    for name in ("gamma-5.apk", "gamma-6.apk", "alpha-1.apk"):
        assert upload(client, token, "shop", name).status_code == 201
    flush(client)
    path = "/api/admin/stores/shop/apps/org.apkdepot.gamma/takedown"
    body = {"reason": "copyright claim", "version_code": 6}
    assert client.post(path, json=body).status_code == 401
    for who in ("owner", "other"):
        assert codes(client.post(path, json=body, headers=auth(people[who][1]))) == ["ADMIN-1"]
    admin = auth(people["admin"][1])
    for bad, code in (({"version_code": 6}, "ADMIN-4"), ({"reason": "x", "version_code": "six"}, "IARG-102"),
                      ({"reason": "x", "version_code": 7}, "APK-1")):
        assert codes(client.post(path, json=bad, headers=admin)) == [code], bad
    assert codes(client.post("/api/admin/stores/nope/apps/x/takedown", json=body, headers=admin)) == ["ADMIN-3"]
    assert client.post(path, json=body, headers=admin).json()["removed"] == 1
    flush(client)
    listed = client.get("/webservices/2/listRepository/shop/json", params={"token": token}).json()["listing"]
    assert {(a["apkid"], a["vercode"]) for a in listed} == {("org.apkdepot.gamma", 5), ("org.apkdepot.alpha", 1)}
    whole = client.post("/api/admin/stores/shop/apps/org.apkdepot.alpha/takedown", json={"reason": "malware"},
                        headers=admin)
    assert whole.json()["removed"] == 1
    flush(client)
    listed = client.get("/webservices/2/listRepository/shop/json", params={"token": token}).json()["listing"]
    assert [a["apkid"] for a in listed] == ["org.apkdepot.gamma"]
    mine = client.get("/api/audit", params={"action": "app.remove"}, headers=auth(token)).json()["events"]
    assert [(e["action"], e["actor"], e["after"]["reason"]) for e in mine] == [
        ("app.remove", "operator", "malware"), ("app.remove_version", "operator", "copyright claim")]


def test_a_signed_in_developer_changes_password_and_address_and_ends_sessions(client, svc, people, mailer):
    from tests.helpers import link_token

    developer, token = people["owner"]
    first = log_in(client, developer.email)
    first_cookie = dict(first.cookies)
    client.cookies.clear()
    second = log_in(client, developer.email)
    csrf = {"X-CSRF-Token": second.json()["csrf_token"]}
    sessions = client.get("/api/accounts/sessions").json()["sessions"]
    assert [s["current"] for s in sessions] == [True, False]
    # The current password is asked for, and wrong guesses are throttled like log-ins.
    wrong = client.post("/api/accounts/password", json={"current_password": "nope", "new_password": "newpass123"},
                        headers=csrf)
    assert wrong.status_code == 403 and codes(wrong) == ["AUTH-11"]
    weak = client.post("/api/accounts/password", json={"current_password": PASSWORD, "new_password": "short"},
                       headers=csrf)
    assert weak.status_code == 422 and codes(weak) == ["REG-3"]
    changed = client.post("/api/accounts/password", json={"current_password": PASSWORD, "new_password": "newpass123"},
                          headers=csrf)
    assert changed.json()["sessions_ended"] == 1
    assert client.get("/api/accounts/me").status_code == 200  # this session goes on
    assert client.get("/api/accounts/me", cookies=first_cookie).status_code == 401  # the other one ended
    assert client.get("/api/stores", headers=auth(token)).status_code == 200  # the dev token stays
    assert client.post("/api/accounts/login", json={"email": developer.email, "password": "newpass123"}).status_code == 200
    # A new address takes effect only once its link is opened.
    client.cookies.clear()
    session = log_in_with(client, developer.email, "newpass123")
    taken = client.post("/api/accounts/email", json={"password": "newpass123", "email": "other@example.com"},
                        headers=session)
    assert taken.status_code == 409 and codes(taken) == ["REG-2"]
    asked = client.post("/api/accounts/email", json={"password": "newpass123", "email": "New@Example.com"},
                        headers=session)
    assert asked.json()["pending_email"] == "new@example.com"
    assert mailer.sent[-1]["To"] == "new@example.com"
    assert client.get("/api/accounts/me").json()["developer"]["email"] == developer.email
    confirm = link_token(mailer.last_body(), "/confirm")
    assert client.get("/api/accounts/confirm", params={"token": confirm}).status_code == 200
    assert client.get("/api/accounts/me").json()["developer"]["email"] == "new@example.com"
    # Sessions are ended one by one; another developer's session is "not found".
    mine = client.get("/api/accounts/sessions").json()["sessions"]
    accounts.open_session(svc, people["other"][0])
    with svc.db.read() as conn:
        others_id = conn.execute(sa.select(sa.func.max(portal_sessions.c.id))).scalar()
    refused = client.delete(f"/api/accounts/sessions/{others_id}", headers=session)
    assert refused.status_code == 404 and codes(refused) == ["AUTH-12"]
    assert client.delete("/api/accounts/sessions/999999", headers=session).status_code == 404
    assert client.delete("/api/accounts/sessions/abc", headers=session).status_code == 404
    ended = [s for s in mine if not s["current"]]
    for s in ended:
        assert client.delete(f"/api/accounts/sessions/{s['id']}", headers=session).status_code == 200
    assert [s["current"] for s in client.get("/api/accounts/sessions").json()["sessions"]] == [True]
    actions = [e["action"] for e in client.get("/api/audit").json()["events"]]
    assert "account.password" in actions and "account.email_requested" in actions and "account.confirm" in actions
    client.cookies.clear()
    assert client.get("/api/accounts/sessions").status_code == 401
    assert client.post("/api/accounts/password", json={}).status_code == 401


def log_in_with(client, email: str, password: str) -> dict:
    response = client.post("/api/accounts/login", json={"email": email, "password": password})
    assert response.status_code == 200
    return {"X-CSRF-Token": response.json()["csrf_token"]}
