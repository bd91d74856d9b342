"""Read web services over stores and apps (PROTOCOL §2 and §4):
listRepositoryChange, getRepositoryInfo, listRepository, getApkInfo and
listSearchApks. Store state comes from the process's index cache."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from apkdepot import errors
from apkdepot.api.ws.dispatch import WsCall
from apkdepot.api.ws.registry import MODE_PARAM, TOKEN_PARAM, WsField, WsParam, webservice
from apkdepot.catalog import app_listing, categories, listing, listing_images, queries
from apkdepot.catalog.models import apk_url, colon_hex
from apkdepot.numbers import parse_whole
from apkdepot.errors import Failure, Problem, problem
from apkdepot.i18n import N_
from apkdepot.index import infoxml, versions
from apkdepot.index.cache import CachedStore

MAX_REPOS = 500
HEX32 = re.compile(r"^[0-9a-f]{32}\Z")
LIST_SEPARATORS = re.compile(r"[,;]")
STATUS = WsField("status", N_("Request result status (OK or FAIL)"))
ERRORS = WsField("errors", N_("Errors log from the request (not existent when status=\"OK\")"))




def visible(call: WsCall, name: str) -> CachedStore | None:
    """A store the caller may see: public ones, and private ones they own
    (suspended ones included: see available)."""
    store = call.runtime.cache.get(name) if 0 < len(name) <= 50 else None
    if store is None or (store.private and (call.developer is None or call.developer.id != store.owner_id)):
        return None
    return store


def available(call: WsCall, name: str) -> tuple[CachedStore | None, Problem | None]:
    """A store the caller may read, or why not: IARG-1 when they cannot see it,
    IARG-4 when an operator suspended it."""
    store = visible(call, name)
    if store is None:
        return None, problem(errors.INVALID_REPO, repo=name[:60])
    if store.suspended:
        return None, problem(errors.STORE_SUSPENDED, repo=store.name)
    return store, None


def int_param(call: WsCall, name: str, default: int, low: int, high: int, found: list[Problem]) -> int:
    raw = call.get(name)
    if raw == "":
        return default
    value = parse_whole(raw, low, high)
    if value is None:
        found.append(problem(errors.INVALID_NUMBER, name=name, min=low, max=high))
        return default
    return value


# --- listRepositoryChange ---------------------------------------------------------

@dataclass(frozen=True)
class ChangeRequest:
    pairs: list[tuple[str, str, CachedStore | None]]
    offset: int
    problems: list[Problem]


def split_list(raw: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATORS.split(raw)]


def parse_change_request(call: WsCall) -> ChangeRequest:
    """Parsed once per request: the validator's result is the handler's."""
    if "change_request" not in call.memo:
        call.memo["change_request"] = _parse_change_request(call)
    return call.memo["change_request"]


def _parse_change_request(call: WsCall) -> ChangeRequest:
    found: list[Problem] = []
    repos = split_list(call.get("repo"))
    hashes = split_list(call.params.get("hash", ""))
    offset = int_param(call, "offset", 0, 0, MAX_REPOS, found)
    if len(repos) > MAX_REPOS or len(hashes) > MAX_REPOS:
        found.append(problem(errors.TOO_MANY_VALUES, name="repo", max=MAX_REPOS))
        return ChangeRequest([], offset, found)
    if len(repos) != len(hashes):
        found.append(problem(errors.REPO_HASH_MISMATCH))
    pairs = []
    for name, md5 in zip(repos, hashes + [""] * (len(repos) - len(hashes))):
        # A hash that is not 32 hex digits (6.x sends the word "null" for a store
        # it never parsed) is an unknown hash: the whole index is news (appscount).
        md5 = md5.lower() if HEX32.match(md5.lower()) else ""
        store, unavailable = available(call, name)
        if unavailable is not None:
            found.append(unavailable)
        pairs.append((name, md5, store))
    return ChangeRequest(pairs, offset, found)


def change_counts(call: WsCall, store: CachedStore, since: int) -> tuple[int, int]:
    """Added and removed since a version, from the store version's ChangeCounter:
    one per store version and process (in a thread; advanced from the previous
    version's when this process holds it, which reads only what moved), then no
    SQL for any hash."""
    cache = call.runtime.cache.deltas

    def load() -> versions.ChangeCounter:
        with call.svc.db.read() as conn:
            for earlier in range(store.version - 1, max(0, store.version - COUNTER_ADVANCE_VERSIONS - 1), -1):
                held = cache.peek(("counter", store.id, earlier))
                if held is not None:
                    advanced = versions.advance_counter(conn, store.id, held, earlier, store.version)
                    if advanced is not None:
                        return advanced
                    break
            return versions.change_counter(conn, store.id, store.version)

    return cache.get_or_defer(("counter", store.id, store.version), load).counts(since)


# How far back a held counter is advanced from rather than a new one built.
COUNTER_ADVANCE_VERSIONS = 16


def change_entry(call: WsCall, name: str, md5: str, store: CachedStore) -> dict[str, Any]:
    if md5 == store.md5:
        return {"repo": name, "hasupdates": "FALSE"}
    since = store.md5s.get(md5)
    if since is None:
        return {"repo": name, "hasupdates": "TRUE", "appscount": store.appscount}
    added, removed = change_counts(call, store, since)
    return {"repo": name, "hasupdates": "TRUE", "added": added, "removed": removed}


def validate_change(call: WsCall) -> list[Problem]:
    return parse_change_request(call).problems


@webservice(
    name="listRepositoryChange",
    public_read=True,
    title=N_("Retrieving if a Repository has Updates for a given Hash"),
    description=N_("Given an hash (or list of hashes), it returns if either a repository (or list of them) was "
                   "changed (has updates) and how many."),
    deprecated_by="/api/7/store/getMeta",
    path_params=("repo", "hash"),
    in_loop=True,
    validator=validate_change,
    params=(
        TOKEN_PARAM,
        WsParam("repo", N_("Repository name or list of names (separated with commas or semicolons)"),
                missing=errors.MISSING_REPO, max_length=MAX_REPOS * 51),
        WsParam("hash", N_("Repository current version hash (info.xml MD5 hash) or list of hashes (separated with "
                           "commas or semicolons, in the order of the repositories)"),
                missing=errors.MISSING_HASH, max_length=MAX_REPOS * 33),
        WsParam("offset", N_("Numerical value to skip a number of entries"), max_length=10),
        MODE_PARAM,
    ),
    response_fields=(
        STATUS, ERRORS,
        WsField("listing", N_("List of retrieved updates")),
        WsField("hasupdates", N_("Returns TRUE if has updates, FALSE if otherwise")),
        WsField("repo", N_("Respective repository name")),
        WsField("added", N_("Number of new applications (only if hasupdates=TRUE and repo version hash has matched)")),
        WsField("removed", N_("Number of removed applications (only if hasupdates=TRUE and repo version hash has matched)")),
        WsField("appscount", N_("Number of total applications available (only if hasupdates=TRUE and repo version hash has NOT matched)")),
    ),
    error_codes=("MARG-200", "IARG-2", "MARG-1", "MARG-113", "IARG-112", "IARG-1", "IARG-4", "IARG-105", "IARG-106"),
    example={"token": "$token", "repo": "$demo,$demo", "hash": "$first_hash,$current_hash"},
    more_examples=((N_("A hash the store never served (or one too old to count from): the answer gives the number "
                       "of apps (appscount) instead of added and removed."),
                    {"token": "$token", "repo": "$demo", "hash": "00000000000000000000000000000000"}),),
)
def list_repository_change(call: WsCall) -> dict[str, Any]:
    request = parse_change_request(call)
    if request.problems:
        raise Failure(request.problems)
    listing = [change_entry(call, name, md5, store) for name, md5, store in request.pairs]
    return {"listing": listing[request.offset:]}


# --- store card and listing -----------------------------------------------------------

def store_of(call: WsCall) -> CachedStore:
    store, unavailable = available(call, call.get("repo"))
    if unavailable is not None:
        raise Failure(unavailable)
    return store


def avatar_url(call: WsCall, store: CachedStore) -> str | None:
    return f"{call.base_url}/repo/{store.name}/avatar" if store.avatar_key else None


@webservice(
    name="getRepositoryInfo",
    public_read=True,
    title=N_("Retrieving a repository's information"),
    description=N_("Returns a store's card: name, avatar, downloads, theme, description and number of applications."),
    path_params=("repo",),
    params=(TOKEN_PARAM, WsParam("repo", N_("Repository name"), missing=errors.MISSING_REPO, max_length=100), MODE_PARAM),
    response_fields=(STATUS, ERRORS, WsField("listing", N_("name, avatar, avatar_hd, downloads, theme, description, view, items, appscount (all text)"))),
    error_codes=("MARG-200", "IARG-2", "MARG-1", "IARG-1", "IARG-4"),
    example={"token": "$token", "repo": "$demo"},
)
def get_repository_info(call: WsCall) -> dict[str, Any]:
    store = store_of(call)
    avatar = avatar_url(call, store) or ""
    # Every value is text and every key is there: the 5.x app reads this listing
    # into a model of String fields (RepositoryInfoListing) and stores `items`
    # and `avatar` as they come (AddStoreDialog).
    return {"listing": {
        "name": store.name, "avatar": avatar, "avatar_hd": avatar,
        "downloads": str(queries.store_downloads(call.svc, store.id)), "theme": store.theme,
        "description": store.description, "view": "list", "items": str(store.appscount),
        "appscount": str(store.appscount),
    }}


def index_entry(app: queries.App) -> dict[str, Any]:
    """The fields of an info.xml <package>, as data."""
    return {
        "name": app.label, "apkid": app.package, "ver": app.version_name, "vercode": app.version_code,
        "path": app.file_name, "md5h": app.md5, "sz": infoxml.size_kb(app.size), "icon": app.icon_name,
        "date": f"{app.added_at:%Y-%m-%d}", "dwn": app.downloads, "catg": "Applications", "catg2": app.category,
        "age": "All", "minSdk": app.min_sdk, "minScreen": "small", "signature": app.signer_sha1,
        "cpu": ",".join(app.abis) or None,
    }


@webservice(
    name="listRepository",
    public_read=True,
    title=N_("Listing a repository's applications"),
    description=N_("Returns the applications a store lists (its current index), with the fields of info.xml."),
    path_params=("repo",),
    params=(TOKEN_PARAM, WsParam("repo", N_("Repository name"), missing=errors.MISSING_REPO, max_length=100),
            WsParam("limit", N_("Maximum number of entries (1 to 500, default 100)"), max_length=10),
            WsParam("offset", N_("Numerical value to skip a number of entries"), max_length=10), MODE_PARAM),
    response_fields=(STATUS, ERRORS, WsField("listing", N_("The applications, as in info.xml")),
                     WsField("total", N_("Number of applications in the store"))),
    error_codes=("MARG-200", "IARG-2", "MARG-1", "IARG-1", "IARG-4", "IARG-105"),
    example={"token": "$token", "repo": "$demo", "limit": "2"},
)
def list_repository(call: WsCall) -> dict[str, Any]:
    found: list[Problem] = []
    limit = int_param(call, "limit", 100, 1, 500, found)
    offset = int_param(call, "offset", 0, 0, 10**9, found)
    if found:
        raise Failure(found)
    store = store_of(call)
    apps, total = listing.listed_page(call.svc, call.runtime.listings if call.runtime else None, store.id, store.version, "package", limit, offset)
    return {"total": total, "listing": [index_entry(a) for a in apps]}


# --- listRepositoryLocalApkNames -------------------------------------------------------

@webservice(
    name="listRepositoryLocalApkNames",
    public_read=True,
    title=N_("Listing a repository's app names in one language"),
    description=N_("Every listed app's package and its name in the language asked for (lang_CC, as pt_BR; the "
                   "language alone, then the app's default name, when the APK has no such translation). The "
                   "5.x and 6.x apps ask for it after every info.xml parse: GET "
                   "listRepositoryLocalApkNames/<repo>/<lang_CC>/xml."),
    path_params=("repo", "lang"),
    generations=frozenset({1, 2, 3}),
    params=(TOKEN_PARAM, WsParam("repo", N_("Repository name"), missing=errors.MISSING_REPO, max_length=100),
            WsParam("lang", N_("Language and country, as pt_BR or en_US"), max_length=20), MODE_PARAM),
    response_fields=(STATUS, ERRORS, WsField("listing", N_("One entry per app: apkid (package) and name"))),
    error_codes=("MARG-200", "IARG-2", "MARG-1", "IARG-1", "IARG-4"),
    example={"token": "$token", "repo": "$demo", "lang": "pt_BR"},
)
def list_repository_local_apk_names(call: WsCall) -> dict[str, Any]:
    store = store_of(call)
    locale = call.get("lang")
    apps, _ = queries.listed_apps(call.svc, store.id, queries.EVERY_LISTED_APP, 0)
    return {"listing": [{"apkid": app.package, "name": app.label_in(locale)} for app in apps]}


# --- getApkInfo ---------------------------------------------------------------------

def apk_card(call: WsCall, store: CachedStore, app: queries.App) -> dict[str, Any]:
    said = app_listing.shown(app, queries.served_listing(call.svc, store.id, app.package), call.get("lang") or call.locale)
    shot_url = lambda image: listing_images.repo_url(call.base_url, store.name, app.package, image.name)  # noqa: E731
    return {
        "apk": {"id": app.id, "repo": store.name, "package": app.package, "vername": app.version_name,
                "vercode": app.version_code, "path": apk_url(call.base_url, store.name, app.file_name),
                "icon": apk_url(call.base_url, store.name, app.icon_name, "icons") if app.icon_name else None,
                "minSdk": app.min_sdk, "size": app.size, "md5sum": app.md5, "permissions": app.permissions},
        # meta.developer is an object and downloads a number in the apps' models (GetApkInfoJson.Meta).
        "meta": {"title": said.name, "description": said.description, "news": said.news,
                 "developer": {"info": {"name": store.name, "email": said.email, "website": said.website,
                                        "privacy_policy": said.privacy_url}},
                 "downloads": app.downloads,
                 # The Uploader preselects meta.categories.standard[1].id (unguarded: always two entries).
                 "categories": {"standard": categories.path_of(said.category), "custom": []}},
        # The apps read media.sshots_hd ({path, orient}) when present, else media.sshots (addresses),
        # and make a thumbnail's address by putting thumbs/mobile/ before the last part (served too).
        "media": {"sshots": [shot_url(i) for i in said.screenshots],
                  "sshots_hd": [{"path": shot_url(i), "orient": "landscape" if i.width > i.height else "portrait"}
                                for i in said.screenshots],
                  "videos": []},
        # The 6.x app compares this with its own "5A:9D:…" form (AptoideUtils.computeSHA1sumFromBytes).
        "signature": {"SHA1": colon_hex(app.signer_sha1)},
    }


@webservice(
    name="getApkInfo",
    public_read=True,
    title=N_("Retrieving an APK's information"),
    description=N_("Returns one APK's metadata. Generation 2: GET getApkInfo/<repo>/<apkid>/<vercode>/<format> "
                   "(without the version code: the listed version). Generation 3: identif=package:<id>, "
                   "md5sum:<md5> or id:<n>, with repo."),
    path_params=("repo", "apkid", "vercode"),
    params=(TOKEN_PARAM, WsParam("repo", N_("Repository name (optional with identif: every public store)"),
                                 max_length=100),
            WsParam("apkid", N_("Package name (generation 2)"), max_length=255),
            WsParam("vercode", N_("Version code (generation 2; optional)"), max_length=12),
            WsParam("identif", N_("package:<id>, md5sum:<md5> or id:<n> (generation 3)"), max_length=300),
            MODE_PARAM),
    response_fields=(STATUS, ERRORS,
                     WsField("apk", N_("id, repo, package, vername, vercode, path, icon, minSdk, size, md5sum, permissions")),
                     WsField("meta", N_("title, description, developer, downloads, categories")),
                     WsField("signature", N_("SHA1 of the signing certificate"))),
    error_codes=("MARG-200", "IARG-2", "MARG-1", "MARG-7", "IARG-3", "IARG-1", "IARG-4", "APK-1"),
    example={"token": "$token", "repo": "$demo", "apkid": "$package", "vercode": "$vercode"},
)
def get_apk_info(call: WsCall) -> dict[str, Any]:
    identif = call.get("identif")
    if not call.get("repo") and not identif:
        raise Failure(problem(errors.MISSING_REPO))
    app = None
    if identif:
        # Without a repo (as the 6.x app asks by md5sum or package), every store the caller may see.
        store_ids = ([store_of(call).id] if call.get("repo") else
                     queries.public_store_ids(call.svc, call.developer.id if call.developer else None))
        kind, _, value = identif.partition(":")
        value = value.strip()
        if kind == "package" and value:
            listed = queries.listed_for_package(call.svc, store_ids, value[:255]) if store_ids else []
            app = listed[0] if listed else None
        elif kind == "md5sum" and HEX32.match(value.lower()):
            app = queries.find_by(call.svc, store_ids, md5=value.lower()) if store_ids else None
        elif kind == "id" and (apk_id := parse_whole(value)) is not None:
            app = queries.find_by(call.svc, store_ids, apk_id=apk_id) if store_ids else None
        else:
            raise Failure(problem(errors.INVALID_IDENTIFIER))
        if app is None:
            raise Failure(problem(errors.NO_SUCH_APK))
        store = call.runtime.cache.by_id(app.store_id)
        if store is None:
            raise Failure(problem(errors.NO_SUCH_APK))
        return apk_card(call, store, app)
    store = store_of(call)
    package = call.get("apkid")
    if not package:
        raise Failure(problem(errors.MISSING_PACKAGE))
    vercode = call.get("vercode")
    version_code = parse_whole(vercode, 1, 2**31 - 1) if vercode else None
    if vercode and version_code is None:
        raise Failure(problem(errors.INVALID_NUMBER, name="vercode", min=1, max=2**31 - 1))
    app = queries.find_version(call.svc, store.id, package, version_code)
    if app is None:
        raise Failure(problem(errors.NO_SUCH_APK))
    return apk_card(call, store, app)


# --- listSearchApks -------------------------------------------------------------------

@webservice(
    name="listSearchApks",
    public_read=True,
    title=N_("Searching applications"),
    description=N_("Searches application names and package names in one store, or in every public store when no "
                   "repo is given."),
    path_params=("search",),
    params=(TOKEN_PARAM, WsParam("search", N_("Text to search for"), missing=errors.MISSING_SEARCH, max_length=100),
            WsParam("repo", N_("Repository name or names, separated with commas (optional)"), max_length=MAX_REPOS * 51),
            WsParam("limit", N_("Maximum number of entries (1 to 100, default 20)"), max_length=10),
            WsParam("offset", N_("Numerical value to skip a number of entries"), max_length=10),
            WsParam("u_limit", N_("Maximum number of matches from other public stores (0 to 100, default 0)"),
                    max_length=10),
            WsParam("options", N_("The same arguments as (key=value;key=value;), as the Aptoide apps send them"),
                    max_length=MAX_REPOS * 60),
            MODE_PARAM),
    response_fields=(STATUS, ERRORS,
                     WsField("results", N_("apks (matches in the stores asked for), u_apks (in other public "
                                           "stores), didyoumean; each apk: name, package, repo, md5sum, vercode, "
                                           "vername, icon, signature, timestamp, age, stars")),
                     WsField("listing", N_("Matching applications: repo plus the fields of info.xml")),
                     WsField("total", N_("Number of matches"))),
    error_codes=("MARG-200", "IARG-2", "MARG-203", "IARG-1", "IARG-4", "IARG-105"),
    example={"token": "$token", "search": "beta", "limit": "5"},
)
def list_search_apks(call: WsCall) -> dict[str, Any]:
    found: list[Problem] = []
    limit = int_param(call, "limit", 20, 1, 100, found)
    offset = int_param(call, "offset", 0, 0, 10**6, found)
    others_limit = int_param(call, "u_limit", 0, 0, 100, found)
    if found:
        raise Failure(found)
    searchable = queries.public_store_ids(call.svc, call.developer.id if call.developer else None)
    if call.get("repo"):
        store_ids = []
        for name in [n for n in split_list(call.get("repo")) if n][:MAX_REPOS]:
            store, unavailable = available(call, name)
            if unavailable is not None:
                raise Failure(unavailable)
            store_ids.append(store.id)
    else:
        store_ids, others_limit = searchable, 0
    apps, total = queries.search(call.svc, call.get("search"), store_ids, limit, offset)
    others = [sid for sid in searchable if sid not in set(store_ids)]
    other_apps = queries.search(call.svc, call.get("search"), others, others_limit, 0)[0] if others_limit and others else []
    names = {sid: s.name for sid in {a.store_id for a in apps + other_apps} if (s := call.runtime.cache.by_id(sid))}
    return {"results": {"apks": [search_result(call, names.get(a.store_id, ""), a) for a in apps],
                        "u_apks": [search_result(call, names.get(a.store_id, ""), a) for a in other_apps],
                        "didyoumean": []},
            "total": total, "listing": [{"repo": names.get(a.store_id), **index_entry(a)} for a in apps]}


def search_result(call: WsCall, store: str, app: queries.App) -> dict[str, Any]:
    """One match as the 6.x app's SearchJson.Results.Apks reads it."""
    return {"name": app.label, "package": app.package, "repo": store, "md5sum": app.md5,
            "vercode": app.version_code, "vername": app.version_name,
            "icon": apk_url(call.base_url, store, app.icon_name, "icons") if app.icon_name else "",
            "signature": colon_hex(app.signer_sha1), "timestamp": f"{app.added_at:%Y-%m-%d %H:%M:%S}",
            "age": "All", "stars": 0, "malrank": 0}
