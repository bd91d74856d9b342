"""Portal pages: CSRF on every form, no 500 on any bad input, the sign-up
steps, and one developer never reaching another's pages."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers import PASSWORD, create_store, flush, link_token, make_developer, upload

FORMS = ["/signup", "/signup/email", "/login", "/forgot", "/reset", "/cookies/ok"]
DASHBOARD_FORMS = ["/dashboard/token/regenerate", "/dashboard/api-tokens", "/dashboard/stores", "/dashboard/apps",
                   "/dashboard/stores/shop", "/dashboard/stores/shop/remove", "/dashboard/stores/shop/upload",
                   "/dashboard/api-tokens/1/revoke", "/dashboard/apps/ios/id1",
                   "/dashboard/stores/shop/apps/org.apkdepot.alpha/listing"]


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def log_in(client, email="dev@example.com", password=PASSWORD) -> str:
    client.get("/login")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/dashboard").text)


@pytest.mark.parametrize("path", FORMS)
def test_anonymous_forms_refuse_posts_without_csrf(client, path):
    response = client.post(path, data={"email": "a@b.co"})
    assert response.status_code == 403
    assert "CSRF" in response.text


@pytest.mark.parametrize("path", DASHBOARD_FORMS)
def test_dashboard_forms_refuse_posts_without_the_session_csrf(client, svc, path):
    make_developer(svc)
    log_in(client)
    create_store(client, make_developer(svc, "other@example.com")[1], "elsewhere")
    response = client.post(path, data={"csrf_token": "forged", "store_name": "x"})
    assert response.status_code == 403


def test_signed_out_dashboard_sends_to_login(client):
    response = client.get("/dashboard", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/dashboard"
    assert client.post("/dashboard/stores", data={}, follow_redirects=False).status_code == 303


field_values = st.one_of(st.text(max_size=300), st.sampled_from(["", " ", "\x00", "é" * 50, "<script>x</script>",
                                                                   "' OR 1=1 --", "on", "business", "personal"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(form=st.dictionaries(st.sampled_from(["email", "password", "name", "account_type", "business_name", "country",
                                             "phone", "accept_terms", "token", "next", "website", "tax_id"]),
                            field_values, max_size=8),
       path=st.sampled_from(["/signup", "/login", "/forgot", "/reset", "/signup/email", "/cookies/ok"]))
def test_no_bad_form_input_gives_a_500(client, form, path):
    client.get("/signup")
    form["csrf_token"] = client.cookies.get("apkdepot_csrf")
    response = client.post(path, data=form, follow_redirects=False)
    assert response.status_code < 500, response.text[:300]


def test_non_utf8_and_oversized_forms_are_clean_refusals(client, svc):
    client.get("/signup")
    raw = b"csrf_token=" + client.cookies.get("apkdepot_csrf").encode() + b"&email=%ff%fe"
    response = client.post("/signup", content=raw, headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 403  # the form could not be read at all, so no CSRF token either
    huge = client.post("/login", content=b"a=" + b"x" * (svc.settings.max_form_bytes + 10),
                       headers={"content-type": "application/x-www-form-urlencoded"})
    assert huge.status_code == 413


def test_sign_up_errors_sit_at_their_fields_in_both_languages(client):
    client.get("/signup")
    token = client.cookies.get("apkdepot_csrf")
    page = client.post("/signup", data={"csrf_token": token, "account_type": "business", "email": "nope"}).text
    assert 'id="e-email"' in page and 'aria-describedby="e-email"' in page
    assert "Please insert an email address" in page and "Please insert a company name." in page
    pt = client.post("/signup?lang=pt-BR", data={"csrf_token": token, "account_type": "personal"}).text
    assert "Por favor, insira um nome" in pt and "TENTAR NOVAMENTE" in pt


def test_sign_up_then_wrong_email_then_confirm(client, mailer):
    client.get("/signup")
    token = client.cookies.get("apkdepot_csrf")
    sent = client.post("/signup", data={"csrf_token": token, "account_type": "personal", "name": "Nina",
                                        "email": "nina@exmaple.com", "password": "abcdefg1", "accept_terms": "on"})
    assert "You're one step closer" in html.unescape(sent.text) and "nina@exmaple.com" in sent.text
    fixed = client.post("/signup/email", data={"csrf_token": token, "email": "nina@example.com"})
    assert "nina@example.com" in fixed.text
    assert mailer.sent[-1]["To"] == "nina@example.com"
    confirmed = client.get("/confirm", params={"token": link_token(mailer.last_body(), "/confirm")})
    assert "Your email address is confirmed." in confirmed.text
    again = client.get("/confirm", params={"token": link_token(mailer.last_body(), "/confirm")})
    assert again.status_code == 400 and "This link has already been used." in again.text
    log_in(client, "nina@example.com", "abcdefg1")


def test_one_developer_never_reaches_anothers_pages(client, svc):
    _, owner = make_developer(svc, "owner@example.com")
    create_store(client, owner, "theirs")
    upload(client, owner, "theirs", "gamma-5.apk")
    make_developer(svc)
    csrf = log_in(client)
    assert client.get("/dashboard/stores/theirs").status_code == 403
    assert client.post("/dashboard/stores/theirs", data={"csrf_token": csrf, "description": "mine"}).status_code == 403
    assert client.post("/dashboard/stores/theirs/remove", data={"csrf_token": csrf, "package": "org.apkdepot.gamma",
                                                                "version_code": "5"}).status_code == 403
    editor = "/dashboard/stores/theirs/apps/org.apkdepot.gamma/listing"
    assert client.get(editor).status_code == 403
    assert client.post(editor, data={"csrf_token": csrf, "locale": "en-US", "name": "Mine"}).status_code == 403
    assert client.get("/api/stores/theirs/apps/org.apkdepot.gamma/listing",
                      headers={"Authorization": f"Bearer {owner}"}).json()["listing"]["locales"] == {}
    assert "org.apkdepot.gamma" not in client.get("/dashboard").text


def test_public_store_pages(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop", description="Nice apps")
    create_store(client, token, "hidden", private=True, basic_user="u", basic_password="password1")
    upload(client, token, "shop", "alpha-1.apk")
    upload(client, token, "shop", "alpha-2.apk")
    flush(client)
    page = client.get("/stores/shop").text
    assert "Nice apps" in page and 'href="/stores/shop/org.apkdepot.alpha"' in page and "/repo/shop/icons/" in page
    fingerprint = client.get("/api/stores/shop", headers={"Authorization": f"Bearer {token}"}).json()["store"]["fdroid"]["fingerprint"]
    assert f'<code id="fdroid-fingerprint" class="wrap">{fingerprint}</code>' in page
    assert f"/fdroid/shop/repo?fingerprint={fingerprint}" in page
    versions = client.get("/stores/shop/org.apkdepot.alpha").text
    assert "org.apkdepot.alpha_1.apk" in versions and "org.apkdepot.alpha_2.apk" in versions
    # The download button offers the listed (newest) version.
    assert '<a class="button" href="/repo/shop/apk/org.apkdepot.alpha_2.apk" download>' in versions
    assert client.get("/stores/hidden").status_code == 404
    assert client.get("/stores/shop/no.such.app").status_code == 404


def test_login_is_throttled(client, svc):
    make_developer(svc)
    client.get("/login")
    token = client.cookies.get("apkdepot_csrf")
    for _ in range(svc.settings.login_per_address):
        client.post("/login", data={"csrf_token": token, "email": "dev@example.com", "password": "wrong"})
    blocked = client.post("/login", data={"csrf_token": token, "email": "dev@example.com", "password": PASSWORD})
    assert blocked.status_code == 429 and "Too many requests" in blocked.text


def test_session_cookie_flags(client, svc):
    make_developer(svc)
    client.get("/login")
    token = client.cookies.get("apkdepot_csrf")
    response = client.post("/login", data={"csrf_token": token, "email": "dev@example.com", "password": PASSWORD},
                           follow_redirects=False)
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # plain HTTP here


def test_logout_needs_the_session_csrf(client, svc):
    make_developer(svc)
    csrf = log_in(client)
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    assert client.get("/dashboard", follow_redirects=False).status_code == 200  # still logged in
    assert client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/dashboard", follow_redirects=False).status_code == 303


def test_dashboard_store_settings_version_removal_ios_and_app_settings(client, svc):
    """The four dashboard features, each through its form, checked where it lands."""
    _, token = make_developer(svc)
    create_store(client, token, "shop")
    upload(client, token, "shop", "alpha-1.apk")
    upload(client, token, "shop", "alpha-2.apk")
    flush(client)
    csrf = log_in(client)
    api = {"Authorization": f"Bearer {token}"}

    # Store settings: description, theme, privacy with credentials.
    saved = client.post("/dashboard/stores/shop", data={"csrf_token": csrf, "description": "Tools for people",
                                                        "theme": "default", "private": "on", "basic_user": "team",
                                                        "basic_password": "team-pass1"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == "/dashboard/stores/shop?done=saved"
    store = client.get("/api/stores/shop", headers=api).json()["store"]
    assert store["description"] == "Tools for people" and store["private"] is True
    assert client.get("/repo/shop/info.xml").status_code == 401
    refused = client.post("/dashboard/stores/shop", data={"csrf_token": csrf, "description": "x" * 5000})
    assert refused.status_code == 422

    # Removing a version.
    removed = client.post("/dashboard/stores/shop/remove", data={"csrf_token": csrf, "package": "org.apkdepot.alpha",
                                                                 "version_code": "2"}, follow_redirects=False)
    assert removed.status_code == 303
    listed = client.get("/api/stores/shop/apks", headers=api).json()["apks"]
    assert [(a["package"], a["version_code"]) for a in listed] == [("org.apkdepot.alpha", 1)]
    missing = client.post("/dashboard/stores/shop/remove", data={"csrf_token": csrf, "package": "org.apkdepot.alpha",
                                                                 "version_code": "\u00b2"})
    assert missing.status_code == 404

    # iOS app registration, then its settings.
    registered = client.post("/dashboard/apps", data={"csrf_token": csrf, "id": "id123456789", "name": "Pocket",
                                                      "currency": "EUR", "time_zone": "Europe/Lisbon"},
                             follow_redirects=False)
    assert registered.status_code == 303
    apps = {a["id"]: a for a in client.get("/api/apps", headers=api).json()["apps"]}
    assert apps["id123456789"]["attributes"]["currency"] == "EUR"
    bad = client.post("/dashboard/apps", data={"csrf_token": csrf, "id": "not an id", "name": "X"})
    assert bad.status_code == 422
    page = client.get("/dashboard/apps/ios/id123456789")
    assert page.status_code == 200 and "Pocket" in page.text
    updated = client.post("/dashboard/apps/ios/id123456789", data={"csrf_token": csrf, "name": "Pocket 2",
                                                                   "currency": "BRL", "time_zone": "America/Sao_Paulo",
                                                                   "enable_retargetting": "on"}, follow_redirects=False)
    assert updated.status_code == 303 and updated.headers["location"] == "/dashboard/apps/ios/id123456789?done=saved"
    after = {a["id"]: a for a in client.get("/api/apps", headers=api).json()["apps"]}["id123456789"]["attributes"]
    assert (after["name"], after["currency"], after["time_zone"], after["enable_retargetting"]) == (
        "Pocket 2", "BRL", "America/Sao_Paulo", True)
    wrong = client.post("/dashboard/apps/ios/id123456789", data={"csrf_token": csrf, "name": "P", "currency": "XXXX",
                                                                 "time_zone": "UTC"})
    assert wrong.status_code == 422


def test_password_reset_pages(client, svc, mailer):
    make_developer(svc, "dev@example.com")
    client.get("/forgot")
    csrf = client.cookies.get("apkdepot_csrf")
    sent = client.post("/forgot", data={"csrf_token": csrf, "email": "dev@example.com"})
    assert sent.status_code == 200
    token = link_token(mailer.last_body(), "/reset")
    form = client.get("/reset", params={"token": token})
    assert form.status_code == 200 and f'value="{token}"' in form.text
    weak = client.post("/reset", data={"csrf_token": csrf, "token": token, "password": "short"})
    assert weak.status_code == 422
    done = client.post("/reset", data={"csrf_token": csrf, "token": token, "password": "new-pass-99"})
    assert done.status_code == 200 and "Your new password is saved." in html.unescape(done.text)
    log_in(client, "dev@example.com", "new-pass-99")
    used = client.get("/reset", params={"token": token})
    assert used.status_code == 400 and "This link has already been used." in used.text
    assert client.get("/reset", params={"token": "nonsense"}).status_code == 400


def test_page_titles_name_the_page_then_the_site_once(client):
    def title(path: str, **headers) -> str:
        return html.unescape(re.search(r"<title>(.*?)</title>", client.get(path, headers=headers).text, re.S).group(1))

    assert title("/") == "ApkDepot"
    assert title("/login") == "Log in · ApkDepot"
    assert title("/login", **{"Accept-Language": "pt-BR"}).endswith(" · ApkDepot")
    assert title("/login", **{"Accept-Language": "pt-BR"}).count("ApkDepot") == 1
