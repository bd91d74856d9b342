"""Listing pages from the kept per-version orders agree with sorting in SQL,
for every sort, offset and limit, and follow a new index version."""

from __future__ import annotations

import pytest

from apkdepot.catalog import listing, queries
from apkdepot.index.cache import LruCache
from tests.helpers import create_store, flush, make_developer, state, upload


@pytest.mark.parametrize("sort", sorted(queries.SORTS))
def test_pages_match_the_sql_order(client, svc, sort):
    token = make_developer(svc)[1]
    create_store(client, token, "shop")
    for name in ("gamma-5.apk", "alpha-1.apk", "beta-10.apk"):
        upload(client, token, "shop", name)
    flush(client)
    store = state(client).runtime.cache.get("shop")
    orders = LruCache(8)
    expected, total = queries.listed_apps(svc, store.id, 100, 0, sort)
    assert total == 3
    for limit in (1, 2, 3, 5):
        for offset in range(0, 5):
            page, count = listing.listed_page(svc, orders, store.id, store.version, sort, limit, offset)
            assert count == 3 and [a.id for a in page] == [a.id for a in expected[offset:offset + limit]]
    # A new index version has its own order.
    upload(client, token, "shop", "alpha-2.apk")
    flush(client)
    newer = state(client).runtime.cache.get("shop")
    page, _ = listing.listed_page(svc, orders, newer.id, newer.version, sort, 10, 0)
    assert [a.id for a in page] == [a.id for a in queries.listed_apps(svc, store.id, 100, 0, sort)[0]]
    assert ("org.apkdepot.alpha", 2) in {(a.package, a.version_code) for a in page}
