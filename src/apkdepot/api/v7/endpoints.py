"""v7 endpoints: store/getMeta, apps/get, app/getMeta, listAppsUpdates."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from apkdepot import errors
from apkdepot.api.v7.dispatch import V7Call, v7_endpoint
from apkdepot.catalog import queries
from apkdepot.catalog.models import apk_url
from apkdepot.numbers import parse_whole
from apkdepot.errors import Failure, Problem, problem
from apkdepot.i18n import N_
from apkdepot.index.cache import CachedStore

MAX_UPDATE_PACKAGES = 100
SHA1_HEX = re.compile(r"^[0-9a-f]{40}\Z")


def v7_date(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}"


# Argument schemas (for the OpenAPI contract).
STORE_NAME_ARG = {"type": "string", "pattern": r"\S", "description": "Store name"}
STORE_ID_ARG = {"type": "integer", "minimum": 0, "description": "Store id"}
STORE_CREDENTIALS_ARGS = {"store_user": {"type": "string"}, "store_pass_sha1": {"type": "string"}}


def whole_number(low: int, high: int) -> dict[str, Any]:
    """A whole number (in a query or path, its ASCII digits; digits as text are also read from a body)."""
    return {"type": "integer", "minimum": low, "maximum": high}


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
    if name:
        store = cache.get(name) if len(name) <= 50 else None
    elif store_id:
        store = cache.by_id(number) if (number := parse_whole(store_id)) is not None else None
    else:
        raise Failure(problem(errors.V7_MISSING_STORE))
    if store is None:
        raise Failure(problem(errors.V7_NO_STORE, store=(name or store_id)[:60]))
    if store.private:
        user, passhash = call.text("store_user"), call.text("store_pass_sha1").lower()
        if not user or not passhash:
            raise Failure(problem(errors.V7_PRIVATE))
        key = ("v7cred", store.id, store.basic_pass_hash, user, passhash)
        ok = call.runtime.credentials.get_or_make(key, lambda: user == store.basic_user and bool(store.basic_pass_hash)
                                                  and call.svc.passwords.verify_passhash(store.basic_pass_hash, passhash))
        if not ok:
            raise Failure(problem(errors.V7_BAD_STORE_CREDENTIALS))
    return store


def store_downloads(call: V7Call, store: CachedStore) -> int:
    # Counted once per index version, like the <dwn> counts in info.xml.
    return call.runtime.cache.deltas.get_or_make(("downloads", store.id, store.version),
                                                 lambda: queries.store_downloads(call.svc, store.id))


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
    }


@v7_endpoint(name="store/getMeta", summary=N_("A store's card and its current index hash"), in_loop=True,
             params=(("store_name", N_("Store name")), ("store_id", N_("Store id")),
                     ("store_user", N_("User name, for a private store")),
                     ("store_pass_sha1", N_("SHA-1 hex of the password, for a private store"))),
             error_codes=("MARG-205", "STORE-1", "STORE-3", "STORE-4"), example={"store_name": "$demo"},
             contract={"subjects": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG},
                       "optional": STORE_CREDENTIALS_ARGS, "private_store": True})
def store_get_meta(call: V7Call) -> dict[str, Any]:
    store = resolve_store(call)
    if store.private:
        return {"data": store_card(call, store)}
    return {"data": call.runtime.cache.deltas.get_or_make(
        ("v7meta", store.id, store.version, store.updated_at, call.base_url), lambda: store_card(call, store))}


def app_card(call: V7Call, store: CachedStore, app: queries.App, full: bool = False) -> dict[str, Any]:
    card: dict[str, Any] = {
        "id": app.id, "name": app.label, "package": app.package, "size": app.size,
        "icon": apk_url(call.base_url, store.name, app.icon_name, "icons") if app.icon_name else None,
        "added": v7_date(app.added_at), "modified": v7_date(app.added_at), "updated": v7_date(app.added_at),
        "store": {"id": store.id, "name": store.name},
        "file": {"vername": app.version_name, "vercode": app.version_code, "md5sum": app.md5,
                 "path": apk_url(call.base_url, store.name, app.file_name), "filesize": app.size},
        "stats": {"downloads": app.downloads},
    }
    if full:
        card["file"].update({"signature": {"sha1": app.signer_sha1.upper(), "sha256": app.signer_sha256.upper()},
                             "hardware": {"sdk": app.min_sdk, "cpus": app.abis}, "used_permissions": app.permissions})
        card["developer"] = {"name": store.name}
        card["media"] = {"description": app.description}
    return card


def datalist(items: list[dict[str, Any]], total: int, offset: int, limit: int) -> dict[str, Any]:
    following = offset + len(items)
    return {"datalist": {"total": total, "count": len(items), "offset": offset, "limit": limit,
                         "next": following if following < total else None, "hidden": 0, "loaded": True,
                         "list": items}}


@v7_endpoint(name="apps/get", summary=N_("The apps a store lists, paginated"),
             params=(("store_name", N_("Store name")), ("store_id", N_("Store id")), ("limit", N_("1 to 100, default 25")),
                     ("offset", N_("Entries to skip")), ("sort", N_("package (default), alpha, latest or downloads"))),
             error_codes=("MARG-205", "STORE-1", "STORE-3", "STORE-4", "IARG-105", "IARG-102"),
             example={"store_name": "$demo", "limit": "2"},
             contract={"subjects": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG},
                       "optional": {"limit": whole_number(1, 100), "offset": whole_number(0, 10**9),
                                    "sort": {"enum": ["", *queries.SORTS], "description": "empty: package"}, **STORE_CREDENTIALS_ARGS},
                       "private_store": True})
def apps_get(call: V7Call) -> dict[str, Any]:
    found: list[Problem] = []
    limit = _int(call, "limit", 25, 1, 100, found)
    offset = _int(call, "offset", 0, 0, 10**9, found)
    sort = call.text("sort") or "package"
    if sort not in queries.SORTS:
        found.append(problem(errors.INVALID_VALUE, name="sort"))
    if found:
        raise Failure(found)
    store = resolve_store(call)
    apps, total = queries.listed_apps(call.svc, store.id, limit, offset, sort)
    return datalist([app_card(call, store, a) for a in apps], total, offset, limit)


@v7_endpoint(name="app/getMeta", summary=N_("One app's details"),
             params=(("package_name", N_("Package name")), ("app_id", N_("App (APK) id")),
                     ("store_name", N_("Store name (optional: the first public store listing it)"))),
             error_codes=("MARG-206", "STORE-1", "STORE-3", "STORE-4", "APP-1"),
             example={"package_name": "$package", "store_name": "$demo"},
             contract={"subjects": {"package_name": {"type": "string", "pattern": r"\S"}, "app_id": STORE_ID_ARG},
                       "optional": {"store_name": STORE_NAME_ARG, "store_id": STORE_ID_ARG, **STORE_CREDENTIALS_ARGS},
                       "private_store": True})
def app_get_meta(call: V7Call) -> dict[str, Any]:
    package, app_id = call.text("package_name"), call.text("app_id")
    if not package and not app_id:
        raise Failure(problem(errors.V7_MISSING_APP))
    if call.text("store_name") or call.text("store_id"):
        stores_to_search = [resolve_store(call)]
    else:
        stores_to_search = [s for sid in queries.public_store_ids(call.svc) if (s := call.runtime.cache.by_id(sid))]
    ids = [s.id for s in stores_to_search]
    by_id = {s.id: s for s in stores_to_search}
    if app_id:
        app = queries.find_by(call.svc, ids, apk_id=number) if (number := parse_whole(app_id)) is not None else None
    else:
        listed = queries.listed_for_package(call.svc, ids, package[:255]) if ids else []
        app = listed[0] if listed else None
    if app is None:
        raise Failure(problem(errors.V7_NO_APP))
    return {"data": app_card(call, by_id[app.store_id], app, full=True)}


def _signature(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    cleaned = value.replace(":", "").strip().lower()
    return cleaned if re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", cleaned) else None


@v7_endpoint(name="listAppsUpdates", summary=N_("Newer versions of installed apps, signed by the same key"),
             methods=frozenset({"POST"}),
             params=(("apks_data", N_("[{package, vercode, signature}], at most 100")),
                     ("store_names", N_("Stores to look in (default: every public store)"))),
             error_codes=("MARG-207", "IARG-102", "IARG-106", "STORE-1", "STORE-3"),
             example={"apks_data": [{"package": "$package", "vercode": 1, "signature": "$signer"}],
                      "store_names": ["$demo"]},
             contract={"required": ["apks_data"], "body": {
                 "apks_data": {"type": "array", "minItems": 1, "maxItems": MAX_UPDATE_PACKAGES, "items": {
                     "type": "object", "required": ["package", "vercode", "signature"], "properties": {
                         "package": {"type": "string", "minLength": 1, "maxLength": 255},
                         "vercode": {"type": "integer", "minimum": 0, "maximum": 2**31 - 1},
                         "signature": {"type": "string", "pattern": r"^\s*([0-9A-Fa-f]:?){39}[0-9A-Fa-f]\s*$|^\s*([0-9A-Fa-f]:?){63}[0-9A-Fa-f]\s*$",
                                       "description": "SHA-1 or SHA-256 of the signing certificate, hex (colons allowed)"}}}},
                 "store_names": {"type": ["array", "null"], "maxItems": 50, "items": {"type": "string"}}}})
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
    names = call.params.get("store_names")
    if names is not None and (not isinstance(names, list) or not all(isinstance(n, str) for n in names) or len(names) > 50):
        found.append(problem(errors.INVALID_VALUE, name="store_names"))
    if found:
        raise Failure(found)
    if names:
        stores = []
        for name in names:
            store = call.runtime.cache.get(name) if len(name) <= 50 else None
            if store is None:
                raise Failure(problem(errors.V7_NO_STORE, store=name[:60]))
            if store.private:
                raise Failure(problem(errors.V7_PRIVATE))
            stores.append(store)
    else:
        stores = [s for sid in queries.public_store_ids(call.svc) if (s := call.runtime.cache.by_id(sid))]
    by_id = {s.id: s for s in stores}
    best: dict[str, queries.App] = {}
    for app in queries.newest_listed(call.svc, list(by_id), wanted):
        vercode, signature = wanted[app.package]
        signer = app.signer_sha1 if len(signature) == 40 else app.signer_sha256
        if app.version_code > vercode and signer == signature:
            if app.package not in best or app.version_code > best[app.package].version_code:
                best[app.package] = app
    items = [app_card(call, by_id[a.store_id], a) for a in sorted(best.values(), key=lambda a: a.package)]
    return datalist(items, len(items), 0, MAX_UPDATE_PACKAGES)
