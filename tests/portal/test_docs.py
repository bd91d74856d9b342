"""The Web Services Documentation covers every endpoint, in both languages,
with samples that are the endpoints' real answers."""

from __future__ import annotations

import html
import json
import re

import pytest

from tests.helpers import flush
import apkdepot.app  # noqa: F401 - registers every endpoint, so the parameter lists below are complete

from apkdepot.api.v7.dispatch import V7_REGISTRY
from apkdepot.api.ws.registry import REGISTRY
from apkdepot.demo import ensure_demo
from apkdepot.docs import site
from apkdepot.errors import CATALOGUE

SAMPLE = re.compile(r'<pre class="sample"[^>]*>(.*?)</pre>', re.S)


@pytest.fixture
def demo(client, svc):
    ensure_demo(svc)
    flush(client)  # written beside the app, as another process would: the app looks now, not within 200 ms


def samples(page: str) -> list[str]:
    return [html.unescape(s) for s in SAMPLE.findall(page)]


def without_time(text: str) -> dict:
    body = json.loads(text)
    body["info"].pop("time")
    return body


@pytest.mark.parametrize("name", sorted(REGISTRY))
@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_every_web_service_has_a_page(client, demo, name, lang):
    endpoint = REGISTRY[name]
    page = client.get(f"/webservices/docs/{name}", params={"lang": lang})
    assert page.status_code == 200
    text = html.unescape(page.text)
    from apkdepot.i18n import gettext, normalise_locale

    locale = normalise_locale(lang)
    assert gettext(locale, endpoint.title) in text and gettext(locale, endpoint.description) in text
    assert endpoint.title and endpoint.description and endpoint.response_fields and endpoint.error_codes
    for param in endpoint.params:
        assert f"<code>{param.name}</code>" in text
        assert gettext(locale, param.description) in text
    for code in endpoint.error_codes:
        assert code in CATALOGUE, f"{name} documents an unknown code {code}"
        assert f"<code>{code}</code>" in text
    if endpoint.deprecated_by:
        assert endpoint.deprecated_by in text


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_web_service_samples_are_the_real_answers(client, svc, demo, name):
    shown = samples(client.get(f"/webservices/docs/{name}").text)
    values = site.demo_values(svc)
    requests = site.ws_sample_requests(REGISTRY[name], values)
    assert len(shown) == len(requests) == 2 * (1 + len(REGISTRY[name].more_examples))
    for text, sample in zip(shown, requests):
        if sample["method"] == "GET":
            real = client.get(sample["url"]).text
        else:
            real = client.post(sample["url"], data=sample["form"]).text
        assert text == site.pretty(site.hide_token(real, values), sample["fmt"])
        assert values["$token"] not in text


@pytest.mark.parametrize("name", sorted(V7_REGISTRY))
@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_every_v7_endpoint_has_a_page_with_a_real_sample(client, svc, demo, name, lang):
    endpoint = V7_REGISTRY[name]
    page = client.get(f"/webservices/docs/7/{name}", params={"lang": lang})
    assert page.status_code == 200
    for param, _ in endpoint.params:
        assert f"<code>{param}</code>" in page.text
    for code in endpoint.error_codes:
        assert code in CATALOGUE and f"<code>{code}</code>" in page.text
    (shown,) = samples(page.text)
    sample = site.v7_sample_request(endpoint, site.demo_values(svc))
    real = client.post(sample["url"], json=sample["json"]) if sample["method"] == "POST" else client.get(sample["url"])
    assert without_time(shown) == without_time(real.text)
    assert json.loads(shown)["info"]["status"] == "OK", shown


def test_index_lists_every_endpoint_and_the_error_catalogue_is_complete(client, demo):
    assert len(REGISTRY) >= 8 and len(V7_REGISTRY) >= 4  # the parametrized tests above saw them all
    index = client.get("/webservices/docs").text
    for name in REGISTRY:
        assert f'href="/webservices/docs/{name}"' in index
    for name in V7_REGISTRY:
        assert f'href="/webservices/docs/7/{name}"' in index
    assert "<entry>Missing token parameter</entry>" in html.unescape(index)
    errors_page = client.get("/webservices/docs/errors").text
    for code in CATALOGUE:
        assert f"<code>{code}</code>" in errors_page
    pt = client.get("/webservices/docs", params={"lang": "pt-BR"}).text
    assert "Documentação dos Serviços Web" in pt and "Parâmetro token ausente" in html.unescape(pt)


def test_unknown_docs_page_is_404(client):
    assert client.get("/webservices/docs/nothing").status_code == 404
    assert client.get("/webservices/docs/7/nothing/here").status_code == 404


def test_docs_without_a_demo_store_explain_the_missing_samples(client):
    page = client.get("/webservices/docs/listRepositoryChange")
    assert page.status_code == 200 and "apkdepot serve --demo" in page.text


def test_samples_survive_many_page_views_of_a_throttled_service(client, svc, demo):
    """checkUserCredentials is throttled per address: the page must not wear it down."""
    pages = [samples(client.get("/webservices/docs/checkUserCredentials").text)
             for _ in range(svc.settings.login_per_address + 5)]
    assert all(page == pages[0] for page in pages)
    assert '"status": "OK"' in pages[-1][1]


def test_docs_have_no_dead_ends(client, svc, demo):
    """Only addresses that answer, filled-in messages, real hosts, header rows, the seed's sections."""
    change = client.get("/webservices/docs/listRepositoryChange").text
    shown = html.unescape(change)
    assert "<appscount>3</appscount>" in shown and '"appscount": 3' in shown  # the unknown-hash case, XML and JSON
    assert "docs.internal" not in change
    upload_page = client.get("/webservices/docs/uploadAppToRepo").text
    addresses = re.findall(r"<li><code>(GET|POST) ([^<]+)</code>", upload_page)
    assert addresses and all(method == "POST" for method, _ in addresses)  # POST-only: no GET address listed
    for method, address in re.findall(r"<li><code>(GET|POST) ([^<]+)</code>", change):
        if method == "GET":
            url = html.unescape(address).replace("<repo>", "demo").replace("<hash>", "0" * 32).replace("<xml|json>", "json")
            assert client.get(url, params={"token": site.demo_values(svc)["$token"]}).status_code == 200, url
    errors_page = client.get("/webservices/docs/errors").text
    assert "<thead><tr><th>" in errors_page and "{" not in re.sub(r"<script.*?</script>", "", errors_page)
    assert "<var>name</var>" in errors_page
    assert "<thead><tr><th>" in re.search(r'<table id="error-codes">.*?</table>', change, re.S).group(0)
    index = client.get("/webservices/docs/").text
    assert 'id="specification"' in index and 'href="/webservices/docs/protocol"' in index
    for path in ("/webservices/docs/protocol", "/webservices/docs/app-list"):
        for lang in ("en", "pt-BR"):
            assert client.get(path, params={"lang": lang}).status_code == 200, (path, lang)
    app_list = client.get("/webservices/docs/app-list").text
    for section in ('id="basics"', 'id="parameters"', 'id="response-keys"', 'id="curl"', 'id="http-codes"'):
        assert section in app_list
    sample = json.loads(html.unescape(re.search(r'<pre id="sample"[^>]*>(.*?)</pre>', app_list, re.S).group(1)))
    assert sample["meta"]["total_items"] >= 1 and sample["links"]["self"].endswith("/api/mng/apps?offset=0&limit=2")


def test_error_descriptions_are_translated(client):
    page = client.get("/webservices/docs/errors?lang=pt-BR").text
    assert "Recusado porque o Android e outros leitores" in page and "Refused because Android" not in page
