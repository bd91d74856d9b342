"""An app's listing: the JSON API that edits it (owner only), its checks, and
every protocol that carries it once the next index version is built."""

from __future__ import annotations

import pytest

from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, fixture, flush, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

LISTING = "/api/stores/shop/apps/org.apkdepot.alpha/listing"
FULL = {
    "locales": {
        "en-US": {"name": "Alpha Notes", "summary": "Notes that stay",
                  "description": "Write **fast**.\n\n<script>alert(1)</script> [site](https://example.org) "
                                 "[bad](javascript:alert(1))"},
        "pt_br": {"name": "Notas Alfa", "summary": "Notas que ficam", "description": "Escreva *rápido*."},
    },
    "category": "Productivity",
    "website": "https://example.org/alpha",
    "email": "alpha@example.org",
    "privacy_url": "https://example.org/privacy",
    "source_url": "https://example.org/src",
    "license": "GPL-3.0-or-later",
    "release_notes": {"1": {"en-US": "First release", "pt-BR": "Primeira versão"}},
}


@pytest.fixture
def owner(svc):
    return make_developer(svc, "owner@example.com", name="Owner")[1]


@pytest.fixture
def other(svc):
    return make_developer(svc, "other@example.com", name="Other")[1]


def test_only_the_owner_reads_and_changes_a_listing(client, owner, other):
    create_store(client, owner)
    assert upload(client, owner, "shop", "alpha-1.apk").status_code == 201
    saved = client.put(LISTING, json=FULL, headers=auth(owner))
    assert saved.status_code == 200, saved.text
    assert saved.json()["listing"]["locales"]["pt-BR"]["name"] == "Notas Alfa"  # the tag is normalised
    assert client.get(LISTING, headers=auth(owner)).json()["listing"] == saved.json()["listing"]
    for method in ("get", "put"):
        denied = getattr(client, method)(LISTING, headers=auth(other), **({"json": {}} if method == "put" else {}))
        assert denied.status_code == 403 and denied.json()["errors"][0]["code"] == "REPO-1", method
        anonymous = getattr(client, method)(LISTING, **({"json": {}} if method == "put" else {}))
        assert anonymous.status_code == 401 and anonymous.json()["errors"][0]["code"] == "AUTH-3", method
    assert client.get(LISTING, headers=auth(owner)).json()["listing"]["locales"]["en-US"]["name"] == "Alpha Notes"


@pytest.mark.parametrize("body, code, field", [
    ({"locales": {"english": {"name": "x"}}}, "LIST-4", "locales.english"),
    ({"locales": {"en-US": {"summary": "s" * 81}}}, "LIST-2", "locales.en-US.summary"),
    ({"locales": {"en-US": {"name": "two\nlines"}}}, "LIST-1", "locales.en-US.name"),
    ({"locales": {"en-US": {"title": "x"}}}, "LIST-1", "locales.en-US"),
    ({"locales": {"en_US": {"name": "a"}, "en-us": {"name": "b"}}}, "LIST-5", "locales.en-us"),
    ({"website": "javascript:alert(1)"}, "LIST-1", "website"),
    ({"email": "not an address"}, "LIST-1", "email"),
    ({"license": "GPL<3>"}, "LIST-1", "license"),
    ({"release_notes": {"01": {"en-US": "x"}}}, "LIST-6", "release_notes.01"),
    ({"release_notes": {"3000000000": {"en-US": "x"}}}, "LIST-6", "release_notes.3000000000"),
    ({"release_notes": {"1": {"en-US": "n" * 501}}}, "LIST-2", "release_notes.1.en-US"),
    ({"locales": [1, 2]}, "LIST-1", "locales"),
    ({"screenshot": "x"}, "LIST-3", "screenshot"),
])
def test_bad_listings_are_refused_and_change_nothing(client, owner, body, code, field):
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-1.apk")
    assert client.put(LISTING, json=FULL, headers=auth(owner)).status_code == 200
    refused = client.put(LISTING, json=body, headers=auth(owner))
    assert refused.status_code == 422
    assert [(e["code"], e.get("field")) for e in refused.json()["errors"]] == [(code, field)]
    assert client.get(LISTING, headers=auth(owner)).json()["listing"]["license"] == "GPL-3.0-or-later"


def test_a_listing_needs_a_published_app(client, owner):
    create_store(client, owner)
    missing = client.put("/api/stores/shop/apps/org.example.none/listing", json=FULL, headers=auth(owner))
    assert missing.status_code == 404 and missing.json()["errors"][0]["code"] == "LIST-8"
    assert client.get("/api/stores/shop/apps/org.example.none/listing", headers=auth(owner)).status_code == 404
    not_json = client.put(LISTING, content=b"[1]", headers={**auth(owner), "Content-Type": "application/json"})
    assert not_json.status_code == 400


def test_every_protocol_carries_the_listing_after_the_next_version(client, owner):
    create_store(client, owner)
    upload(client, owner, "shop", "alpha-1.apk")
    flush(client)
    before = client.get("/fdroid/shop/repo/entry.json").json()["timestamp"]
    client.put(LISTING, json=FULL, headers=auth(owner))
    flush(client)
    # A listing change is a new index version (the F-Droid repo moves on; info.xml
    # carries no listing text, so its bytes stay those of the APKs it lists).
    assert client.get("/fdroid/shop/repo/entry.json").json()["timestamp"] > before

    index = client.get("/fdroid/shop/repo/index-v2.json").json()
    metadata = index["packages"]["org.apkdepot.alpha"]["metadata"]
    assert metadata["name"] == {"en-US": "Alpha Notes", "pt-BR": "Notas Alfa"}
    assert metadata["summary"] == {"en-US": "Notes that stay", "pt-BR": "Notas que ficam"}
    english = metadata["description"]["en-US"]
    assert "<strong>fast</strong>" in english and '<a href="https://example.org">site</a>' in english
    assert "<script>" not in english and "&lt;script&gt;" in english and 'href="javascript' not in english
    assert metadata["description"]["pt-BR"] == "<p>Escreva <em>rápido</em>.</p>"
    assert (metadata["categories"], metadata["webSite"], metadata["authorEmail"], metadata["sourceCode"],
            metadata["license"]) == (["Productivity"], FULL["website"], FULL["email"], FULL["source_url"],
                                     FULL["license"])
    assert "Productivity" in index["repo"]["categories"]
    (version,) = index["packages"]["org.apkdepot.alpha"]["versions"].values()
    assert version["whatsNew"] == {"en-US": "First release", "pt-BR": "Primeira versão"}

    meta = client.get("/api/7/app/getMeta/package_name=org.apkdepot.alpha/store_name=shop/lang=pt_BR").json()["data"]
    assert meta["name"] == "Notas Alfa"
    assert meta["media"]["description"] == "Escreva rápido." and meta["media"]["news"] == "Primeira versão"
    assert meta["developer"]["privacy"] == FULL["privacy_url"] and meta["developer"]["email"] == FULL["email"]
    english_meta = client.get("/api/7/app/getMeta/package_name=org.apkdepot.alpha/store_name=shop").json()["data"]
    assert english_meta["media"]["description"].startswith("Write fast.")

    info = client.get("/webservices/2/getApkInfo/shop/org.apkdepot.alpha/json", params={"token": owner}).json()
    assert info["meta"]["title"] == "Alpha Notes" and info["meta"]["news"] == "First release"
    assert info["meta"]["description"].startswith("Write fast.")
    assert info["meta"]["developer"]["info"]["website"] == FULL["website"]
    assert info["meta"]["categories"]["standard"][1]["name"] == "Productivity"


def test_upload_fields_of_upload_app_to_repo_fill_the_listing(client, owner):
    create_store(client, owner)
    with fixture("alpha-1.apk").open("rb") as fh:
        body = client.post("/webservices/3/uploadAppToRepo", files={"apk": ("a.apk", fh)},
                           data={"token": owner, "repo": "shop", "description": "From the Uploader",
                                 "category": "Tools", "apk_website": "https://example.net",
                                 "apk_email": "dev@example.net", "mode": "json"}).json()
    assert body["status"] == "OK", body
    listing = client.get(LISTING, headers=auth(owner)).json()["listing"]
    assert listing["locales"] == {"en-US": {"description": "From the Uploader"}}
    assert (listing["category"], listing["website"], listing["email"]) == ("Tools", "https://example.net",
                                                                           "dev@example.net")
    # The owner's later edits are kept when the same file is sent again without fields.
    client.put(LISTING, json={**listing, "category": "Productivity"}, headers=auth(owner))
    again = client.post("/webservices/3/uploadAppToRepo",
                        data={"token": owner, "repo": "shop", "apk_md5sum": body["info"]["md5sum"], "mode": "json"})
    assert again.json()["status"] == "OK", again.text
    assert client.get(LISTING, headers=auth(owner)).json()["listing"]["category"] == "Productivity"
