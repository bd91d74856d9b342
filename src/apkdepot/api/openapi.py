"""The OpenAPI schema lists every web service (per generation) and every v7
endpoint from the same registries the dispatchers route by, in place of the
catch-all routes that serve them."""

from __future__ import annotations

from typing import Any

from litestar.openapi.spec import (
    OpenAPIMediaType as MediaType, OpenAPIResponse, OpenAPIType, Operation, Parameter, PathItem, RequestBody, Schema,
)

from apkdepot.api.v7.dispatch import V7_REGISTRY
from apkdepot.api.ws.registry import REGISTRY

STRING = Schema(type=OpenAPIType.STRING)


def _ws_operation(endpoint, generation: int, method: str) -> Operation:
    envelope = ("OK or FAIL envelope (HTTP 200 for both). Errors: " + ", ".join(endpoint.error_codes)
                + (" (plain messages in generation 1)" if generation == 1 else " ({code, msg} objects)"))
    params = [Parameter(name=p.name, param_in="query", required=False, description=p.description, schema=STRING)
              for p in endpoint.params if p.name != "token"]
    form = Schema(type=OpenAPIType.OBJECT, properties={p.name: STRING for p in endpoint.params},
                  required=[p.name for p in endpoint.params if p.missing] or None)
    return Operation(
        tags=["webservices"], summary=endpoint.title,
        description=endpoint.description + (f" Deprecated: see {endpoint.deprecated_by}." if endpoint.deprecated_by else ""),
        operation_id=f"ws{generation}{endpoint.name[0].upper()}{endpoint.name[1:]}{method.title()}",
        deprecated=bool(endpoint.deprecated_by),
        parameters=params if method == "GET" else None,
        request_body=RequestBody(content={
            "application/x-www-form-urlencoded": MediaType(schema=form),
            "multipart/form-data": MediaType(schema=form),
            "application/json": MediaType(schema=form)}) if method == "POST" else None,
        responses={"200": OpenAPIResponse(description=envelope, content={
            "application/json": MediaType(schema=Schema(type=OpenAPIType.OBJECT)),
            "application/xml": MediaType(schema=Schema(type=OpenAPIType.OBJECT))})},
    )


def _v7_operation(endpoint, method: str) -> Operation:
    params = [Parameter(name=name, param_in="query", required=False, description=text, schema=STRING)
              for name, text in endpoint.params]
    return Operation(
        tags=["v7"], summary=endpoint.summary, operation_id=f"v7{endpoint.name.replace('/', '_')}{method.title()}",
        parameters=params if method == "GET" else None,
        request_body=RequestBody(content={"application/json": MediaType(schema=Schema(
            type=OpenAPIType.OBJECT, properties={name: Schema() for name, _ in endpoint.params}))}) if method == "POST" else None,
        responses={"200": OpenAPIResponse(description="{info, data} or {info, datalist}; errors: "
                                                      + ", ".join(endpoint.error_codes) + " in {info, errors}",
                                          content={"application/json": MediaType(schema=Schema(type=OpenAPIType.OBJECT))})},
    )


def document_generated_endpoints(app: Any) -> None:
    paths = app.openapi_schema.paths
    for catch_all in ("/webservices/{rest}", "/api/7/{rest}"):
        paths.pop(catch_all, None)
    for endpoint in REGISTRY.values():
        for generation in sorted(endpoint.generations):
            path = f"/webservices/{'' if generation == 1 else f'{generation}/'}{endpoint.name}"
            paths[path] = PathItem(**{m.lower(): _ws_operation(endpoint, generation, m) for m in sorted(endpoint.methods)})
    for endpoint in V7_REGISTRY.values():
        paths[f"/api/7/{endpoint.name}"] = PathItem(**{m.lower(): _v7_operation(endpoint, m) for m in sorted(endpoint.methods)})
