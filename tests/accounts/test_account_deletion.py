"""Deleting an account: the password is asked for, every store of it is
deleted (names stay reserved), every credential stops at once, personal
details go, the address is free again; operators cannot delete themselves."""

from __future__ import annotations


import pytest
import sqlalchemy as sa

from apkdepot import operators
from apkdepot.db.schema import developers
from tests.conftest import BACKENDS
from tests.helpers import PASSWORD, auth, create_store, flush, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def test_deleting_an_account_ends_everything_of_it(client, svc):
    owner, token = make_developer(svc, "leaver@example.com", name="Leaver")
    _, other = make_developer(svc, "other@example.com")
    create_store(client, token, "shop")
    create_store(client, token, "spare")
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
    flush(client)
    api_token = client.post("/api/tokens", json={"scopes": ["stores:read"]}, headers=auth(token)).json()["token"]
    assert client.get("/api/stores", headers=auth(api_token)).status_code == 200
    wrong = client.post("/api/accounts/delete", json={"password": "not-it-1"}, headers=auth(token))
    assert wrong.status_code == 403 and codes(wrong) == ["AUTH-11"]
    assert client.post("/api/accounts/delete", json={"password": PASSWORD}).status_code == 401
    assert client.post("/api/accounts/delete", json={"password": PASSWORD}, headers=auth(api_token)).status_code == 403
    assert client.get("/repo/shop/info.xml").status_code == 200  # nothing happened yet

    done = client.post("/api/accounts/delete", json={"password": PASSWORD}, headers=auth(token))
    assert done.status_code == 200 and done.json()["deleted_stores"] == 2
    for credential in (token, api_token):
        assert client.get("/api/stores", headers=auth(credential)).status_code == 401
    assert client.get("/webservices/2/getUserInfo/json", params={"token": token}).json()["status"] == "FAIL"
    login = client.post("/api/accounts/login", json={"email": "leaver@example.com", "password": PASSWORD})
    assert login.status_code == 401
    assert client.get("/repo/shop/info.xml").status_code == 404
    for name in ("shop", "spare"):
        grab = client.post("/api/stores", json={"name": name}, headers=auth(other))
        assert grab.status_code == 409 and codes(grab) == ["REPO-2"], name
    with svc.db.read() as conn:
        row = conn.execute(sa.select(developers).where(developers.c.id == owner.id)).first()
    assert row.email != "leaver@example.com" and row.name == "(deleted)" and row.disabled_at is not None
    assert all(getattr(row, c) is None for c in ("phone", "address", "tax_id", "totp_secret"))
    # The address can sign up again, as a new account.
    again, again_token = make_developer(svc, "leaver@example.com")
    assert again.id != owner.id and client.get("/api/stores", headers=auth(again_token)).json()["stores"] == []
    # The activity log kept the record (the operators read it).
    admin, admin_token = make_developer(svc, "admin@example.com")
    operators.set_operator(svc, admin.id, True)
    log = client.get("/api/admin/audit", params={"action": "account.delete"}, headers=auth(admin_token)).json()
    assert log["events"][0]["before"] == {"stores": ["shop", "spare"]}


def test_an_operator_cannot_delete_their_own_account(client, svc):
    admin, admin_token = make_developer(svc, "admin@example.com")
    operators.set_operator(svc, admin.id, True)
    refused = client.post("/api/accounts/delete", json={"password": PASSWORD}, headers=auth(admin_token))
    assert refused.status_code == 409 and codes(refused) == ["AUTH-17"]
    assert client.get("/api/accounts/me", headers=auth(admin_token)).status_code == 200


def test_deleting_the_account_from_the_dashboard(client, svc):
    from tests.portal.test_pages import log_in

    _, token = make_developer(svc, "leaver@example.com")
    create_store(client, token, "shop")
    csrf = log_in(client, "leaver@example.com")
    assert 'action="/dashboard/account/delete"' in client.get("/dashboard/account").text
    assert client.post("/dashboard/account/delete", data={"csrf_token": "x", "delete_password": PASSWORD}).status_code == 403
    wrong = client.post("/dashboard/account/delete", data={"csrf_token": csrf, "delete_password": "nope-1234"})
    assert wrong.status_code == 422 and 'id="e-delete_password"' in wrong.text
    gone = client.post("/dashboard/account/delete", data={"csrf_token": csrf, "delete_password": PASSWORD})
    assert gone.status_code == 200 and "1 stores were deleted" in gone.text
    assert client.get("/dashboard", follow_redirects=False).status_code == 303  # signed out
    assert client.get("/api/stores", headers=auth(token)).status_code == 401
