"""Hostile requests: forged Host headers, cache poisoning, malformed numbers and
JSON, cross-site log-in, private files, cache headers on secrets, /metrics."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from apkdepot.api.origin import allowed_host_names, host_is_allowed, split_host
from apkdepot.app import create_app
from apkdepot.config import Settings
from apkdepot.numbers import parse_whole
from apkdepot.services import build_services
from tests.conftest import make_settings
from tests.helpers import auth, client_with, create_store, flush, make_developer, personal_form, upload


@pytest.fixture
def open_client(tmp_path, database_url, mailer):
    """A server with no public URL configured: links come from the (allow-listed) Host."""
    with client_with(tmp_path, database_url, mailer, base_url="http://localhost:8000", public_url="") as client:
        yield client


# --- Host header -------------------------------------------------------------------

def test_forged_host_gets_400_and_no_mail(open_client, mailer):
    make_developer(open_client.svc, "victim@example.com")
    response = open_client.post("/api/accounts/password/forgot", json={"email": "victim@example.com"},
                                headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "HOST-1"
    assert mailer.sent == []


def test_reset_link_uses_the_allowed_host(open_client, mailer):
    make_developer(open_client.svc, "victim@example.com")
    response = open_client.post("/api/accounts/password/forgot", json={"email": "victim@example.com"})
    assert response.status_code == 200
    assert "http://localhost:8000/reset?token=" in mailer.last_body()


def test_public_url_wins_over_any_allowed_host(client, svc, mailer):
    make_developer(svc, "victim@example.com")
    client.post("/api/accounts/password/forgot", json={"email": "victim@example.com"},
                headers={"Host": "testserver.local:9999"})
    assert "http://testserver.local/reset?token=" in mailer.last_body()


def test_allow_list_rules():
    settings = Settings(host="0.0.0.0", allowed_hosts="", public_url="https://store.example.org/")
    allowed = allowed_host_names(settings)
    assert {"localhost", "127.0.0.1", "::1", "store.example.org"} <= allowed
    assert host_is_allowed("store.example.org:443", allowed)
    assert host_is_allowed("[::1]:8000", allowed)
    assert not host_is_allowed("evil.example", allowed)
    assert not host_is_allowed(None, allowed)
    assert not host_is_allowed("store.example.org.evil.example", allowed)
    wide = allowed_host_names(Settings(allowed_hosts=".example.org"))
    assert host_is_allowed("a.example.org", wide) and host_is_allowed("example.org", wide)
    assert not host_is_allowed("badexample.org", wide)
    assert allowed_host_names(Settings(allowed_hosts="*")) is None
    assert split_host("[::1]:80") == ("::1", "80")


def test_forged_host_cannot_poison_cached_getmeta(open_client):
    token = make_developer(open_client.svc)[1]
    create_store(open_client, token, "shop")
    upload(open_client, token, "shop", "alpha-1.apk")
    flush(open_client)
    url = "/api/7/store/getMeta?store_name=shop"
    # An allowed alias first, then the canonical name: each gets its own links.
    first = open_client.get(url, headers={"Host": "127.0.0.1:8000"}).json()
    second = open_client.get(url).json()
    assert first["data"]["urls"]["info_xml"] == "http://127.0.0.1:8000/repo/shop/info.xml"
    assert second["data"]["urls"]["info_xml"] == "http://localhost:8000/repo/shop/info.xml"
    assert open_client.get(url, headers={"Host": "evil.example"}).status_code == 400
    assert open_client.get(url).json()["data"]["urls"]["info_xml"] == "http://localhost:8000/repo/shop/info.xml"


def test_hot_path_memo_key_is_every_input_the_answer_can_read(open_client):
    """The memo key is built from RawRequest.inputs; an answer function sees
    nothing else (no other header, no client address), so the two cannot drift."""
    from apkdepot.api.hot import VISIBLE_HEADERS, RawRequest

    state = open_client.litestar.state
    scope = {"type": "http", "method": "GET", "path": "/api/7/store/getMeta", "raw_path": b"/api/7/store/getMeta",
             "query_string": b"store_name=shop", "client": ("10.0.0.1", 5555), "apkdepot.base_url": "http://a:1",
             "headers": [(b"accept-language", b"pt-BR"), (b"x-other", b"1"), (b"host", b"a:1")]}
    request = RawRequest.from_scope(scope, state)
    assert request.headers.get("x-other") is None and request.headers.get("host") is None
    assert "client" not in request.scope
    assert ("accept-language", "pt-BR") in request.inputs[-1]
    assert "http://a:1" in request.inputs
    other = RawRequest.from_scope({**scope, "apkdepot.base_url": "https://a:1"}, state)
    assert other.inputs != request.inputs
    assert set(VISIBLE_HEADERS) >= {"accept-language", "authorization"}


def test_forwarded_proto_only_from_trusted_proxies(tmp_path, database_url, mailer):
    settings = make_settings(tmp_path, database_url, public_url="", trusted_proxies="127.0.0.0/8")
    svc = build_services(settings, mailer=mailer)
    app = create_app(services=svc)
    make_developer(svc, "dev@example.com")
    try:
        with TestClient(app, base_url="http://localhost:8000") as client:
            # TestClient's peer is "testclient", not a trusted address: the header is ignored.
            response = client.post("/api/accounts/login", json={"email": "dev@example.com", "password": "s3cret-pass"},
                                   headers={"X-Forwarded-Proto": "https"})
            assert "secure" not in response.headers["set-cookie"].lower()
        from apkdepot.api.origin import request_scheme, trusted_proxy_networks

        networks = trusted_proxy_networks(settings)
        assert request_scheme({"client": ("127.0.0.1", 1), "scheme": "http"}, "https", networks) == "https"
        assert request_scheme({"client": ("10.1.1.1", 1), "scheme": "http"}, "https", networks) == "http"
    finally:
        svc.close()


# --- numbers and JSON ----------------------------------------------------------------

@pytest.mark.parametrize("raw", ["\u00b2", "\u0661", "1_000", " 1", "1 ", "+1", "-1", "1e3", "9" * 5000, "",
                                 "99999999999999999999"])
def test_parse_whole_refuses(raw):
    assert parse_whole(raw) is None


def test_parse_whole_bounds():
    assert parse_whole("0") == 0 and parse_whole("42", 1, 42) == 42 and parse_whole("43", 1, 42) is None
    assert parse_whole(True) is None and parse_whole(7, 0, 10) == 7


NUMERIC_URLS = [
    "/webservices/2/listRepository/shop/json?limit={n}",
    "/webservices/2/listRepository/shop/json?offset={n}",
    "/webservices/3/getApkInfo/shop/json?identif=id:{n}",
    "/webservices/2/getApkInfo/shop/org.apkdepot.alpha/{n}/json",
    "/webservices/2/listSearchApks/json?search=a&limit={n}",
    "/webservices/2/listSearchApks/json?search=a&offset={n}",
    "/api/7/apps/get?store_name=shop&limit={n}",
    "/api/7/apps/get?store_name=shop&offset={n}",
    "/api/7/store/getMeta?store_id={n}",
    "/api/7/app/getMeta?app_id={n}",
    "/fdroid/shop/repo/diff/{n}.json",
]


@pytest.mark.parametrize("url", NUMERIC_URLS)
@pytest.mark.parametrize("number", ["%C2%B2", "%D9%A1", "1_0", "9" * 4400, "99999999999999999999"])
def test_malformed_numbers_never_500(client, svc, url, number):
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    response = client.get(url.format(n=number) + ("&" if "?" in url else "?") + f"token={token}")
    assert response.status_code < 500, response.text


def test_huge_path_integers_are_not_found(client, svc):
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    for path, code in (("/api/tokens/99999999999999999999", "TOKEN-1"), ("/api/tokens/%C2%B2", "TOKEN-1"),
                       ("/api/stores/shop/apks/org.x.y/99999999999999999999", "APK-1")):
        response = client.delete(path, headers=auth(token))
        assert response.status_code == 404, (path, response.text)
        assert response.json()["errors"][0]["code"] == code


@pytest.mark.parametrize("url", ["/webservices/2/listRepositoryChange", "/api/7/apps/get", "/api/accounts/login"])
@pytest.mark.parametrize("body,code", [(b"[" * 1000 + b"]" * 1000, "IARG-103"), (b'{"repo": "\xff"}', "IARG-101"),
                                       (b'{"a":' * 40 + b"1" + b"}" * 40, "IARG-103")])
def test_hostile_json_bodies_are_clear_errors(client, url, body, code):
    response = client.post(url, content=body, headers={"Content-Type": "application/json"})
    assert response.status_code < 500, response.text
    text = response.text
    assert code in text


def test_deep_json_within_the_limit_is_fine(client):
    from apkdepot.api.json.common import MAX_JSON_DEPTH, decode_json

    value, found = decode_json(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH)
    assert found is None and value is not None
    _, found = decode_json(b'["[[[[' + b'[' * 100 + b'"]')  # brackets inside a string are text
    assert found is None


# --- log-in CSRF ------------------------------------------------------------------------

def test_login_refuses_text_plain_and_foreign_origins(client, svc):
    make_developer(svc, "dev@example.com")
    body = b'{"email": "dev@example.com", "password": "s3cret-pass"}'
    plain = client.post("/api/accounts/login", content=body, headers={"Content-Type": "text/plain"})
    assert plain.status_code == 415
    assert plain.json()["errors"][0]["code"] == "IARG-108"
    assert "set-cookie" not in plain.headers
    foreign = client.post("/api/accounts/login", content=body,
                          headers={"Content-Type": "application/json", "Origin": "https://evil.example"})
    assert foreign.status_code == 403 and foreign.json()["errors"][0]["code"] == "AUTH-4"
    register = client.post("/api/accounts/register", content=b'{"email": "x@example.com"}',
                           headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert register.status_code == 415
    own = client.post("/api/accounts/login", content=body,
                      headers={"Content-Type": "application/json", "Origin": "http://testserver.local"})
    assert own.status_code == 200


# --- files, cache headers, metrics ------------------------------------------------------

def test_private_store_avatar_needs_credentials(client, svc):
    token = make_developer(svc)[1]
    create_store(client, token, "hidden", private=True, basic_user="u", basic_password="secret-pass")
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    assert client.put("/api/stores/hidden/avatar", content=png, headers={**auth(token), "Content-Type": "image/png"}).status_code == 200
    flush(client)
    assert client.get("/repo/hidden/avatar").status_code == 401
    import base64

    basic = {"Authorization": "Basic " + base64.b64encode(b"u:secret-pass").decode()}
    assert client.get("/repo/hidden/avatar", headers=basic).status_code == 200


def test_answers_carrying_tokens_are_not_cacheable(client, svc):
    token = make_developer(svc, "dev@example.com")[1]
    assert client.get("/api/accounts/token", headers=auth(token)).headers["cache-control"] == "no-store"
    created = client.post("/api/tokens", json={"name": "ci"}, headers=auth(token))
    assert created.headers["cache-control"] == "no-store"
    login = client.post("/api/accounts/login", json={"email": "dev@example.com", "password": "s3cret-pass"})
    dashboard = client.get("/dashboard")
    assert dashboard.status_code == 200 and token in dashboard.text
    assert dashboard.headers["cache-control"] == "no-store"
    assert login.headers["cache-control"] == "no-store"


def test_metrics_token(tmp_path, database_url, mailer):
    settings = make_settings(tmp_path, database_url, metrics_token="scrape-secret")
    svc = build_services(settings, mailer=mailer)
    try:
        with TestClient(create_app(services=svc), base_url="http://testserver.local") as client:
            assert client.get("/metrics").status_code == 401
            assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
            answer = client.get("/metrics", headers={"Authorization": "Bearer scrape-secret"})
            assert answer.status_code == 200 and "apkdepot" in answer.text
    finally:
        svc.close()


def test_register_form_still_works_as_json(client):
    response = client.post("/api/accounts/register", json=personal_form())
    assert response.status_code == 201


def test_the_client_address_is_forwarded_only_by_trusted_proxies():
    import ipaddress

    from apkdepot.api.origin import client_address

    proxies = (ipaddress.ip_network("10.0.0.0/8"),)
    chain = "203.0.113.9, 198.51.100.7"
    assert client_address(("10.1.2.3", 1), chain, proxies) == "198.51.100.7"  # the hop our proxy saw
    assert client_address(("10.1.2.3", 1), "203.0.113.9, 10.9.9.9", proxies) == "203.0.113.9"  # two proxies
    assert client_address(("192.0.2.1", 1), chain, proxies) == "192.0.2.1"  # not a proxy of ours: its peer address
    assert client_address(("10.1.2.3", 1), "not-an-address", proxies) == "10.1.2.3"
    assert client_address(("10.1.2.3", 1), None, proxies) == "10.1.2.3"
    assert client_address(("10.1.2.3", 1), "10.4.4.4", proxies) == "10.1.2.3"  # only proxies: the peer
    assert client_address(None, chain, proxies) is None
    assert client_address(("10.1.2.3", 1), chain, ()) == "10.1.2.3"  # no trusted proxies configured
