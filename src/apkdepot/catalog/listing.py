"""Pages of a store's listing in O(page) at any offset.

Each store version's listed APK ids are kept once per sort order (an array of
8-byte ids, made with one indexed query), so a page is a slice of it plus a
look-up of the page's rows by id: no request sorts the whole store again.
The download-count order also follows the counts, which move between
versions: it is kept for at most DOWNLOADS_ORDER_SECONDS."""

from __future__ import annotations

from apkdepot.catalog import queries
from apkdepot.index.cache import current_epoch, record_epoch
from apkdepot.services import Services

DOWNLOADS_ORDER_SECONDS = 60


def listed_page(svc: Services, orders, store_id: int, version: int, sort: str, limit: int,
                offset: int) -> tuple[list[queries.App], int]:
    """(the page's apps, the number listed); ``orders`` is the process's LruCache of orders."""
    # A page shows download counts, which move without a store version: an
    # answer made from it is remembered for at most one such epoch.
    record_epoch(DOWNLOADS_ORDER_SECONDS)
    epoch = current_epoch(DOWNLOADS_ORDER_SECONDS) if sort == "downloads" else 0
    make = lambda: queries.listed_order(svc, store_id, sort)  # noqa: E731
    ids = orders.get_or_make((store_id, version, sort, epoch), make) if orders is not None else make()
    return queries.apps_by_ids(svc, ids[offset:offset + limit]), len(ids)
