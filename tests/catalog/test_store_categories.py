"""A store's own categories: the JSON API (owner only) and the portal that edit
them, the listings that must use them, and the clients that show them."""

from __future__ import annotations

import pytest

from apkdepot.index import fdroid
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, flush, make_developer, upload
from tests.portal.test_pages import csrf_of, log_in

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

CATEGORIES = "/api/stores/shop/categories"
LISTING = "/api/stores/shop/apps/org.apkdepot.alpha/listing"
DEFINED = {"categories": [{"name": "Tools", "labels": {"pt_BR": "Ferramentas", "es": "Herramientas"}},
                          {"name": "Games"}]}


@pytest.fixture
def owner(client, svc):
    token = make_developer(svc, "owner@example.com", name="Owner")[1]
    create_store(client, token)
    assert upload(client, token, "shop", "alpha-1.apk").status_code == 201
    flush(client)
    return token


def test_only_the_owner_reads_and_sets_categories(client, svc, owner):
    saved = client.put(CATEGORIES, json=DEFINED, headers=auth(owner))
    assert saved.status_code == 200, saved.text
    assert saved.json()["categories"][0] == {"name": "Tools", "labels": {"es": "Herramientas", "pt-BR": "Ferramentas"}}
    assert client.get(CATEGORIES, headers=auth(owner)).json()["categories"] == saved.json()["categories"]
    other = make_developer(svc, "other@example.com", name="Other")[1]
    for method in ("get", "put"):
        kwargs = {"json": DEFINED} if method == "put" else {}
        denied = getattr(client, method)(CATEGORIES, headers=auth(other), **kwargs)
        assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "REPO-1"
        assert getattr(client, method)(CATEGORIES, **kwargs).status_code == 401


@pytest.mark.parametrize("body, code, field", [
    ({"categories": "Tools"}, "LIST-1", "categories"),
    ({"categories": [{"name": ""}]}, "LIST-1", "categories.0.name"),
    ({"categories": [{"name": "a\nb"}]}, "LIST-1", "categories.0.name"),
    ({"categories": [{"name": "Tools", "labels": None}]}, "LIST-1", "categories.0.labels"),
    ({"categories": [{"name": "x" * 101}]}, "LIST-2", "categories.0.name"),
    ({"categories": [{"name": "Tools", "labels": {"portuguese": "x"}}]}, "LIST-4", "categories.0.labels.portuguese"),
    ({"categories": [{"name": "Tools", "icon": "x"}]}, "LIST-1", "categories.0"),
    ({"categories": [{"name": f"c{i}"} for i in range(101)]}, "LIST-7", "categories"),
    ({"categories": [], "extra": 1}, "LIST-3", "extra"),
])
def test_bad_category_lists_are_refused_and_change_nothing(client, owner, body, code, field):
    assert client.put(CATEGORIES, json=DEFINED, headers=auth(owner)).status_code == 200
    refused = client.put(CATEGORIES, json=body, headers=auth(owner))
    assert refused.status_code == 422
    assert (refused.json()["errors"][0]["code"], refused.json()["errors"][0]["field"]) == (code, field)
    assert client.get(CATEGORIES, headers=auth(owner)).json()["categories"][1] == {"name": "Games", "labels": {}}


def test_names_differing_only_in_case_are_one_category(client, owner):
    saved = client.put(CATEGORIES, json={"categories": [
        {"name": "Tools", "labels": {"pt-BR": "Ferramentas"}},
        {"name": "tools", "labels": {"pt-BR": "Outro", "es": "Herramientas"}}]}, headers=auth(owner))
    assert saved.status_code == 200
    assert saved.json()["categories"] == [{"name": "Tools", "labels": {"es": "Herramientas", "pt-BR": "Ferramentas"}}]


def test_listings_use_the_store_categories_and_clients_show_their_names(client, owner):
    # No categories defined: any category name is taken.
    assert client.put(LISTING, json={"category": "Anything"}, headers=auth(owner)).status_code == 200
    client.put(CATEGORIES, json=DEFINED, headers=auth(owner))
    refused = client.put(LISTING, json={"category": "Anything"}, headers=auth(owner))
    assert refused.status_code == 422 and refused.json()["errors"][0]["code"] == "LIST-13"
    assert "Tools, Games" in refused.json()["errors"][0]["msg"]
    assert client.put(LISTING, json={"category": "Tools"}, headers=auth(owner)).status_code == 200
    flush(client)

    index = client.get("/fdroid/shop/repo/index-v2.json").json()
    assert index["repo"]["categories"] == {"Tools": {"name": {"en-US": "Tools", "es": "Herramientas",
                                                              "pt-BR": "Ferramentas"}}}
    first = client.get("/fdroid/shop/repo/entry.json").json()["timestamp"]
    meta = client.get("/api/7/store/getMeta/store_name=shop").json()["data"]
    assert meta["categories"][0] == {"name": "Tools", "labels": {"es": "Herramientas", "pt-BR": "Ferramentas"}}
    page = client.get("/stores/shop?lang=pt-BR").text
    assert '<option value="Tools">Ferramentas (1)</option>' in page
    app_page = client.get("/stores/shop/org.apkdepot.alpha?lang=pt-BR").text
    assert '<a href="/stores/shop?category=Tools">Ferramentas</a>' in app_page

    # A translation that goes away is a null in the diff: merge-patching the old index gives the new one.
    client.put(CATEGORIES, json={"categories": [{"name": "Tools", "labels": {"pt-BR": "Utilitários"}}]},
               headers=auth(owner))
    flush(client)
    old_index = index
    new_index = client.get("/fdroid/shop/repo/index-v2.json").json()
    assert new_index["repo"]["categories"]["Tools"]["name"] == {"en-US": "Tools", "pt-BR": "Utilitários"}
    patch = client.get(f"/fdroid/shop/repo/diff/{first}.json").json()
    assert patch["repo"]["categories"]["Tools"]["name"]["es"] is None
    assert fdroid.apply_merge_patch(old_index, patch) == new_index


def test_the_portal_edits_categories(client, svc, owner):
    log_in(client, "owner@example.com")
    page = client.get("/dashboard/stores/shop").text
    csrf = csrf_of(page)
    saved = client.post("/dashboard/stores/shop/categories", data={
        "csrf_token": csrf, "categories": "Tools | pt-BR=Ferramentas\n\nGames | es=Juegos\n"}, follow_redirects=False)
    assert saved.status_code == 303
    assert client.get(CATEGORIES, headers=auth(owner)).json()["categories"] == [
        {"name": "Tools", "labels": {"pt-BR": "Ferramentas"}}, {"name": "Games", "labels": {"es": "Juegos"}}]
    shown = client.get("/dashboard/stores/shop").text
    assert ">Tools | pt-BR=Ferramentas\nGames | es=Juegos</textarea>" in shown
    refused = client.post("/dashboard/stores/shop/categories", data={"csrf_token": csrf,
                                                                     "categories": "Tools | portuguese=x"})
    assert refused.status_code == 422 and ">Tools | portuguese=x</textarea>" in refused.text
    assert 'id="e-categories"' in refused.text
    other_csrf = None
    make_developer(svc, "other@example.com", name="Other")
    client.cookies.clear()
    other_csrf = log_in(client, "other@example.com")
    assert client.post("/dashboard/stores/shop/categories", data={"csrf_token": other_csrf,
                                                                  "categories": "Mine"}).status_code == 403
