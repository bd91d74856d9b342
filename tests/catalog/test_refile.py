"""info.xml follows a listing's category: the entry's <catg2> and the category
list change with the next version, and a delta from before sends the entry again."""

from __future__ import annotations

import hashlib

import pytest

from tests.catalog.test_index_property import entries
from tests.conftest import BACKENDS
from tests.helpers import auth, create_store, flush, make_developer, upload

pytestmark = pytest.mark.parametrize("database_url", BACKENDS, indirect=True)

LISTING = "/api/stores/shop/apps/org.apkdepot.alpha/listing"


def test_a_listing_category_refiles_the_info_xml_entry(client, svc):
    token = make_developer(svc)[1]
    create_store(client, token)
    upload(client, token, "shop", "alpha-1.apk", category="Tools")
    upload(client, token, "shop", "beta-10.apk")
    flush(client)
    before = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).content
    assert b"<catg2>Tools</catg2>" in before
    old_md5 = hashlib.md5(before).hexdigest()

    assert client.put(LISTING, json={"category": "Música & <Som>"}, headers=auth(token)).status_code == 200
    flush(client)
    after = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).content
    assert b"<catg2>M\xc3\xbasica &amp; &lt;Som&gt;</catg2>" in after and b"<catg2>Tools</catg2>" not in after
    assert b"<name>M\xc3\xbasica &amp; &lt;Som&gt;</name>" in after and b"<name>Tools</name>" not in after
    # The same entries, one re-rendered; nothing added or removed.
    assert entries(after)[0] == entries(before)[0]
    change = client.get("/webservices/2/listRepositoryChange/json",
                        params={"token": token, "repo": "shop", "hash": old_md5}).json()["listing"][0]
    assert (change["hasupdates"], change["added"], change["removed"]) == ("TRUE", 0, 0)
    delta = client.get("/repo/shop/info.xml", params={"hash": old_md5}, headers={"Accept-Encoding": "identity"}).content
    present, deleted, _ = entries(delta)
    assert present == {("org.apkdepot.alpha", 1)} and deleted == set()
    assert b"<catg2>M\xc3\xbasica &amp; &lt;Som&gt;</catg2>" in delta
    # The listing's category going away files the entry back under its upload category.
    assert client.put(LISTING, json={}, headers=auth(token)).status_code == 200
    flush(client)
    again = client.get("/repo/shop/info.xml", headers={"Accept-Encoding": "identity"}).content
    assert b"<catg2>Tools</catg2>" in again and b"Som" not in again
