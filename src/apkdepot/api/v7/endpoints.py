"""v7 endpoints: store/getMeta, apps/get (listApps), app/getMeta, getApp, apps/search (listSearchApps), listAppsUpdates."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from apkdepot import errors
from apkdepot.api.contract import NOT_BLANK
from apkdepot.api.v7.dispatch import V7Call, v7_endpoint
from apkdepot.catalog import app_listing, listing, listing_images, queries, store_categories
from apkdepot.catalog.models import apk_url, colon_hex
from apkdepot.numbers import parse_whole
from apkdepot.errors import Failure, Problem, problem
from apkdepot.i18n import N_
from apkdepot.index.cache import CachedStore

MAX_UPDATE_PACKAGES = 100
SHA1_HEX = re.compile(r"^[0-9a-f]{40}\Z")


def v7_date(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}"


# Argument schemas (for the OpenAPI contract).
STORE_NAME_ARG = {"type": "string", "pattern": NOT_BLANK, "description": "Store name"}
STORE_ID_ARG = {"type": "integer", "minimum": 0, "description": "Store id"}
STORE_CREDENTIALS_ARGS = {"store_user": {"type": "string"}, "store_pass_sha1": {"type": "string"}}


def whole_number(low: int, high: int) -> dict[str, Any]:
    """A whole number (in a query or path, its ASCII digits; digits as text are also read from a body).
    An empty value is the same as none: the default."""
    return {"anyOf": [{"type": "integer", "minimum": low, "maximum": high}, {"type": "string", "maxLength": 0}]}


def _int(call: V7Call, name: str, default: int, low: int, high: int, found: list[Problem]) -> int:
    raw = call.params.get(name)
    if raw is None or raw == "":
        return default
    value = parse_whole(raw, low, high)
    if value is None:
        found.append(problem(errors.INVALID_NUMBER, name=name, min=low, max=high))
        return default
    return value


def resolve_store(call: V7Call) -> CachedStore:
    cache = call.runtime.cache
    name, store_id = call.text("store_name"), call.text("store_id")
    if not name and call.params.get("store_name") is not None:
        # A store_name that is there but blank names no store (it is not "any store").
        raise Failure(problem(errors.V7_NO_STORE, store=""))
    if name:
        store = cache.get(name) if len(name) <= 50 else None
    elif store_id:
        store = cache.by_id(number) if (number := parse_whole(store_id)) is not None else None
    else:
        raise Failure(problem(errors.V7_MISSING_STORE))
    if store is None:
        raise Failure(problem(errors.V7_NO_STORE, store=(name or store_id)[:60]))
    if store.suspended:
        raise Failure(problem(errors.V7_SUSPENDED))
    if store.private:
        user, passhash = call.text("store_user"), call.text("store_pass_sha1").lower()
        if not user or not passhash:
            raise Failure(problem(errors.V7_PRIVATE))
        key = ("v7cred", store.id, store.basic_pass_hash, user, passhash)
        ok = call.runtime.credentials.get_or_defer(key, lambda: user == store.basic_user and bool(store.basic_pass_hash)
                                                  and call.svc.passwords.verify_passhash(store.basic_pass_hash, passhash))
        if not ok:
            raise Failure(problem(errors.V7_BAD_STORE_CREDENTIALS))
    return store


def store_downloads(call: V7Call, store: CachedStore) -> int:
    # Counted once per index version, like the <dwn> counts in info.xml.
    return call.runtime.cache.deltas.get_or_defer(("downloads", store.id, store.version),
                                                 lambda: queries.store_downloads(call.svc, store.id))


def store_category_list(call: V7Call, store: CachedStore) -> list[dict[str, Any]]:
    """The store's own categories as its current index version carries them (read once per version)."""
    def read() -> list[dict[str, Any]]:
        with call.svc.db.read() as conn:
            return [c.public() for c in store_categories.at_version(conn, store.id, store.version)]

    return call.runtime.cache.deltas.get_or_defer(("store-categories", store.id, store.version), read)


def store_card(call: V7Call, store: CachedStore) -> dict[str, Any]:
    return {
        "id": store.id, "name": store.name,
        "avatar": f"{call.base_url}/repo/{store.name}/avatar" if store.avatar_key else None,
        "added": v7_date(store.created_at), "modified": v7_date(store.updated_at),
        "appearance": {"theme": store.theme, "description": store.description},
        "stats": {"apps": store.appscount, "subscribers": 0, "downloads": store_downloads(call, store)},
        "status": "ACTIVE", "access": "PRIVATE" if store.private else "PUBLIC",
        "urls": {"info_xml": f"{call.base_url}/repo/{store.name}/info.xml"},
        "hash": store.md5, "version": store.version,
        # The owner's categories: {name, labels: {locale: name}} (apps are filed under name).
        "categories": store_category_list(call, store),
    }


@v7_endpoint(name="store/getMeta", summary=N_("A store's card and its current index hash"), in_loop=True,
             params=(("store_name", N_("Store name")), ("store_id", N_("Store id")),
                     ("store_user", N_("User name, for a private store")),
                     ("store_pass_sha1", N_("SHA-1 hex of the password, for a private store"))),
             error_codes=("MARG-205", "STORE-1", "STORE-7", "STORE-3", "STORE-4"), example={"store_name": "$demo"},
             contract={"subjects": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG},
                       "optional": STORE_CREDENTIALS_ARGS, "private_store": True})
def store_get_meta(call: V7Call) -> dict[str, Any]:
    store = resolve_store(call)
    if store.private:
        return {"data": store_card(call, store)}
    return {"data": call.runtime.cache.deltas.get_or_defer(
        ("v7meta", store.id, store.version, store.updated_at, call.base_url), lambda: store_card(call, store))}


# Every app card carries what the v8 app dereferences without a null check
# (UpdateMapper: file.malware.rank, store.name; AppService.mapApp: the full
# card's flags, developer, stats.rating.votes, stats.prating, media, urls, age,
# file.tags, appcoins.flags). Nothing here is invented: there are no ratings,
# so every rating is an empty one, and no malware scan, so the rank is UNKNOWN.
def _unrated() -> dict[str, Any]:
    return {"avg": 0.0, "total": 0, "votes": []}


def app_card(call: V7Call, store: CachedStore, app: queries.App, full: bool = False) -> dict[str, Any]:
    path = apk_url(call.base_url, store.name, app.file_name)
    card: dict[str, Any] = {
        "id": app.id, "name": app.label, "package": app.package, "uptype": "regular", "size": app.size,
        "icon": apk_url(call.base_url, store.name, app.icon_name, "icons") if app.icon_name else None,
        "added": v7_date(app.added_at), "modified": v7_date(app.added_at), "updated": v7_date(app.added_at),
        "store": {"id": store.id, "name": store.name,
                  "avatar": f"{call.base_url}/repo/{store.name}/avatar" if store.avatar_key else None},
        "file": {"vername": app.version_name, "vercode": app.version_code, "md5sum": app.md5,
                 "path": path, "path_alt": path, "filesize": app.size, "malware": {"rank": "UNKNOWN"}},
        "stats": {"downloads": app.downloads, "pdownloads": app.downloads, "rating": _unrated()},
        "appcoins": {"advertising": False, "billing": False, "flags": []},
    }
    if full:
        card["file"].update({
            # The v8 app compares signatures in AptoideUtils.computeSha1WithColon's form (5A:9D:…).
            "signature": {"sha1": colon_hex(app.signer_sha1), "sha256": colon_hex(app.signer_sha256)},
            "hardware": {"sdk": app.min_sdk, "cpus": app.abis, "densities": []},
            "flags": {"votes": []}, "tags": [], "used_features": app.details.get("features") or [],
            "used_permissions": app.permissions})
        said = app_listing.shown(app, queries.served_listing(call.svc, store.id, app.package),
                              call.params.get("lang") or call.locale)
        card["name"] = said.name
        card["developer"] = {"name": store.name, "website": said.website, "email": said.email,
                             "privacy": said.privacy_url}
        card["age"] = {"name": "All", "title": "All", "rating": 0}
        card["media"] = {"description": said.description, "summary": said.summary, "keywords": [],
                         "news": said.news, "videos": [],
                         # The v8 app's Screenshot model: {url, height, width}.
                         "screenshots": [{"url": listing_images.repo_url(call.base_url, store.name, app.package,
                                                                         i.name), "height": i.height, "width": i.width}
                                         for i in said.screenshots]}
        if said.feature_graphic is not None:
            card["graphic"] = listing_images.repo_url(call.base_url, store.name, app.package,
                                                      said.feature_graphic.name)
        card["urls"] = {"w": f"{call.base_url}/stores/{store.name}/{app.package}"}
        card["stats"]["prating"] = _unrated()
    return card


def datalist(items: list[dict[str, Any]], total: int, offset: int, limit: int) -> dict[str, Any]:
    following = offset + len(items)
    return {"datalist": {"total": total, "count": len(items), "offset": offset, "limit": limit,
                         "next": following if following < total else None, "hidden": 0, "loaded": True,
                         "list": items}}


# The v8 app's ListAppsRequest.Sort names; trending means most downloaded here.
SORT_ALIASES = {"trending7d": "downloads", "trending60d": "downloads"}


@v7_endpoint(name="apps/get", aliases=("listApps",), summary=N_("The apps a store lists, paginated"), remembered=True,
             params=(("store_name", N_("Store name")), ("store_id", N_("Store id")), ("limit", N_("1 to 100, default 25")),
                     ("offset", N_("Entries to skip")),
                     ("sort", N_("package (default), alpha, latest or downloads (trending7d and trending60d: downloads)"))),
             error_codes=("MARG-205", "STORE-1", "STORE-7", "STORE-3", "STORE-4", "IARG-105", "IARG-102"),
             example={"store_name": "$demo", "limit": "2"},
             contract={"subjects": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG},
                       "optional": {"limit": whole_number(1, 100), "offset": whole_number(0, 10**9),
                                    "sort": {"enum": ["", *queries.SORTS, *SORT_ALIASES], "description": "empty: package"}, **STORE_CREDENTIALS_ARGS},
                       "private_store": True})
def apps_get(call: V7Call) -> dict[str, Any]:
    found: list[Problem] = []
    limit = _int(call, "limit", 25, 1, 100, found)
    offset = _int(call, "offset", 0, 0, 10**9, found)
    sort = call.text("sort") or "package"
    sort = SORT_ALIASES.get(sort, sort)
    if sort not in queries.SORTS:
        found.append(problem(errors.INVALID_VALUE, name="sort"))
    if found:
        raise Failure(found)
    store = resolve_store(call)
    apps, total = listing.listed_page(call.svc, call.runtime.listings, store.id, store.version, sort, limit, offset)
    return datalist([app_card(call, store, a) for a in apps], total, offset, limit)


APP_SUBJECTS = {"package_name": {"type": "string", "pattern": NOT_BLANK}, "app_id": STORE_ID_ARG,
                "apk_md5sum": {"type": "string", "pattern": r"^[0-9A-Fa-f]{32}\Z"}}
APP_PARAMS = (("package_name", N_("Package name")), ("app_id", N_("App (APK) id")),
              ("apk_md5sum", N_("MD5 of the APK file")),
              ("store_name", N_("Store name (optional: the first public store listing it)")))


def public_stores(call: V7Call) -> list[CachedStore]:
    return [s for sid in queries.public_store_ids(call.svc) if (s := call.runtime.cache.by_id(sid))]


def find_app(call: V7Call) -> tuple[CachedStore, queries.App]:
    """The app a package name, an APK id or an APK's MD5 names, in the named store or in every public one."""
    package, app_id, md5 = call.text("package_name"), call.text("app_id"), call.text("apk_md5sum").lower()
    if not package and not app_id and not md5:
        raise Failure(problem(errors.V7_MISSING_APP))
    named = call.params.get("store_name") is not None or call.params.get("store_id") is not None
    stores_to_search = [resolve_store(call)] if named else public_stores(call)
    ids = [s.id for s in stores_to_search]
    by_id = {s.id: s for s in stores_to_search}
    app = None
    if app_id:
        app = queries.find_by(call.svc, ids, apk_id=number) if (number := parse_whole(app_id)) is not None else None
    elif md5:
        app = queries.find_by(call.svc, ids, md5=md5) if re.fullmatch(r"[0-9a-f]{32}", md5) else None
    else:
        listed = queries.listed_for_package(call.svc, ids, package[:255]) if ids else []
        app = listed[0] if listed else None
    if app is None:
        raise Failure(problem(errors.V7_NO_APP))
    return by_id[app.store_id], app


@v7_endpoint(name="app/getMeta", summary=N_("One app's details"), params=APP_PARAMS,
             error_codes=("MARG-206", "STORE-1", "STORE-7", "STORE-3", "STORE-4", "APP-1"),
             example={"package_name": "$package", "store_name": "$demo"},
             contract={"subjects": APP_SUBJECTS,
                       "optional": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG, **STORE_CREDENTIALS_ARGS},
                       "private_store": True})
def app_get_meta(call: V7Call) -> dict[str, Any]:
    store, app = find_app(call)
    return {"data": app_card(call, store, app, full=True)}


@v7_endpoint(name="getApp", summary=N_("One app's details and every store's listed version of it, as the v8 app asks"),
             params=(*APP_PARAMS, ("nodes", N_("Which parts to answer (read as: all of them)"))),
             error_codes=("MARG-206", "STORE-1", "STORE-7", "STORE-3", "STORE-4", "APP-1"),
             example={"package_name": "$package", "store_name": "$demo"},
             contract={"subjects": APP_SUBJECTS,
                       "optional": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG, "nodes": {"type": "string"},
                                    **STORE_CREDENTIALS_ARGS},
                       "private_store": True})
def get_app(call: V7Call) -> dict[str, Any]:
    store, app = find_app(call)
    # Every listed version of the package the caller can see, newest first:
    # the v8 app (AppService.isLatestTrustedVersion) compares the first one with the meta's file.
    visible = {s.id: s for s in public_stores(call)} | {store.id: store}
    versions = sorted(queries.listed_for_package(call.svc, list(visible), app.package),
                      key=lambda v: (-v.version_code, v.store_id))
    node_info = {"status": "OK"}
    return {"nodes": {"meta": {"info": node_info, "data": app_card(call, store, app, full=True)},
                      "versions": {"info": node_info, "list": [app_card(call, visible[v.store_id], v) for v in versions]}}}


def _signature(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = value.replace(":", "").strip().lower()
    return cleaned if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", cleaned) else None


@v7_endpoint(name="listAppsUpdates", summary=N_("Newer versions of installed apps, signed by the same key"),
             methods=frozenset({"POST"}),
             params=(("apks_data", N_("[{package, vercode, signature}], at most 100")),
                     ("store_names", N_("Stores to look in (default: every public store)")),
                     ("store_ids", N_("Stores to look in, by id (the v8 app sends its subscribed stores)"))),
             error_codes=("MARG-207", "IARG-102", "IARG-106", "STORE-1", "STORE-7", "STORE-3"),
             example={"apks_data": [{"package": "$package", "vercode": 1, "signature": "$signer"}],
                      "store_names": ["$demo"]},
             contract={"required": ["apks_data"], "body": {
                 "apks_data": {"type": "array", "minItems": 1, "maxItems": MAX_UPDATE_PACKAGES, "items": {
                     "type": "object", "required": ["package", "vercode", "signature"], "properties": {
                         "package": {"type": "string", "minLength": 1, "maxLength": 255},
                         "vercode": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                         "signature": {"type": "string", "pattern": r"^\s*([0-9A-Fa-f]:?){39}[0-9A-Fa-f]\s*$|^\s*([0-9A-Fa-f]:?){63}[0-9A-Fa-f]\s*$",
                                       "description": "SHA-1 or SHA-256 of the signing certificate, hex (colons allowed)"}}}},
                 "store_names": {"type": ["array", "null"], "maxItems": 50, "items": {"type": "string"}},
                 "store_ids": {"type": ["array", "null"], "maxItems": 50,
                               "items": {"type": "integer", "minimum": 0, "maximum": 2**63 - 1}}}})
def list_apps_updates(call: V7Call) -> dict[str, Any]:
    installed = call.params.get("apks_data")
    if installed is None or installed == []:
        raise Failure(problem(errors.V7_MISSING_APKS_DATA))
    if not isinstance(installed, list):
        raise Failure(problem(errors.INVALID_VALUE, name="apks_data"))
    if len(installed) > MAX_UPDATE_PACKAGES:
        raise Failure(problem(errors.TOO_MANY_VALUES, name="apks_data", max=MAX_UPDATE_PACKAGES))
    wanted: dict[str, tuple[int, str]] = {}
    found: list[Problem] = []
    for position, item in enumerate(installed):
        package = item.get("package") if isinstance(item, dict) else None
        vercode = item.get("vercode") if isinstance(item, dict) else None
        signature = _signature(item.get("signature")) if isinstance(item, dict) else None
        if (not isinstance(package, str) or not 0 < len(package) <= 255
                or parse_whole(vercode, 0, 2**31 - 1) is None or signature is None):
            found.append(problem(errors.INVALID_VALUE, name=f"apks_data[{position}]"))
            continue
        wanted[package] = (int(vercode), signature)
    stores = named_stores(call, found)
    if found:
        raise Failure(found)
    by_id = {s.id: s for s in stores}
    best: dict[str, queries.App] = {}
    for app in queries.newest_listed(call.svc, list(by_id), wanted):
        vercode, signature = wanted[app.package]
        signer = app.signer_sha1 if len(signature) == 40 else app.signer_sha256
        if app.version_code > vercode and signer == signature:
            if app.package not in best or app.version_code > best[app.package].version_code:
                best[app.package] = app
    items = [app_card(call, by_id[a.store_id], a) for a in sorted(best.values(), key=lambda a: a.package)]
    # The v8 app reads a top-level "list" (ListAppsUpdates.list); "datalist" stays for other clients.
    return {"list": items, **datalist(items, len(items), 0, MAX_UPDATE_PACKAGES)}


STORE_IDS_TEXT = r"^([0-9]+(,[0-9]+)*)?\Z"  # empty: no store named


def _names_or_ids(value: Any, kind: type) -> list[Any] | None:
    """A JSON list, or the comma-separated text a query string carries (v8's getStoreIdsAsString)."""
    if isinstance(value, str):
        if value == "":
            return []
        if kind is int:
            return [int(p) for p in value.split(",")] if re.fullmatch(STORE_IDS_TEXT, value) else None
        return [p for p in value.split(",") if p]
    if not isinstance(value, list):
        return None
    if kind is int:
        # JSON has one number type: 7.0 is the integer 7, as the schema says.
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) and float(v).is_integer() and v >= 0 for v in value):
            return [int(v) for v in value]
        return None
    return value if all(isinstance(v, str) for v in value) else None


def named_stores(call: V7Call, found: list[Problem]) -> list[CachedStore]:
    """The public stores store_names and store_ids name; every public store when they name none."""
    cache = call.runtime.cache
    wanted: list[CachedStore] = []
    for key, kind, look_up in (("store_names", str, lambda n: cache.get(n) if len(n) <= 50 else None),
                               ("store_ids", int, lambda i: cache.by_id(i) if i < 2**63 else None)):
        raw = call.params.get(key)
        if raw is None or raw == "" or raw == []:
            continue
        values = _names_or_ids(raw, kind)
        if values is None or len(values) > 50:
            found.append(problem(errors.INVALID_VALUE, name=key) if values is None
                         else problem(errors.TOO_MANY_VALUES, name=key, max=50))
            continue
        for value in values:
            store = look_up(value)
            if store is None:
                raise Failure(problem(errors.V7_NO_STORE, store=str(value)[:60]))
            if store.suspended:
                raise Failure(problem(errors.V7_SUSPENDED))
            if store.private:
                raise Failure(problem(errors.V7_PRIVATE))
            if store not in wanted:
                wanted.append(store)
    if found or wanted:
        return wanted
    return public_stores(call)


MAX_SEARCH_LIMIT = 100
MAX_QUERY_LENGTH = 200


@v7_endpoint(name="apps/search", aliases=("listSearchApps",), summary=N_("Search apps by name or package across public stores"),
             params=(("query", N_("Text to look for in names and package names")),
                     ("limit", N_("1 to 100, default 25 (a larger number is read as 100)")),
                     ("offset", N_("Entries to skip")),
                     ("store_names", N_("Stores to look in, comma-separated (default: every public store)")),
                     ("store_ids", N_("Stores to look in by id, comma-separated"))),
             error_codes=("MARG-208", "IARG-104", "IARG-105", "IARG-102", "IARG-106", "STORE-1", "STORE-7", "STORE-3"),
             example={"query": "$label", "limit": "5"},
             contract={"subjects": {"query": {"type": "string", "pattern": NOT_BLANK, "maxLength": MAX_QUERY_LENGTH}}, "optional": {
                 "limit": whole_number(1, 10**9), "offset": whole_number(0, 10**9),
                 "store_names": {"type": ["string", "array"], "items": {"type": "string"}, "maxItems": 50},
                 "store_ids": {"type": ["string", "array"], "pattern": STORE_IDS_TEXT,
                               "items": {"type": "integer", "minimum": 0}, "maxItems": 50}},
                 "private_store": True})
def apps_search(call: V7Call) -> dict[str, Any]:
    found: list[Problem] = []
    text = call.text("query")
    if not text:
        found.append(problem(errors.V7_MISSING_QUERY))
    elif len(text) > MAX_QUERY_LENGTH:
        found.append(problem(errors.VALUE_TOO_LONG, name="query"))
    # Search clients ask for more than a page (aptoide-scraper sends limit=1000): they get the largest page.
    limit = min(_int(call, "limit", 25, 1, 10**9, found), MAX_SEARCH_LIMIT)
    offset = _int(call, "offset", 0, 0, 10**9, found)
    stores = named_stores(call, found)
    if found:
        raise Failure(found)
    by_id = {s.id: s for s in stores}
    apps, total = queries.search(call.svc, text, list(by_id), limit, offset)
    return datalist([app_card(call, by_id[a.store_id], a) for a in apps], total, offset, limit)
