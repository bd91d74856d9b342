"""The TOTP second factor: set-up, log-in with and without it in every log-in
path, codes and recovery codes good once, the operators' requirement, and
log-in notifications."""

from __future__ import annotations

import hashlib
import re
import time

import pyotp
import pytest
import sqlalchemy as sa

from apkdepot import operators
from apkdepot.db.schema import developers
from tests.conftest import BACKENDS
from tests.helpers import PASSWORD, auth, client_with, make_developer
from tests.portal.test_pages import csrf_of

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)


def codes(response) -> list[str]:
    return [e["code"] for e in response.json()["errors"]]


def code_at(key: str, steps_ahead: int) -> str:
    """The code of the time step ``steps_ahead`` from now (the server allows one step of drift)."""
    return pyotp.TOTP(key).at(time.time() + 30 * steps_ahead)


def login(client, email: str, **extra):
    return client.post("/api/accounts/login", json={"email": email, "password": PASSWORD, **extra})


def turn_on(client, token: str) -> tuple[str, list[str]]:
    setup = client.post("/api/accounts/second-factor/setup", headers=auth(token)).json()["setup"]
    assert setup["otpauth_uri"].startswith("otpauth://totp/ApkDepot:") and "<svg" in setup["qr_svg"]
    recovery = client.post("/api/accounts/second-factor/enable", json={"otp": code_at(setup["key"], -1)},
                           headers=auth(token)).json()["recovery_codes"]
    return setup["key"], recovery


def test_set_up_and_log_in_with_the_second_factor(tmp_path, database_url, mailer):
    # Many log-ins from one address in a few seconds: a throttle that lets them through.
    with client_with(tmp_path, database_url, mailer, login_per_address=100, login_per_ip=100) as client:
        _set_up_and_log_in(client, client.svc)


def _set_up_and_log_in(client, svc):
    developer, token = make_developer(svc)
    assert client.get("/api/accounts/second-factor", headers=auth(token)).json()["second_factor"] == {
        "enabled": False, "recovery_codes_left": 0}
    not_started = client.post("/api/accounts/second-factor/enable", json={"otp": "123456"}, headers=auth(token))
    assert not_started.status_code == 409 and codes(not_started) == ["AUTH-16"]
    setup = client.post("/api/accounts/second-factor/setup", headers=auth(token)).json()["setup"]
    wrong = client.post("/api/accounts/second-factor/enable", json={"otp": "000000"}, headers=auth(token))
    assert wrong.status_code == 422 and codes(wrong) == ["AUTH-14"]
    assert login(client, developer.email).status_code == 200  # not on until a code was entered
    recovery = client.post("/api/accounts/second-factor/enable", json={"otp": code_at(setup["key"], -1)},
                           headers=auth(token)).json()["recovery_codes"]
    assert len(recovery) == 10 and len(set(recovery)) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c)
                                                                    for c in recovery)
    again = client.post("/api/accounts/second-factor/setup", headers=auth(token))
    assert again.status_code == 409 and codes(again) == ["AUTH-15"]
    with svc.db.read() as conn:
        stored = conn.execute(sa.select(developers.c.totp_secret).where(developers.c.id == developer.id)).scalar()
    assert setup["key"] not in stored  # kept encrypted

    # A password log-in now needs the code; a wrong password still says only AUTH-1.
    needed = login(client, developer.email)
    assert needed.status_code == 401 and codes(needed) == ["AUTH-13"]
    assert codes(client.post("/api/accounts/login", json={"email": developer.email, "password": "wrong-pass1"})) == \
        ["AUTH-1"]
    assert codes(login(client, developer.email, otp="000000")) == ["AUTH-14"]
    fresh = code_at(setup["key"], 0)
    assert login(client, developer.email, otp=fresh).status_code == 200
    client.cookies.clear()
    assert codes(login(client, developer.email, otp=fresh)) == ["AUTH-14"]  # a code is good once
    # A recovery code, typed with spaces and upper case, is good once too.
    typed = recovery[0].upper().replace("-", " ")
    assert login(client, developer.email, otp=typed).status_code == 200
    client.cookies.clear()
    assert codes(login(client, developer.email, otp=recovery[0])) == ["AUTH-14"]
    assert client.get("/api/accounts/second-factor", headers=auth(token)).json()["second_factor"] == {
        "enabled": True, "recovery_codes_left": 9}
    # The apps' password log-ins cannot send a code: they are refused; the dev token keeps working.
    passhash = hashlib.sha1(PASSWORD.encode()).hexdigest()
    ws = client.post("/webservices/2/checkUserCredentials", data={"user": developer.email, "passhash": passhash,
                                                                  "mode": "json"}).json()
    assert ws["status"] == "FAIL" and ws["errors"][0]["code"] == "AUTH-13"
    oauth = client.post("/webservices/3/oauth2Authentication", data={
        "mode": "json", "client_id": "Aptoide", "grant_type": "password", "username": developer.email,
        "password": PASSWORD})
    assert oauth.json()["status"] == "FAIL"
    assert client.get("/api/stores", headers=auth(token)).status_code == 200
    # Turning it off takes a code; then the password alone logs in again.
    assert codes(client.post("/api/accounts/second-factor/disable", json={"otp": "000000"}, headers=auth(token))) == \
        ["AUTH-14"]
    assert client.post("/api/accounts/second-factor/disable", json={"otp": recovery[1]},
                       headers=auth(token)).status_code == 200
    assert login(client, developer.email).status_code == 200
    actions = [e["action"] for e in client.get("/api/audit", headers=auth(token)).json()["events"]]
    assert {"account.second_factor_on", "account.recovery_code_used", "account.second_factor_off"} <= set(actions)


def test_the_portal_asks_for_the_code_in_a_second_step(client, svc):
    developer, token = make_developer(svc)
    key, _ = turn_on(client, token)
    client.get("/login")
    csrf = csrf_of(client.get("/login").text)
    first = client.post("/login", data={"email": developer.email, "password": PASSWORD, "csrf_token": csrf},
                        follow_redirects=False)
    assert first.status_code == 200 and 'name="otp"' in first.text and "apkdepot_session" not in first.cookies
    wrong = client.post("/login/code", data={"otp": "000000", "csrf_token": csrf_of(first.text)},
                        follow_redirects=False)
    assert wrong.status_code == 401 and "That code is not right" in wrong.text
    right = client.post("/login/code", data={"otp": code_at(key, 0), "csrf_token": csrf_of(wrong.text),
                                             "next": "/dashboard/account"}, follow_redirects=False)
    assert right.status_code == 303 and right.headers["location"] == "/dashboard/account"
    assert "Recovery codes left: 10" in client.get("/dashboard/account").text
    # Without the first step's cookie (or with a forged one), the code step leads back to the log-in.
    client.cookies.clear()
    page = client.get("/login").text
    for cookie in (None, f"{developer.id}.{int(time.time()) + 300}.forged", f"{developer.id}.1.x"):
        if cookie:
            client.cookies.set("apkdepot_second_step", cookie, path="/login")
        sent = client.post("/login/code", data={"otp": code_at(key, 1), "csrf_token": csrf_of(page)},
                           follow_redirects=False)
        assert sent.status_code == 303 and sent.headers["location"] == "/login", cookie


def test_operators_can_be_required_to_have_the_second_factor(tmp_path, database_url, mailer):
    with client_with(tmp_path, database_url, mailer, require_operator_totp=True) as client:
        admin, token = make_developer(client.svc, "admin@example.com")
        operators.set_operator(client.svc, admin.id, True)
        refused = client.get("/api/admin/developers", headers=auth(token))
        assert refused.status_code == 403 and codes(refused) == ["ADMIN-6"]
        turn_on(client, token)
        assert client.get("/api/admin/developers", headers=auth(token)).status_code == 200


def test_log_in_notifications(tmp_path, database_url, mailer):
    with client_with(tmp_path, database_url, mailer, login_notifications=True) as client:
        developer, _ = make_developer(client.svc)
        sent = len(mailer.sent)
        assert login(client, developer.email).status_code == 200
        assert len(mailer.sent) == sent + 1 and mailer.sent[-1]["To"] == developer.email
        assert mailer.sent[-1]["Subject"] == "New log-in to your ApkDepot account"
        assert "from testclient" in mailer.last_body()
        client.post("/api/accounts/login", json={"email": developer.email, "password": "wrong-pass1"})
        assert len(mailer.sent) == sent + 1  # nothing for a failed attempt
