"""Every way a person used to get stuck in the portal, and where it leads now."""

from __future__ import annotations

import re

from tests.helpers import client_with, create_store, flush, make_developer, personal_form, upload
from tests.portal.test_pages import csrf_of, log_in


def test_people_get_pages_and_machines_keep_their_envelopes(client):
    for path in ("/no-such-page", "/stores/shop/x/y", "/dashboard/nowhere"):
        page = client.get(path, headers={"Accept": "text/html"})
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html"), path
        assert "<h1>Not found</h1>" in page.text and 'class="skip-link"' in page.text
    form_only = client.get("/signup/email")
    assert form_only.status_code == 405 and form_only.headers["content-type"].startswith("text/html")
    assert 'href="/signup"' in form_only.text
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json()["errors"][0]["code"]
    ws = client.get("/webservices/3/noSuchService/json")
    assert ws.status_code == 404 and ws.headers["content-type"].startswith("application/json")
    assert client.get("/repo/nowhere/info.xml").headers["content-type"].startswith("application/xml")
    assert client.get("/webservices/docs/noSuchService").headers["content-type"].startswith("text/html")


def test_the_language_switch_after_a_posted_form_opens_the_form_page(client):
    client.get("/signup")
    csrf = client.cookies.get("apkdepot_csrf")
    refused = client.post("/signup", data={"csrf_token": csrf, "email": "bad"},
                          headers={"Referer": "http://testserver.local/signup"})
    assert refused.status_code == 422
    link = re.search(r'<a href="([^"]+)" hreflang="pt-BR"', refused.text).group(1)
    assert link == "/signup?lang=pt-BR"
    switched = client.get(link)
    assert switched.status_code == 200 and 'lang="pt-BR"' in switched.text
    # A GET keeps its own query, without an earlier lang.
    page = client.get("/stores/x?q=notes&lang=en").text
    assert 'href="/stores/x?q=notes&amp;lang=pt-BR"' in page


def test_terms_contact_and_sign_up_links(client, tmp_path, database_url, mailer):
    terms = client.get("/terms")
    assert terms.status_code == 200 and "Keep your dev token secret" in terms.text
    signup = client.get("/signup").text
    assert '<a href="/terms"' in signup and "Need to contact us?" not in signup  # no address configured
    own = tmp_path / "terms.md"
    own.write_text("# Our terms\n\nBe **nice**. <script>x</script>", "utf-8")
    with client_with(tmp_path / "other", database_url, mailer, terms_file=str(own),
                     contact_email="help@store.example") as configured:
        page = configured.get("/terms").text
        assert "<strong>nice</strong>" in page and "<script>x" not in page and "Keep your dev token" not in page
        signup = configured.get("/signup").text
        assert 'href="mailto:help@store.example"' in signup and "Need to contact us?" in signup
        assert 'href="mailto:help@store.example"' in configured.get("/").text  # in every page's footer


def test_an_unconfirmed_developer_can_ask_for_the_mail_again(client, mailer):
    client.get("/signup")
    csrf = client.cookies.get("apkdepot_csrf")
    sent = client.post("/signup", data={"csrf_token": csrf, **personal_form(email="late@example.com")})
    assert sent.status_code == 200 and 'action="/confirm/resend"' in sent.text
    mails = len(mailer.sent)
    login = client.post("/login", data={"csrf_token": csrf, "email": "late@example.com",
                                        "password": personal_form()["password"]})
    assert 'action="/confirm/resend"' in login.text
    again = client.post("/confirm/resend", data={"csrf_token": csrf, "email": "late@example.com"})
    assert again.status_code == 200 and "Check your mailbox" in again.text
    assert len(mailer.sent) == mails + 1 and "/confirm?token=" in mailer.last_body()
    assert client.post("/confirm/resend", data={"email": "late@example.com"}).status_code == 403  # CSRF


def test_dashboard_forms_keep_what_was_typed(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop")
    create_store(client, token, "hidden", private=True, basic_user="u", basic_password="password1")
    csrf = log_in(client)
    dashboard = client.get("/dashboard").text
    assert "private: no public page" in dashboard and 'href="/stores/hidden"' not in dashboard
    assert 'href="/stores/shop"' in dashboard
    # Store settings: an error keeps the new description and the "private" tick.
    refused = client.post("/dashboard/stores/shop", data={"csrf_token": csrf, "description": "Edited text",
                                                          "theme": "dark", "private": "on"})
    assert refused.status_code == 422  # private needs credentials
    assert ">Edited text</textarea>" in refused.text
    assert re.search(r'<input type="checkbox" name="private" value="on" checked>', refused.text)
    assert '<option value="dark" selected>' in refused.text
    assert 'autocomplete="new-password"' in refused.text
    # iOS registration: the section stays open, with what was typed.
    ios = client.post("/dashboard/apps", data={"csrf_token": csrf, "id": "not an id", "name": "My iOS app"})
    assert ios.status_code == 422 and "<details open>" in ios.text and 'value="My iOS app"' in ios.text
    # Upload without a file: a message at the field, not an empty page.
    empty = client.post("/dashboard/stores/shop/upload", data={"csrf_token": csrf},
                        files={"apk": ("", b"", "application/octet-stream")})
    assert empty.status_code == 422 and "Choose at least one APK file to upload." in empty.text
    # Theme names are words of the page's language.
    assert '<option value="dark" selected>Escuro</option>' in client.post(
        "/dashboard/stores/shop?lang=pt-BR", data={"csrf_token": csrf, "description": "x", "theme": "dark",
                                                   "private": "on"}).text


def test_empty_states_first_steps_and_confirmations(client, svc):
    _, token = make_developer(svc)
    log_in(client)
    first = client.get("/dashboard").text
    assert 'id="first-steps"' in first and "You have no stores yet." in first
    create_store(client, token, "shop")
    upload(client, token, "shop", "alpha-1.apk")
    flush(client)
    store_page = client.get("/dashboard/stores/shop").text
    assert 'data-confirm="Remove version 1.0 of' in store_page and 'id="first-steps"' not in client.get("/dashboard").text
    assert "<th></th>" not in store_page and "<th></th>" not in client.get("/dashboard").text
    home = client.get("/").text
    assert "ApkDepot hosts Android app stores." in home and "<title>ApkDepot</title>" in home
    assert 'rel="icon" href="/static/favicon.svg"' in home
    assert client.get("/static/favicon.svg").status_code == 200
