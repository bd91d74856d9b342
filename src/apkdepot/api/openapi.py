"""The OpenAPI document: Litestar's description of the routes, with

* every web service (per generation) and every v7 endpoint from the same
  registries the dispatchers route by, in place of the catch-all routes;
* the request bodies and every status each endpoint can answer, from
  api/contract.py.

The finished document is built once per process (``build_document``); the
``/schema/openapi.json`` route serves it and OPTIONS answers ``Allow`` from it,
so what is advertised and what is documented cannot differ."""

from __future__ import annotations

import copy
import re
from typing import Any

import msgspec
from litestar import Request
from litestar.openapi.plugins import JsonRenderPlugin

from apkdepot.api import contract
from apkdepot.api.v7.dispatch import V7_REGISTRY
from apkdepot.api.ws.registry import REGISTRY

STRING = {"type": "string"}
JSON = "application/json"
V7_FAIL = {"type": "object", "required": ["info", "errors"], "properties": {
    "info": {"type": "object", "properties": {"status": {"const": "FAIL"}}},
    "errors": {"type": "array", "items": {"type": "object", "required": ["code", "description"],
                                          "properties": {"code": {"type": "string"}, "description": {"type": "string"}}}}}}
V7_OK = {"type": "object", "required": ["info"], "properties": {"info": {
    "type": "object", "properties": {"status": {"const": "OK"}}}}}
WS_ENVELOPE = {"type": "object", "required": ["status"], "properties": {"status": {"enum": ["OK", "FAIL"]}}}
# A web-service JSON body: an object of scalar values (or lists of them), as old clients send forms.
WS_JSON_VALUE = {"anyOf": [{"type": "string"}, {"type": "number"}, {"type": "boolean"}, {"type": "null"},
                           {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "number"}]}}]}


def _response(description: str, schema: dict[str, Any] | None = None, media: str = JSON) -> dict[str, Any]:
    answer: dict[str, Any] = {"description": description}
    if schema is not None:
        answer["content"] = {media: {"schema": schema}}
    return answer


def _ws_operation(endpoint, generation: int, method: str) -> dict[str, Any]:
    shape = " (plain messages)" if generation == 1 else " ({code, msg} objects)"
    names = [p.name for p in endpoint.params]
    operation: dict[str, Any] = {
        "tags": ["webservices"], "summary": endpoint.title,
        "description": (endpoint.description + (f" Deprecated: see {endpoint.deprecated_by}." if endpoint.deprecated_by else "")
                        + " Every argument is read as text; missing or invalid ones are reported in the FAIL "
                          "envelope with HTTP 200, as the Aptoide clients expect. Errors: "
                        + ", ".join(endpoint.error_codes) + shape + "."),
        "operationId": f"ws{generation}{endpoint.name[0].upper()}{endpoint.name[1:]}{method.title()}",
        "deprecated": bool(endpoint.deprecated_by),
        "responses": {
            "200": {"description": "OK or FAIL envelope (JSON, or XML with mode=xml or a /xml path)",
                    "content": {JSON: {"schema": WS_ENVELOPE}, "application/xml": {"schema": STRING}}},
            "413": _response("The body is larger than allowed (WS-3)", WS_ENVELOPE),
            "429": _response("Rate limited (RATE-1); Retry-After says when to come back", WS_ENVELOPE),
        },
    }
    if endpoint.requires_token:
        operation["responses"]["401"] = _response(
            "An unknown or expired OAuth access token (AUTH-8, AUTH-9), with error and error_description", WS_ENVELOPE)
    if endpoint.oauth:
        operation["responses"]["400"] = _response(
            "Log-in refused (AUTH-5 to AUTH-7, AUTH-2), with error and error_description as OAuth 2 says", WS_ENVELOPE)
    if endpoint.name == "uploadAppToRepo":
        operation["responses"]["503"] = _response("The inspection queue is full (APK-16); Retry-After", WS_ENVELOPE)
    if method == "GET":
        operation["parameters"] = [{"name": n, "in": "query", "required": False, "schema": STRING,
                                    "description": p.description} for n, p in zip(names, endpoint.params)]
    else:
        # Form fields are text whatever they spell (a repeated one: the last counts).
        form = {"type": "object", "properties": {n: {"description": p.description} for n, p in zip(names, endpoint.params)},
                "additionalProperties": True}
        if endpoint.accepts_files:
            form["properties"]["apk"] = {"type": "string", "format": "binary"}
        operation["requestBody"] = {"content": {
            "application/x-www-form-urlencoded": {"schema": form},
            "multipart/form-data": {"schema": form},
            JSON: {"schema": {"type": "object", "properties": {n: WS_JSON_VALUE for n in names},
                              "additionalProperties": WS_JSON_VALUE}}}}
        operation["responses"].setdefault("400", _response(
            "The body cannot be read into arguments: malformed JSON, not UTF-8, not an object, or a value that is "
            "not text, a number, a boolean or a list of them (IARG-101, IARG-102, IARG-103)", WS_ENVELOPE))
    return operation


def _v7_operations(endpoint) -> dict[str, dict[str, Any]]:
    """{path: {method: operation}}. The first "subject" (what is asked for) is a
    required query argument of the plain path; every other one has its own
    path in the path-parameter style (``…/store_id={store_id}``). Each path takes
    GET (arguments in the query) and POST (arguments in a JSON body)."""
    spec = endpoint.contract
    failures = {"400": _response("Missing or invalid arguments (MARG-…, IARG-…), or a body that is not a JSON object",
                                 V7_FAIL),
                "404": _response("No such store or app (STORE-1, APP-1)", V7_FAIL),
                **({"401": _response("A private store without (or with wrong) store_user and store_pass_sha1 "
                                     "(STORE-3, STORE-4)", V7_FAIL)} if spec.get("private_store") else {}),
                "413": _response("The body is larger than allowed", V7_FAIL)}
    ok = {"200": _response("{info, data} or {info, datalist}", V7_OK)}
    subjects = list(spec.get("subjects", {}).items())
    optional = spec.get("optional", {})
    base = f"/api/7/{endpoint.name}"
    operation_id = "v7" + endpoint.name.replace("/", "_")

    def operations(path_subject: tuple[str, Any] | None, query_subject: tuple[str, Any] | None) -> dict[str, Any]:
        found: dict[str, Any] = {}
        path_params = ([{"name": path_subject[0], "in": "path", "required": True, "schema": path_subject[1]}]
                       if path_subject else [])
        suffix = f"By_{path_subject[0]}" if path_subject else ""
        if "GET" in endpoint.methods:
            query = [{"name": n, "in": "query", "required": False, "schema": s} for n, s in optional.items()]
            if query_subject:
                query.insert(0, {"name": query_subject[0], "in": "query", "required": True, "schema": query_subject[1]})
            found["get"] = {"tags": ["v7"], "summary": endpoint.summary, "operationId": f"{operation_id}Get{suffix}",
                            "parameters": path_params + query, "responses": {**ok, **failures}}
        if "POST" in endpoint.methods:
            body: dict[str, Any] = {"type": "object", "properties": {**optional, **spec.get("body", {})}}
            required = list(spec.get("required", ()))
            if query_subject:
                body["properties"][query_subject[0]] = query_subject[1]
                required.append(query_subject[0])
            if required:
                body["required"] = required
            found["post"] = {"tags": ["v7"], "summary": endpoint.summary, "operationId": f"{operation_id}Post{suffix}",
                             "parameters": path_params or None,
                             "requestBody": {"required": bool(required), "content": {JSON: {"schema": body}}},
                             "responses": {**ok, **failures}}
            if not path_params:
                del found["post"]["parameters"]
        return found

    paths = {base: operations(None, subjects[0] if subjects else None)}
    for subject in subjects[1:]:
        paths[f"{base}/{subject[0]}={{{subject[0]}}}"] = operations(subject, None)
    return paths


def _capped(schema: Any, limit: int) -> Any:
    """``schema`` with ``maxLength`` on every text value that has none: every
    JSON body refuses longer values (IARG-104, APKDEPOT_MAX_FIELD_LENGTH)."""
    if isinstance(schema, list):
        return [_capped(s, limit) for s in schema]
    if not isinstance(schema, dict):
        return schema
    capped = {k: _capped(v, limit) for k, v in schema.items()}
    types = capped.get("type")
    if (types == "string" or (isinstance(types, list) and "string" in types)) and "maxLength" not in capped \
            and capped.get("format") not in ("binary", "apkdepot-image", "apkdepot-apk", "apkdepot-screenshot"):
        capped["maxLength"] = limit
    return capped


def _apply_contract(paths: dict[str, Any], max_field_length: int) -> None:
    for (method, path), (bodies, statuses) in contract.API.items():
        operation = paths[path][method.lower()]
        if bodies:
            operation["requestBody"] = {"required": (method, path) not in contract.OPTIONAL_BODY, "content": {
                media: {"schema": _capped(schema, max_field_length) if media == JSON else schema}
                for media, schema in bodies.items()}}
        responses = operation.setdefault("responses", {})
        for code, why in statuses.items():
            responses[str(code)] = _response(why, contract.FAIL_ENVELOPE)
        for code, why in contract.ALSO_SUCCEEDS.get((method, path), {}).items():
            responses[str(code)] = _response(why, contract.OK_ENVELOPE)
        for ok in [c for c in responses if c.startswith("2")]:
            responses[ok].setdefault("content", {JSON: {"schema": contract.OK_ENVELOPE}})
        if (method, path) in contract.CSV_EXPORTS:
            responses["200"]["content"]["text/csv"] = {"schema": STRING}
    for (method, path), parameters in contract.QUERY_PARAMETERS.items():
        for verb in ([method.lower(), "head"] if "head" in paths[path] else [method.lower()]):
            operation = paths[path][verb]
            named = {p["name"] for p in parameters}
            operation["parameters"] = [p for p in operation.get("parameters", []) if p.get("name") not in named] \
                + parameters
    for (method, path), statuses in contract.FILES.items():
        media = contract.FILE_MEDIA.get(path)
        for verb in ([method.lower(), "head"] if "head" in paths[path] else [method.lower()]):
            responses = paths[path][verb].setdefault("responses", {})
            for code, why in statuses.items():
                responses[str(code)] = {"description": why}
                if code in (200, 206) and media:
                    responses[str(code)]["content"] = {m: {"schema": {"type": "string", "format": "binary"}} for m in media}
            if media and "200" in responses:
                responses["200"]["content"] = {m: {"schema": {"type": "string", "format": "binary"}} for m in media}
            error_media = contract.ERROR_MEDIA.get(path, "application/xml")
            if "301" in responses:
                responses["301"]["headers"] = {"Location": {"description": "The same address under the store's new "
                                                                          "name (a path)", "schema": STRING}}
            for code in [c for c in responses if not c.startswith(("2", "3"))]:
                responses[code].setdefault("content", {error_media: {"schema": STRING if "xml" in error_media
                                                                     or "text" in error_media else {"type": "object"}}})
            for code, schema in contract.RESPONSE_SCHEMAS.get((method, path), {}).items():
                responses.setdefault(str(code), {"description": statuses.get(code, "OK")})
                responses[str(code)]["content"] = {"application/json": {"schema": schema}}


def build_document(litestar_document: dict[str, Any], max_field_length: int) -> dict[str, Any]:
    document = copy.deepcopy(litestar_document)
    paths = document["paths"]
    for catch_all in ("/webservices/{rest}", "/api/7/{rest}"):
        paths.pop(catch_all, None)
    _apply_contract(paths, max_field_length)
    for endpoint in REGISTRY.values():
        for generation in sorted(endpoint.generations):
            path = f"/webservices/{'' if generation == 1 else f'{generation}/'}{endpoint.name}"
            paths[path] = {m.lower(): _ws_operation(endpoint, generation, m) for m in sorted(endpoint.methods)}
    for endpoint in V7_REGISTRY.values():
        for path, operations in _v7_operations(endpoint).items():
            paths.setdefault(path, {}).update(operations)
    document["openapi"] = "3.1.0"
    return document


def allowed_methods(document: dict[str, Any]) -> list[tuple[re.Pattern[str], str]]:
    """(path pattern, Allow header value) for every documented path."""
    found = []
    for path, item in document["paths"].items():
        methods = sorted({m.upper() for m in item if m in ("get", "head", "post", "put", "patch", "delete")} | {"OPTIONS"})
        pattern = re.escape(path)
        pattern = re.sub(r"\\\{rest\\\}", r".+", pattern)
        pattern = re.sub(r"\\\{[A-Za-z_]+\\\}", r"[^/]+", pattern)
        found.append((re.compile(pattern + r"\Z"), ", ".join(methods)))
    # Most specific first: fixed paths before templated ones.
    found.sort(key=lambda entry: (entry[0].pattern.count("[^/]+") + 10 * entry[0].pattern.count(".+"), -len(entry[0].pattern)))
    return found


class DocumentPlugin(JsonRenderPlugin):
    """Serves the finished document (see build_document) instead of Litestar's own."""

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        document = getattr(request.app.state, "openapi_document", None)
        return msgspec.json.encode(document if document is not None else openapi_schema)


class OptionsFromDocument:
    """Answers OPTIONS with exactly the documented methods of the path."""

    def __init__(self, app: Any, document: dict[str, Any]) -> None:
        self.app = app
        self.allow = allowed_methods(document)

    def __getattr__(self, name: str) -> Any:
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "OPTIONS":
            for pattern, methods in self.allow:
                if pattern.match(scope["path"]):
                    await send({"type": "http.response.start", "status": 204,
                                "headers": [(b"allow", methods.encode()), (b"content-length", b"0")]})
                    await send({"type": "http.response.body", "body": b""})
                    return
        await self.app(scope, receive, send)
