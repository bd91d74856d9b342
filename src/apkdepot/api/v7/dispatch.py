"""The v7 API (PROTOCOL §5): JSON only, snake_case, nulls left out.

Requests: GET query parameters, path parameters (``/api/7/apps/get/store_name=x/limit=30``)
or a POST JSON body. Answers: ``{"info": {"status", "time"}, "data": {...}}``,
``{"info": ..., "datalist": {...}}`` or ``{"info": {"status": "FAIL", ...}, "errors": [{code, description}]}``."""

from __future__ import annotations

import dataclasses
import functools
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote

import anyio.to_thread
from litestar import Request, Response

from apkdepot import errors
from apkdepot.api.answer import Answer
from apkdepot.api.json.common import decode_json, read_capped_body
from apkdepot.api.ws.dispatch import base_url
from apkdepot.api.ws.render import render_json
from apkdepot.errors import Failure, Problem, problem
from apkdepot.i18n import negotiate
from apkdepot.index.cache import NeedsThread
from apkdepot.observability import metrics
from apkdepot.services import Services


@dataclass
class V7Call:
    svc: Services
    runtime: Any
    params: dict[str, Any]
    locale: str
    base_url: str

    def text(self, name: str) -> str:
        value = self.params.get(name)
        return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


@dataclass(frozen=True)
class V7Endpoint:
    name: str
    handler: Callable[[V7Call], dict[str, Any]]
    summary: str
    in_loop: bool = False
    # The answer depends only on the request and the catalog look-ups it records
    # (index/cache.recording_lookups), so the hot path may remember it (an
    # in-loop endpoint's answer made on the loop always is).
    remembered: bool = False
    methods: frozenset[str] = frozenset({"GET", "POST"})
    params: tuple[tuple[str, str], ...] = ()
    error_codes: tuple[str, ...] = ()
    example: dict[str, Any] = field(default_factory=dict)
    # The HTTP contract (api/openapi.py): "subjects" (one of them names what is
    # asked for), "optional" arguments, POST-only "body" fields and "required"
    # ones, each a JSON Schema; "private_store" when a private store can be named.
    contract: dict[str, Any] = field(default_factory=dict)
    # Other names the same call answers to (the v8 app's listApps for apps/get, …).
    aliases: tuple[str, ...] = ()
    alias_of: str | None = None


V7_REGISTRY: dict[str, V7Endpoint] = {}


@functools.lru_cache(maxsize=None)
def _argument_validator(name: str) -> Any:
    """Checks every argument a JSON body gives against its documented schema
    (the same one the OpenAPI document shows); which ones are needed is the
    handler's business (MARG-…)."""
    from jsonschema import Draft202012Validator

    spec = V7_REGISTRY[name].contract
    return Draft202012Validator({"type": "object", "properties": {
        **spec.get("subjects", {}), **spec.get("optional", {}), **spec.get("body", {})}})


def _argument_name(path: Any) -> str:
    """``apks_data[0]`` for an error anywhere inside that item."""
    parts = list(path)[:2]
    name = str(parts[0]) if parts else "body"
    return f"{name}[{parts[1]}]" if len(parts) == 2 and isinstance(parts[1], int) else name


def body_argument_problems(endpoint: V7Endpoint, body: dict[str, Any]) -> list[Problem]:
    found: dict[str, Problem] = {}
    for error in sorted(_argument_validator(endpoint.name).iter_errors(body), key=lambda e: list(map(str, e.absolute_path))):
        if error.validator == "maxItems" and len(error.absolute_path) == 1:
            name = str(error.absolute_path[0])
            found[name] = problem(errors.TOO_MANY_VALUES, name=name[:60], max=error.validator_value)
        else:
            name = _argument_name(error.absolute_path)
            found.setdefault(name, problem(errors.INVALID_VALUE, name=name[:60]))
    return list(found.values())


def v7_endpoint(**spec: Any):
    def decorate(fn):
        endpoint = V7Endpoint(handler=fn, **spec)
        V7_REGISTRY[endpoint.name] = endpoint
        for alias in endpoint.aliases:
            V7_REGISTRY[alias] = dataclasses.replace(endpoint, name=alias, aliases=(), alias_of=endpoint.name)
        return fn

    return decorate


def _human(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def envelope(started: float, body: dict[str, Any], status: str = "OK") -> dict[str, Any]:
    elapsed = time.perf_counter() - started
    return {"info": {"status": status, "time": {"seconds": round(elapsed, 6), "human": _human(elapsed)}}, **body}


def failure_body(found: list[Problem], locale: str) -> dict[str, Any]:
    for p in found:
        metrics.count_error(p.code)
    return {"errors": [{"code": p.code, "description": p.message(locale)} for p in found]}


def _route(rest: str) -> tuple[V7Endpoint | None, dict[str, str], bool]:
    """The longest registered name the path starts with, and its k=v segments."""
    segments = [unquote(s) for s in rest.split("/") if s]
    for size in range(min(len(segments), 3), 0, -1):
        endpoint = V7_REGISTRY.get("/".join(segments[:size]))
        if endpoint is not None:
            params: dict[str, str] = {}
            for segment in segments[size:]:
                key, eq, value = segment.partition("=")
                if not eq or not key:
                    return None, {}, False
                params[key] = value
            return endpoint, params, True
    return None, {}, False


async def handle(request: Request) -> Response:
    return (await answer(request)).to_response()


async def answer(request: Request) -> Answer:
    started = time.perf_counter()
    svc: Services = request.app.state.services
    found: list[Problem] = []
    params: dict[str, Any] = {}
    try:
        params.update(parse_qsl(request.scope.get("query_string", b"").decode("utf-8"), keep_blank_values=True,
                                errors="strict"))
    except UnicodeDecodeError:
        found.append(problem(errors.INVALID_ENCODING))
    locale = negotiate(params.get("lang"), request.headers.get("accept-language"))
    raw_path = request.scope.get("raw_path") or request.scope["path"].encode()
    try:
        rest = raw_path.split(b"?", 1)[0].decode("utf-8").split("/api/7/", 1)[1]
    except (UnicodeDecodeError, IndexError):
        rest = ""
        found.append(problem(errors.INVALID_ENCODING))
    endpoint, path_params, _ = _route(rest)
    if endpoint is None:
        body = failure_body([problem(errors.UNKNOWN_WEBSERVICE, name=rest[:100])], locale)
        return Answer(render_json(envelope(started, body, "FAIL")), 404)
    if request.method not in endpoint.methods:
        body = failure_body([problem(errors.METHOD_NOT_ALLOWED)], locale)
        return Answer(render_json(envelope(started, body, "FAIL")), 405,
                      headers={"Allow": ", ".join(sorted(endpoint.methods | {"OPTIONS"}))})
    params.update(path_params)
    if request.method == "POST":
        payload = await read_capped_body(request)
        if payload:
            decoded, trouble = decode_json(payload)
            if trouble is not None:
                found.append(trouble)
            elif isinstance(decoded, dict):
                found += body_argument_problems(endpoint, decoded)
                params.update(decoded)
            else:
                found.append(problem(errors.MALFORMED_BODY))
    call = V7Call(svc, request.app.state.runtime, params, locale, base_url(request, svc))
    status_code = 200
    cacheable = False
    try:
        if found:
            raise Failure(found)
        body = None
        if endpoint.in_loop:
            try:
                body = endpoint.handler(call)
                cacheable = True
            except NeedsThread:
                pass  # answered again, off the loop
        if body is None:
            body = await anyio.to_thread.run_sync(endpoint.handler, call)
            cacheable = endpoint.remembered
        answer = envelope(started, body)
    except Failure as failure:
        status_code = failure.http_status if failure.http_status in (401, 403, 404, 429) else 400
        answer = envelope(started, failure_body(failure.problems, locale), "FAIL")
    return Answer(render_json(answer), status_code, cacheable=cacheable)
