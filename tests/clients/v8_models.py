"""What the Aptoide v8 app (Aptoide/aptoide-client-v8, the v7 API's client)
parses, restated as facts: the declared Java type of every field of the model
classes in dataprovider/src/main/java/cm/aptoide/pt/dataprovider/model/v7/,
read with Jackson as WebService.getDefaultConverter configures it
(PropertyNamingStrategy.SNAKE_CASE, FAIL_ON_UNKNOWN_PROPERTIES off), and the
paths the app dereferences without a null check.

``conforms`` checks an answer the way that Jackson mapper would read it, but
strictly: a field the model declares as a number must be a JSON number (not a
string that Jackson would coerce), a String must be a string, a List a list,
an object an object; null is accepted only where the model's type can hold it
(primitives cannot). Fields the model does not declare are ignored, as the
mapper ignores them."""

from __future__ import annotations

from typing import Any

# Java primitive and boxed types, as JSON kinds.
INT = "int"          # int / long: a JSON integer, never null
BOXED_INT = "Integer"  # Integer / Long: a JSON integer or null
FLOAT = "float"      # float / double: a JSON number, never null
BOOL = "boolean"     # boolean: true/false, never null
STRING = "String"


def list_of(item: Any) -> tuple[str, Any]:
    return ("List", item)


def enum(*names: str) -> tuple[str, tuple[str, ...]]:
    return ("enum", names)


# BaseV7Response.Info / Time / Error
INFO = {"status": enum("OK", "QUEUED", "FAIL", "Processing"), "time": {"seconds": FLOAT, "human": STRING}}
ERROR = {"code": STRING, "description": STRING}
BASE_RESPONSE = {"info": INFO, "errors": list_of(ERROR)}

# Malware (model/v7/Malware.java): rank is an enum.
MALWARE = {"rank": enum("TRUSTED", "WARNING", "UNKNOWN", "CRITICAL"), "added": STRING, "modified": STRING}
# listapp/File.java
FILE = {"vername": STRING, "vercode": INT, "md5sum": STRING, "path": STRING, "path_alt": STRING,
        "filesize": INT, "malware": MALWARE}
RATING = {"avg": FLOAT, "total": INT, "votes": list_of({"value": INT, "count": INT})}
# store/Store.java
STORE = {"id": INT, "name": STRING, "avatar": STRING, "appearance": {"theme": STRING, "description": STRING},
         "stats": {"apps": INT, "subscribers": INT, "downloads": INT}, "status": STRING, "access": STRING,
         "urls": {"mobile": STRING}}
APPCOINS = {"advertising": BOOL, "billing": BOOL, "flags": list_of(STRING)}
# listapp/App.java (package is @JsonProperty("package"))
LIST_APP = {"id": INT, "name": STRING, "package": STRING, "size": INT, "icon": STRING, "graphic": STRING,
            "uptype": STRING, "store": STORE, "file": FILE,
            "stats": {"apps": INT, "subscribers": INT, "downloads": INT, "pdownloads": INT, "rating": RATING},
            "appcoins": APPCOINS, "added": STRING, "modified": STRING, "updated": STRING}
# GetAppMeta.App and GetAppMetaFile
META_FILE = {**FILE, "signature": {"sha1": STRING, "owner": STRING},
             "hardware": {"sdk": INT, "screen": STRING, "gles": INT, "cpus": list_of(STRING),
                          "densities": list_of(list_of(INT))},
             "flags": {"review": STRING, "votes": list_of({"type": STRING, "count": INT})},
             "used_features": list_of(STRING), "used_permissions": list_of(STRING), "tags": list_of(STRING)}
META_APP = {"id": INT, "name": STRING, "package": STRING, "size": INT, "icon": STRING, "graphic": STRING,
            "added": STRING, "modified": STRING,
            "age": {"name": STRING, "title": STRING, "pegi": STRING, "rating": INT},
            "developer": {"name": STRING, "website": STRING, "email": STRING, "privacy": STRING},
            "store": STORE, "file": META_FILE,
            "media": {"keywords": list_of(STRING), "description": STRING, "news": STRING,
                      "screenshots": list_of({"url": STRING, "height": INT, "width": INT}),
                      "videos": list_of({"type": STRING, "url": STRING, "thumbnail": STRING})},
            "urls": {"w": STRING, "m": STRING},
            "stats": {"rating": RATING, "prating": RATING, "downloads": INT, "pdownloads": INT},
            "appcoins": APPCOINS}
# DataList.java: next is a primitive int (null would be read as 0 only by a lenient mapper).
DATALIST = {"total": INT, "count": INT, "offset": INT, "limit": BOXED_INT, "next": INT, "hidden": INT,
            "loaded": BOOL, "list": list_of(LIST_APP)}

# The response classes.
LIST_APPS = {**BASE_RESPONSE, "datalist": DATALIST}                       # ListApps, ListSearchApps
LIST_APPS_UPDATES = {**BASE_RESPONSE, "list": list_of(LIST_APP)}        # listapp/ListAppsUpdates
GET_APP = {**BASE_RESPONSE, "nodes": {                                  # GetApp.Nodes
    "meta": {**BASE_RESPONSE, "data": META_APP},                        # GetAppMeta
    "versions": {**BASE_RESPONSE, "list": list_of(LIST_APP)}}}          # ListAppVersions
GET_STORE_META = {**BASE_RESPONSE, "data": STORE}                       # GetStoreMeta

# Paths the app reads without a null check (a missing one is a crash, not a blank).
# UpdateMapper.mapAppUpdate, for every item of listAppsUpdates' list:
UPDATE_DEREFERENCED = ("file", "file.malware", "file.malware.rank", "store", "store.name")
# AppService.mapApp, on getApp's nodes.meta.data (and nodes.versions.list when it is not empty):
APP_VIEW_DEREFERENCED = ("file", "file.flags", "file.malware", "file.malware.rank", "file.signature",
                         "file.tags", "developer", "stats", "stats.rating", "stats.rating.votes", "stats.prating",
                         "stats.prating.votes", "media", "urls", "age", "appcoins", "appcoins.flags")


def conforms(value: Any, model: Any, path: str = "$") -> list[str]:
    """Every place where ``value`` would not be read as ``model`` declares."""
    if isinstance(model, dict):
        if value is None:
            return []
        if not isinstance(value, dict):
            return [f"{path}: an object was expected, got {type(value).__name__}"]
        found: list[str] = []
        for name, field in model.items():
            if name in value:
                found += conforms(value[name], field, f"{path}.{name}")
        return found
    if isinstance(model, tuple) and model[0] == "List":
        if value is None:
            return []
        if not isinstance(value, list):
            return [f"{path}: a list was expected"]
        return [problem for i, item in enumerate(value) for problem in conforms(item, model[1], f"{path}[{i}]")]
    if isinstance(model, tuple) and model[0] == "enum":
        return [] if value is None or value in model[1] else [f"{path}: {value!r} is not one of {model[1]}"]
    if model == INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif model == BOXED_INT:
        ok = value is None or (isinstance(value, int) and not isinstance(value, bool))
    elif model == FLOAT:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    elif model == BOOL:
        ok = isinstance(value, bool)
    elif model == STRING:
        ok = value is None or isinstance(value, str)
    else:  # pragma: no cover - a typo in the facts above
        raise AssertionError(f"unknown model type {model!r}")
    return [] if ok else [f"{path}: {value!r} is not a {model}"]


def missing(value: dict[str, Any], paths: tuple[str, ...]) -> list[str]:
    """The dereferenced paths that are absent or null."""
    absent = []
    for path in paths:
        node: Any = value
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            absent.append(path)
    return absent
