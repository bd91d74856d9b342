"""The public store front: full-text search in a store and across stores,
category filter, pages, the app page and the F-Droid landing page."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from apkdepot.catalog import store_front
from apkdepot.db.schema import app_search
from apkdepot.portal import store_front as pages
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, flush, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

ALPHA, BETA, GAMMA = "org.apkdepot.alpha", "org.apkdepot.beta", "org.apkdepot.gamma"


def _listing(client, token, store, package, **body):
    saved = client.put(f"/api/stores/{store}/apps/{package}/listing", json=body, headers=auth(token))
    assert saved.status_code == 200, saved.text


def _packages(html: str, store: str = "shop") -> list[str]:
    """The apps a store page or search page lists, in order."""
    return re.findall(rf'<li class="tile">\s*<a href="/stores/{store}/([^"]+)">', html)


@pytest.fixture
def shop(client, svc):
    _, token = make_developer(svc)
    create_store(client, token, "shop", description="Nice apps")
    for apk in ("alpha-1.apk", "beta-10.apk", "gamma-6.apk"):
        assert upload(client, token, "shop", apk).status_code == 201
    _listing(client, token, "shop", ALPHA, category="Productivity",
             locales={"en-US": {"name": "Café Notes", "summary": "Notes for the café",
                                "description": "Write down **recipes** quickly."},
                      "pt-BR": {"name": "Notas do Café", "summary": "Anotações", "description": "Receitas rápidas."}})
    _listing(client, token, "shop", BETA, category="Tools",
             locales={"en-US": {"name": "Calculator Pro", "description": "Adds numbers. Great for notes."}})
    _listing(client, token, "shop", GAMMA, category="Tools",
             locales={"en-US": {"name": "Gamma Notes", "description": "Another notes app."}})
    flush(client)
    return token


def test_search_folds_accents_matches_prefixes_and_needs_every_word(client, shop):
    assert _packages(client.get("/stores/shop?q=cafe").text) == [ALPHA]
    assert _packages(client.get("/stores/shop?q=CAFÉ").text) == [ALPHA]
    assert _packages(client.get("/stores/shop?q=calc").text) == [BETA]  # a prefix of "Calculator"
    assert _packages(client.get("/stores/shop?q=receitas").text) == [ALPHA]  # the pt-BR description
    assert _packages(client.get("/stores/shop?q=calculator+recipes").text) == []  # every word must match
    assert _packages(client.get("/stores/shop?q=org.apkdepot.gamma").text) == [GAMMA]
    assert "Results for “zzzz”: 0" in client.get("/stores/shop?q=zzzz").text


def test_search_ranks_a_name_above_a_description_then_by_downloads(client, shop):
    # "notes" is in the names of alpha and gamma, only in beta's description.
    found = _packages(client.get("/stores/shop?q=notes").text)
    assert set(found[:2]) == {ALPHA, GAMMA} and found[2] == BETA
    # Two equally relevant apps: the more downloaded one first.
    twin = {"category": "Tools", "locales": {"en-US": {"name": "Twin Notes", "description": "Same words here."}}}
    _listing(client, shop, "shop", ALPHA, **twin)
    _listing(client, shop, "shop", GAMMA, **twin)
    flush(client)
    for apk, times, first in (("org.apkdepot.gamma_6.apk", 3, GAMMA), ("org.apkdepot.alpha_1.apk", 5, ALPHA)):
        for _ in range(times):
            assert client.get(f"/repo/shop/apk/{apk}").status_code == 200
        flush(client)
        assert _packages(client.get("/stores/shop?q=twin+notes").text) == [first, GAMMA if first == ALPHA else ALPHA]


@pytest.mark.parametrize("typed", ['"', "*", "notes OR", "NEAR(notes", "'; DROP TABLE apks; --", "-notes",
                                   "notes:*", "a" * 500, "\u0000", "%", "_", "(", "^notes", "{notes}"])
def test_hostile_search_text_is_only_words(client, shop, typed):
    page = client.get("/stores/shop", params={"q": typed})
    assert page.status_code == 200
    everywhere = client.get("/search", params={"q": typed})
    assert everywhere.status_code == 200
    assert client.get("/stores/shop?q=notes").status_code == 200  # nothing was harmed


def test_category_filter_and_the_store_categories(client, shop):
    page = client.get("/stores/shop").text
    assert '<option value="Tools">Tools (2)</option>' in page and "Productivity (1)" in page
    assert sorted(_packages(client.get("/stores/shop?category=Tools").text)) == [BETA, GAMMA]
    assert _packages(client.get("/stores/shop?category=Tools&q=calc").text) == [BETA]
    assert _packages(client.get("/stores/shop?category=Nothing").text) == []


def test_every_app_is_reachable_page_by_page(client, shop, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 1)
    seen = []
    for number in (1, 2, 3):
        html = client.get(f"/stores/shop?page={number}").text
        assert f"Page {number} of 3" in html
        seen += _packages(html)
        assert ('rel="next"' in html) == (number < 3) and ('rel="prev"' in html) == (number > 1)
    assert seen == [ALPHA, BETA, GAMMA]  # by the shown name: Café Notes, Calculator Pro, Gamma Notes
    assert _packages(client.get("/stores/shop?page=99").text) == []
    for bad in ("0", "-1", "x", "9" * 40):
        assert client.get(f"/stores/shop?page={bad}").status_code == 200
    assert client.get("/stores/shop?sort=nonsense").status_code == 200


def test_the_store_front_follows_listings_and_removals(client, shop):
    _listing(client, shop, "shop", GAMMA, locales={"en-US": {"name": "Zebra Viewer"}})
    assert _packages(client.get("/stores/shop?q=zebra").text) == []  # not before the next version
    flush(client)
    assert _packages(client.get("/stores/shop?q=zebra").text) == [GAMMA]
    removed = client.delete("/api/stores/shop/apks/org.apkdepot.gamma/6", headers=auth(shop))
    assert removed.status_code in (200, 204), removed.text
    flush(client)
    assert _packages(client.get("/stores/shop?q=zebra").text) == []
    assert GAMMA not in _packages(client.get("/stores/shop").text)


def test_rebuilding_gives_what_the_builds_kept(client, svc, shop):
    with svc.db.read() as conn:
        kept = sorted(conn.execute(sa.select(app_search.c.store_id, app_search.c.package, app_search.c.name,
                                             app_search.c.body, app_search.c.category)).all())
    with svc.db.write() as conn:
        store_front.rebuild(conn)
    with svc.db.read() as conn:
        again = sorted(conn.execute(sa.select(app_search.c.store_id, app_search.c.package, app_search.c.name,
                                              app_search.c.body, app_search.c.category)).all())
        assert store_front.search(conn, [kept[0].store_id], "cafe", limit=10, offset=0).total == 1
    assert kept == again and len(kept) == 3


def test_all_stores_search_sees_public_stores_only(client, svc, shop):
    create_store(client, shop, "hidden", private=True, basic_user="u", basic_password="password1")
    assert upload(client, shop, "hidden", "alpha-2.apk").status_code == 201
    _, other = make_developer(svc, "other@example.com", name="Other")
    create_store(client, other, "elsewhere")
    assert upload(client, other, "elsewhere", "alpha-2.apk").status_code == 201
    flush(client)
    html = client.get("/search?q=alpha").text
    assert _packages(html, "elsewhere") == [ALPHA] and "/stores/hidden/" not in html
    assert _packages(client.get("/search?q=cafe").text, "shop") == [ALPHA]
    assert "Results for" not in client.get("/search").text  # no query: only the form


def test_the_app_page_tells_everything_about_the_app(client, shop):
    _listing(client, shop, "shop", ALPHA, website="https://example.org/a", license="MIT",
             locales={"en-US": {"name": "Café Notes", "summary": "Notes for the café",
                                "description": "Write <b>x</b> **now**"}},
             release_notes={"1": {"en-US": "First *release*", "pt-BR": "Primeira versão"}})
    flush(client)
    html = client.get("/stores/shop/org.apkdepot.alpha").text
    assert "<h1>Café Notes</h1>" in html and "Notes for the café" in html
    assert "<strong>now</strong>" in html and "&lt;b&gt;x&lt;/b&gt;" in html and "<b>x</b>" not in html
    assert "<em>release</em>" in html and "Primeira" not in html
    assert 'href="https://example.org/a"' in html and "MIT" in html
    api = client.get("/api/stores/shop/apks", headers=auth(shop)).json()
    alpha = next(a for a in api["apks"] if a["package"] == ALPHA)
    assert alpha["signer_sha256"] in html and f"API {alpha['min_sdk']}" in html
    for permission in alpha["permissions"]:
        assert permission in html
    assert f'href="/repo/shop/apk/org.apkdepot.alpha_1.apk" download' in html
    portuguese = client.get("/stores/shop/org.apkdepot.alpha?lang=pt-BR").text
    assert "Primeira versão" in portuguese and "Notas do Café" not in portuguese  # this listing has no pt-BR name now


def test_the_repository_address_is_a_page_in_a_browser(client, shop):
    for path in ("/fdroid/shop/repo", "/fdroid/shop/repo/", "/fdroid/shop/repo/index.html"):
        page = client.get(path)
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), path
        assert re.search(r'<svg role="img" [^>]*class="qr"', page.text) and "fdroidrepo://testserver.local/fdroid/shop/repo?fingerprint=" in page.text
        assert 'href="/stores/shop"' in page.text
    assert client.get("/fdroid/shop/repo/index-v1.jar").status_code == 200  # what F-Droid fetches is unchanged
    assert client.get("/fdroid/nowhere/repo").status_code == 404
    store_page = client.get("/stores/shop").text
    assert re.search(r'<svg role="img" [^>]*class="qr"', store_page)
