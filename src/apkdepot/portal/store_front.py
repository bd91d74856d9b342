"""The public store front: a store's apps (search, category, pages), an app's
page, a search across every public store, and the landing page a browser
finds at a store's F-Droid repository address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import segno
from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from markupsafe import Markup

from apkdepot.api.json.common import run, services
from apkdepot.api.ws.dispatch import base_url
from apkdepot.catalog import app_listing, publishing, queries, store_categories, store_front, stores
from apkdepot.catalog.models import ApkVersion
from apkdepot.i18n import gettext
from apkdepot.numbers import parse_whole
from apkdepot.portal.web import current_session, locale_of, render
from apkdepot.services import Services

PAGE_SIZE = 24
MAX_PAGE = 100_000
QUERY_MAX_CHARS = 200

# Android's version names by API level (the first version of each level).
ANDROID_VERSIONS = {
    1: "1.0", 2: "1.1", 3: "1.5", 4: "1.6", 5: "2.0", 6: "2.0.1", 7: "2.1", 8: "2.2", 9: "2.3", 10: "2.3.3",
    11: "3.0", 12: "3.1", 13: "3.2", 14: "4.0", 15: "4.0.3", 16: "4.1", 17: "4.2", 18: "4.3", 19: "4.4",
    20: "4.4W", 21: "5.0", 22: "5.1", 23: "6.0", 24: "7.0", 25: "7.1", 26: "8.0", 27: "8.1", 28: "9", 29: "10",
    30: "11", 31: "12", 32: "12L", 33: "13", 34: "14", 35: "15", 36: "16",
}


def android_version(sdk: int) -> str:
    """``Android 5.0 (API 21)``; levels newer than this table show the API level alone."""
    name = ANDROID_VERSIONS.get(sdk)
    return f"Android {name} (API {sdk})" if name else f"API {sdk}"


def human_size(size: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def qr_svg(text: str, title: str) -> Markup:
    """An inline SVG QR code (no script, no external image: the pages' CSP allows it)."""
    svg = segno.make(text, error="m").svg_inline(scale=4, title=title, svgclass="qr", lineclass=None,
                                                  omitsize=True, border=2)
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))


@dataclass(frozen=True)
class Tile:
    """One app as a store page shows it."""
    store: str
    package: str
    name: str
    summary: str
    icon_name: str | None
    version_name: str
    size: str
    downloads: int


def _tiles(svc: Services, apps: list[ApkVersion], names: dict[int, str], locale: str) -> list[Tile]:
    by_store: dict[int, list[str]] = {}
    for app in apps:
        by_store.setdefault(app.store_id, []).append(app.package)
    with svc.db.read() as conn:
        listings = {(sid, pkg): listing for sid, packages in by_store.items()
                    for pkg, listing in app_listing.served(conn, sid, packages).items()}
    tiles = []
    for app in apps:
        shown = app_listing.shown(app, listings.get((app.store_id, app.package)), locale)
        tiles.append(Tile(names.get(app.store_id, ""), app.package, shown.name, shown.summary, app.icon_name,
                          app.version_name, human_size(app.size), app.downloads))
    return tiles


@dataclass(frozen=True)
class Query:
    """What a store page or the search page is asked for, already bounded."""
    text: str
    category: str | None
    sort: str
    page: int

    @classmethod
    def of(cls, request: Request) -> "Query":
        params = request.query_params
        text = (params.get("q") or "").strip()[:QUERY_MAX_CHARS]
        category = (params.get("category") or "").strip()[:app_listing.CATEGORY_MAX] or None
        sort = params.get("sort") if params.get("sort") in store_front.SORTS else "name"
        page = min(max(parse_whole(params.get("page") or "1") or 1, 1), MAX_PAGE)
        return cls(text, category, sort, page)

    def link(self, **changes: Any) -> str:
        """This query with some parts changed, as a query string."""
        values = {"q": self.text, "category": self.category or "", "sort": self.sort, "page": self.page}
        values.update(changes)
        kept = {k: v for k, v in values.items() if v and not (k == "sort" and v == "name")
                and not (k == "page" and v == 1)}
        return "?" + urlencode(kept) if kept else "?"


def _pages(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def _find(svc: Services, store_ids: list[int], query: Query) -> store_front.Found:
    offset = (query.page - 1) * PAGE_SIZE
    with svc.db.read() as conn:
        if query.text:
            return store_front.search(conn, store_ids, query.text, category=query.category, limit=PAGE_SIZE,
                                      offset=offset)
        return store_front.browse(conn, store_ids, category=query.category, sort=query.sort, limit=PAGE_SIZE,
                                  offset=offset)


def store_page_data(svc: Services, store_id: int, store_name: str, query: Query, locale: str) -> dict[str, Any]:
    found = _find(svc, [store_id], query)
    with svc.db.read() as conn:
        used = store_front.categories(conn, store_id)
        own = {c.name: c for c in store_categories.served(conn, store_id)}
    # (name, what it is called in the page's language, apps in it)
    categories = [(name, own[name].label(locale) if name in own else name, count) for name, count in used]
    return {"found": _tiles(svc, found.apps, {store_id: store_name}, locale), "total": found.total,
            "pages": _pages(found.total), "categories": categories}


def search_page_data(svc: Services, query: Query, locale: str) -> dict[str, Any]:
    ids = queries.public_store_ids(svc)
    found = _find(svc, ids, query) if query.text else store_front.Found([], 0)
    names = {s.id: s.name for s in stores.stores_by_ids(svc, {a.store_id for a in found.apps})}
    return {"found": _tiles(svc, found.apps, names, locale), "total": found.total,
            "pages": _pages(found.total)}


@dataclass(frozen=True)
class VersionRow:
    version_name: str
    version_code: int
    size: str
    min_android: str
    added: str
    file_name: str
    notes: Markup


def app_page_data(svc: Services, store: stores.Store, package: str, locale: str) -> dict[str, Any] | None:
    versions = [v for v in publishing.list_versions(svc, store) if v.package == package]
    if not versions:
        return None
    listed = queries.find_version(svc, store.id, package, None) or versions[0]
    listing = queries.served_listing(svc, store.id, package) or app_listing.Listing()
    shown = app_listing.shown(listed, listing, locale)
    description = listing.text(locale, "description")
    rows = [VersionRow(v.version_name, v.version_code, human_size(v.size), android_version(v.min_sdk),
                       v.added_at.strftime("%Y-%m-%d"), v.file_name,
                       Markup(app_listing.description_html(
                           app_listing.pick_localized(listing.notes_for(v.version_code), locale))))
            for v in versions]
    shots = [{"url": f"/repo/{store.name}/images/{package}/{i.name}", "width": i.width, "height": i.height}
             for i in shown.screenshots]
    with svc.db.read() as conn:
        own = {c.name: c for c in store_categories.served(conn, store.id)}
    category = own[shown.category].label(locale) if shown.category in own else shown.category
    return {"app": listed, "shown": shown, "versions": rows, "screenshots": shots, "category": category,
            "description_html": Markup(app_listing.description_html(description)) if description else None,
            "plain_description": "" if description else listed.description,
            "size": human_size(listed.size), "min_android": android_version(listed.min_sdk),
            "target_android": android_version(listed.target_sdk),
            "downloads": sum(v.downloads for v in versions)}


def _not_found(request: Request, session) -> Response:
    return render(request, "message.html", 404, session=session, heading=gettext(locale_of(request), "Not found"))


def _moved(request: Request, path: str) -> Response:
    query = request.scope.get("query_string", b"").decode("latin-1")
    return Response(b"", status_code=301, headers={"Location": path + (f"?{query}" if query else "")})


def _public_store(request: Request, name: str):
    store = request.app.state.runtime.cache.get(name) if len(name) <= stores.STORE_NAME_MAX else None
    return None if store is None or store.private or store.suspended else store


def fdroid_link(request: Request, svc: Services, store_name: str, fingerprint: str) -> dict[str, Any]:
    url = f"{base_url(request, svc)}/fdroid/{store_name}/repo?fingerprint={fingerprint}"
    return {"fingerprint": fingerprint, "url": url, "qr": qr_svg(url, "F-Droid")}


class StoreFront(Controller):
    include_in_schema = False

    @get("/stores/{name:str}")
    async def store_page(self, request: Request, name: FromPath[str]) -> Response:
        svc = services(request)
        session = await current_session(request)
        store = _public_store(request, name)
        if store is None:
            return _not_found(request, session)
        if store.name != name.lower():  # an old name of a renamed store
            return _moved(request, f"/stores/{store.name}")
        query = Query.of(request)
        data = await run(store_page_data, svc, store.id, store.name, query, locale_of(request))
        fingerprint = (await run(stores.fingerprint_of, svc, store.id) or "").upper()
        return render(request, "store_public.html", session=session, store=store, query=query, **data,
                      fdroid=fdroid_link(request, svc, store.name, fingerprint) if fingerprint else None)

    @get("/stores/{name:str}/{package:str}")
    async def app_page(self, request: Request, name: FromPath[str], package: FromPath[str]) -> Response:
        svc = services(request)
        session = await current_session(request)
        cached = _public_store(request, name)
        if cached is not None and cached.name != name.lower():
            return _moved(request, f"/stores/{cached.name}/{quote(package, safe='')}")
        store = await run(stores.get_store, svc, cached.name) if cached else None
        data = await run(app_page_data, svc, store, package[:255], locale_of(request)) if store else None
        if data is None:
            return _not_found(request, session)
        return render(request, "app_public.html", session=session, store=store, package=package, **data)

    @get("/search")
    async def search_page(self, request: Request) -> Response:
        query = Query.of(request)
        data = await run(search_page_data, services(request), query, locale_of(request))
        return render(request, "search.html", session=await current_session(request), query=query, **data)


async def fdroid_landing(request: Request, store) -> Response:
    """What a browser sees at a store's F-Droid repository address."""
    svc = services(request)
    fingerprint = (await run(stores.fingerprint_of, svc, store.id) or "").upper()
    return render(request, "fdroid_landing.html", session=await current_session(request), store=store,
                  fdroid=fdroid_link(request, svc, store.name, fingerprint) if fingerprint else None)
