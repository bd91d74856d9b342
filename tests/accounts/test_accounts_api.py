"""Sign-up, confirmation, log-in, reset and the dev token over the JSON API,
on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from apkdepot.db.schema import account_links, developers
from apkdepot.db.time import utcnow
from tests.conftest import BACKENDS
from tests.helpers import PASSWORD, business_form, link_token, make_developer, personal_form, sha1

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


def register(client, form, **kw):
    return client.post("/api/accounts/register", json=form, **kw)


def confirm_token(mailer):
    return link_token(mailer.last_body(), "/confirm")


def test_sign_up_sends_a_confirmation_mail_and_stores_no_secret(client, mailer, svc):
    response = register(client, business_form(email="Biz@Example.com"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "OK"
    assert body["developer"]["email"] == "biz@example.com"
    assert body["developer"]["email_confirmed"] is False
    assert "token" not in body
    assert mailer.sent[-1]["To"] == "biz@example.com"
    with svc.db.read() as conn:
        row = conn.execute(sa.select(developers)).one()
    assert row.phone == "+351912345678" and row.country == "PT"
    assert "abcdefg1" not in row.password_hash and sha1("abcdefg1") not in row.password_hash
    assert row.password_hash.startswith("$argon2id$")


def test_all_failing_fields_at_once_in_english(client):
    response = register(client, {"account_type": "business", "business_name": "x" * 45})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == "FAIL"
    by_field = {e["field"]: (e["code"], e["msg"]) for e in body["errors"]}
    assert by_field["email"] == ("REG-1", "Please insert an email address")
    assert by_field["business_name"] == ("REG-7", "Business Name should be smaller than 40 characters.")
    assert by_field["accept_terms"] == ("REG-15", "You must agree with terms of use.")
    assert len(body["errors"]) == 12


@pytest.mark.parametrize("how", ["header", "query", "body"])
def test_messages_in_brazilian_portuguese(client, how):
    form = {"account_type": ""}
    kwargs = {}
    if how == "header":
        kwargs["headers"] = {"Accept-Language": "pt-BR,pt;q=0.9,en;q=0.5"}
    elif how == "query":
        kwargs["params"] = {"lang": "pt-BR"}
    else:
        form["lang"] = "pt_BR"
    body = register(client, form, **kwargs).json()
    messages = {e["field"]: e["msg"] for e in body["errors"]}
    assert messages["name"] == "Por favor, insira um nome"
    assert messages["email"] == "Por favor, insira o endereço de email"
    assert messages["account_type"] == "Você deve selecionar uma opção"
    assert messages["password"].startswith("A senha deve conter:")


def test_duplicate_address_is_refused(client):
    assert register(client, personal_form()).status_code == 201
    response = register(client, personal_form(email="NEW@example.com"))
    assert response.status_code == 409
    assert response.json()["errors"][0]["code"] == "REG-2"


def test_confirmation_link_is_single_use(client, mailer):
    register(client, personal_form())
    token = confirm_token(mailer)
    # Unconfirmed accounts cannot log in yet.
    login = client.post("/api/accounts/login", json={"email": "new@example.com", "password": "abcdefg1"})
    assert login.json()["errors"][0]["code"] == "AUTH-2"
    first = client.get("/api/accounts/confirm", params={"token": token})
    assert first.status_code == 200 and first.json()["developer"]["email_confirmed"] is True
    again = client.get("/api/accounts/confirm", params={"token": token})
    assert again.status_code == 410 and again.json()["errors"][0]["code"] == "LINK-2"
    assert client.get("/api/accounts/confirm", params={"token": "forged"}).json()["errors"][0]["code"] == "LINK-1"
    assert client.get("/api/accounts/confirm").json()["errors"][0]["code"] == "LINK-1"
    login = client.post("/api/accounts/login", json={"email": "new@example.com", "password": "abcdefg1"})
    assert login.status_code == 200


def test_confirmation_link_expires(client, mailer, svc):
    register(client, personal_form())
    token = confirm_token(mailer)
    with svc.db.write() as conn:
        conn.execute(account_links.update().values(expires_at=utcnow() - timedelta(seconds=1)))
    response = client.get("/api/accounts/confirm", params={"token": token})
    assert response.json()["errors"][0]["code"] == "LINK-3"


def test_resend_gives_a_new_link_and_the_same_answer_for_unknown_addresses(client, mailer):
    register(client, personal_form())
    sent = len(mailer.sent)
    assert client.post("/api/accounts/confirm/resend", json={"email": "nobody@example.com"}).json() == {"status": "OK"}
    assert len(mailer.sent) == sent
    assert client.post("/api/accounts/confirm/resend", json={"email": "new@example.com"}).json() == {"status": "OK"}
    assert len(mailer.sent) == sent + 1
    assert client.get("/api/accounts/confirm", params={"token": confirm_token(mailer)}).status_code == 200


def test_password_reset_flow(client, mailer, svc):
    make_developer(svc, "dev@example.com")
    unknown = client.post("/api/accounts/password/forgot", json={"email": "ghost@example.com"})
    known = client.post("/api/accounts/password/forgot", json={"email": "dev@example.com"})
    assert unknown.status_code == known.status_code == 200
    assert unknown.json() == known.json() == {"status": "OK"}
    assert len(mailer.sent) == 1
    token = link_token(mailer.last_body(), "/reset")
    assert client.get("/api/accounts/password/reset", params={"token": token}).json()["valid"] is True

    weak = client.post("/api/accounts/password/reset", json={"token": token, "password": "short"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["code"] == "REG-3"
    done = client.post("/api/accounts/password/reset", json={"token": token, "password": "new-pass-9"})
    assert done.status_code == 200
    reused = client.post("/api/accounts/password/reset", json={"token": token, "password": "other-pass-9"})
    assert reused.json()["errors"][0]["code"] == "LINK-2"

    old = client.post("/api/accounts/login", json={"email": "dev@example.com", "password": PASSWORD})
    assert old.status_code == 401 and old.json()["errors"][0]["code"] == "AUTH-1"
    new = client.post("/api/accounts/login", json={"email": "dev@example.com", "password": "new-pass-9"})
    assert new.status_code == 200


def test_password_reset_link_expires(client, mailer, svc):
    make_developer(svc, "dev@example.com")
    client.post("/api/accounts/password/forgot", json={"email": "dev@example.com"})
    token = link_token(mailer.last_body(), "/reset")
    with svc.db.write() as conn:
        conn.execute(account_links.update().values(expires_at=utcnow()))
    response = client.post("/api/accounts/password/reset", json={"token": token, "password": "new-pass-9"})
    assert response.json()["errors"][0]["code"] == "LINK-3"


def test_a_confirmation_link_cannot_reset_a_password(client, mailer):
    register(client, personal_form())
    token = confirm_token(mailer)
    response = client.post("/api/accounts/password/reset", json={"token": token, "password": "new-pass-9"})
    assert response.json()["errors"][0]["code"] == "LINK-1"


def test_session_cookie_login_me_csrf_and_logout(client, svc):
    make_developer(svc, "dev@example.com")
    login = client.post("/api/accounts/login", json={"email": "dev@example.com", "password": PASSWORD})
    assert login.status_code == 200
    cookie = login.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("SameSite=Lax", "SameSite=lax")
    csrf = login.json()["csrf_token"]
    assert client.get("/api/accounts/me").json()["developer"]["email"] == "dev@example.com"

    refused = client.post("/api/accounts/token/regenerate")
    assert refused.status_code == 403 and refused.json()["errors"][0]["code"] == "AUTH-4"
    refused = client.post("/api/accounts/token/regenerate", headers={"X-CSRF-Token": "wrong"})
    assert refused.status_code == 403
    accepted = client.post("/api/accounts/token/regenerate", headers={"X-CSRF-Token": csrf})
    assert accepted.status_code == 200 and len(accepted.json()["token"]) == 40

    assert client.post("/api/accounts/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    client.cookies.clear()
    assert client.get("/api/accounts/me").status_code == 401


def test_dev_token_is_shown_regenerated_and_the_old_one_fails_at_once(client, svc):
    _, token = make_developer(svc, "dev@example.com")
    auth = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/accounts/token", headers=auth).json()["token"] == token
    new = client.post("/api/accounts/token/regenerate", headers=auth).json()["token"]
    assert new != token and len(new) == 40
    old = client.get("/api/accounts/me", headers=auth)
    assert old.status_code == 401 and old.json()["errors"][0]["code"] == "IARG-2"
    assert client.get("/api/accounts/me", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    with svc.db.read() as conn:
        row = conn.execute(sa.select(developers)).one()
    assert new not in str(tuple(row)) and token not in str(tuple(row))


def test_login_is_throttled_per_address(client, svc):
    make_developer(svc, "dev@example.com")
    limit = svc.settings.login_per_address
    for _ in range(limit):
        assert client.post("/api/accounts/login", json={"email": "dev@example.com", "password": "wrong-1"}).status_code == 401
    blocked = client.post("/api/accounts/login", json={"email": "dev@example.com", "password": PASSWORD})
    assert blocked.status_code == 429
    assert blocked.json()["errors"][0]["code"] == "RATE-1"
    assert int(blocked.headers["retry-after"]) > 0


def test_sign_up_is_throttled_per_client_ip(client, svc):
    for i in range(svc.settings.signup_per_ip):
        register(client, personal_form(email=f"u{i}@example.com", name=""))
    blocked = register(client, personal_form(email="late@example.com"))
    assert blocked.status_code == 429 and "retry-after" in blocked.headers
