"""From an HTTP request to a web-service answer (PROTOCOL §1).

Path: ``/webservices[/<2|3>]/<name>[/<path params>...][/<xml|json>]``. The
generation decides the error shape (1: plain messages, 2 and 3: ``{code, msg}``).
Format: the trailing ``/xml`` or ``/json`` segment on GET, ``mode`` otherwise,
JSON when neither is given. Parameters: query, then body (form, multipart or a
JSON object), then path segments in the endpoint's declared order. Problems are
reported all at once: token first, then arguments in their documented order."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

import anyio.to_thread
from litestar import Request, Response

from apkdepot import audit, errors
from apkdepot.accounts import oauth, tokens
from apkdepot.accounts import services as accounts
from apkdepot.accounts.services import Developer
from apkdepot.api.answer import Answer
from apkdepot.api.origin import base_url_of
from apkdepot.api.json.common import client_ip, decode_json, read_capped_body
from apkdepot.api.ws.registry import REGISTRY, WsEndpoint
from apkdepot.catalog.uploads import receive_multipart
from apkdepot.api.ws.render import render
from apkdepot.errors import Failure, Problem, problem
from apkdepot.index.cache import NeedsThread
from apkdepot.i18n import negotiate
from apkdepot.observability import metrics
from apkdepot.services import Services

log = logging.getLogger("apkdepot.ws")

FORMATS = ("xml", "json")
MAX_PATH_SEGMENTS = 12


@dataclass
class WsCall:
    svc: Services
    endpoint: WsEndpoint
    generation: int
    fmt: str
    locale: str
    params: dict[str, str]
    files: dict[str, Any] = field(default_factory=dict)
    bearer: str | None = None
    client_ip: str | None = None
    base_url: str = ""
    developer: Developer | None = None
    runtime: Any = None  # the process's Runtime (index cache, counters)
    # What the validator worked out, for the handler to reuse (one parse per request).
    memo: dict[str, Any] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.params.get(name, "").strip()


@dataclass
class ParsedRequest:
    generation: int
    name: str
    fmt: str
    locale: str
    params: dict[str, str]
    files: dict[str, Any]
    problems: list[Problem]
    # The request could not be read into arguments at all (bad encoding, malformed
    # body, values that are not scalars): answered with HTTP 400, not 200.
    unreadable: bool = False


def _decode_segment(raw: bytes) -> str | None:
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _split_path(request: Request) -> list[str | None]:
    """Path segments after /webservices; a segment that is not UTF-8 is None."""
    raw = request.scope.get("raw_path") or request.scope["path"].encode("utf-8")
    raw = raw.split(b"?", 1)[0]
    parts = [p for p in raw.split(b"/") if p]
    return [_decode_segment(p) for p in parts[1:]]


def parse_options(raw: str) -> dict[str, str]:
    """The Aptoide apps' ``options`` argument, ``(key=value;key=value;)``
    (WebserviceOptions.toString joined with ';' in brackets): arguments like any
    other, which explicit ones of the same name override."""
    raw = raw.strip()
    if not (raw.startswith("(") and raw.endswith(")")):
        return {}
    found: dict[str, str] = {}
    for item in raw[1:-1].split(";"):
        key, eq, value = item.partition("=")
        if eq and key.strip():
            found[key.strip()] = value.strip()
    return found


def _flatten_json_value(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in value):
        return ",".join(str(v) for v in value)
    return None


async def _body_params(request: Request, endpoint: WsEndpoint | None, problems: list[Problem]) -> tuple[dict[str, str], dict[str, Any]]:
    if request.method != "POST":
        return {}, {}
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "multipart/form-data" and endpoint is not None and endpoint.accepts_files:
        try:
            form = await receive_multipart(request, request.app.state.services)
        except Failure as too_large:  # APK-6: reported in the envelope with its 413
            problems.extend(too_large.problems)
            return {}, {}
        problems.extend(form.problems)
        # The files stay until the answer is made (WsCall.files, removed by answer()).
        return dict(form.fields), {name: received[-1] for name, received in form.files.items()}
    body = await read_capped_body(request)
    if not body:
        return {}, {}
    if content_type == "multipart/form-data":
        return await _small_multipart(request, body, problems), {}
    if content_type == "application/json":
        decoded, trouble = decode_json(body)
        if trouble is not None:
            problems.append(trouble)
            return {}, {}
        if not isinstance(decoded, dict):
            problems.append(problem(errors.MALFORMED_BODY))
            return {}, {}
        params = {}
        for key, value in decoded.items():
            flat = _flatten_json_value(value)
            if flat is None:
                if value is not None:
                    problems.append(problem(errors.INVALID_VALUE, name=key[:50]))
                continue
            params[key] = flat
        return params, {}
    # Anything else is read as a urlencoded form, as old clients send it.
    try:
        return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")), {}
    except UnicodeDecodeError:
        problems.append(problem(errors.INVALID_ENCODING))
        return {}, {}


async def _small_multipart(request: Request, body: bytes, problems: list[Problem]) -> dict[str, str]:
    """Text fields of a multipart body on a service that takes no files."""
    from litestar._multipart import parse_content_header, parse_multipart_form

    _, options = parse_content_header(request.headers.get("content-type", ""))
    boundary = options.get("boundary", "").encode()

    async def once():
        yield body

    try:
        fields = await parse_multipart_form(stream=once(), boundary=boundary)
    except UnicodeDecodeError:
        problems.append(problem(errors.INVALID_ENCODING))
        return {}
    except Exception:  # noqa: BLE001 - the parser's own errors all mean a malformed body
        problems.append(problem(errors.MALFORMED_BODY))
        return {}
    return {k: v[-1] if isinstance(v, list) else v for k, v in fields.items()
            if isinstance(v[-1] if isinstance(v, list) else v, str)}


async def parse_request(request: Request) -> tuple[ParsedRequest, WsEndpoint | None]:
    problems: list[Problem] = []
    segments = _split_path(request)
    if None in segments:
        problems.append(problem(errors.INVALID_ENCODING))
    try:
        query = dict(parse_qsl(request.scope.get("query_string", b"").decode("utf-8"),
                               keep_blank_values=True, errors="strict"))
    except UnicodeDecodeError:
        query = {}
        problems.append(problem(errors.INVALID_ENCODING))

    locale = negotiate(query.get("lang"), request.headers.get("accept-language"))
    generation = 1
    name = ""
    args: list[str | None] = []
    if segments and segments[0] in ("2", "3"):
        generation = int(segments[0])
        segments = segments[1:]
    if segments:
        name, args = segments[0] or "", segments[1:]

    fmt_from_path = None
    if request.method == "GET" and args and (args[-1] or "").lower() in FORMATS:
        fmt_from_path = (args.pop() or "").lower()
    endpoint = REGISTRY.get(name)
    if endpoint is not None and generation not in endpoint.generations:
        endpoint = None

    before = len(problems)
    body_params, files = await _body_params(request, endpoint, problems)
    unreadable = len(problems) > before or any(p.code == errors.INVALID_ENCODING.code for p in problems)
    params = {**query, **body_params}
    for key, value in parse_options(params.get("options", "")).items():
        params.setdefault(key, value)
    if "lang" in body_params:
        locale = negotiate(body_params["lang"], request.headers.get("accept-language"))

    fmt = fmt_from_path or "json"
    mode = params.get("mode")
    if fmt_from_path is None and mode is not None:
        if mode.strip().lower() in FORMATS:
            fmt = mode.strip().lower()
        else:
            problems.append(problem(errors.INVALID_MODE))

    if endpoint is not None:
        if len(args) > len(endpoint.path_params) or len(args) > MAX_PATH_SEGMENTS:
            endpoint = None  # more path segments than the endpoint takes: not one of its URLs
        else:
            for param_name, value in zip(endpoint.path_params, args):
                if value is not None:
                    params[param_name] = value
    return ParsedRequest(generation, name, fmt, locale, params, files, problems, unreadable), endpoint


def payload_for_problems(found: list[Problem], generation: int, locale: str) -> dict[str, Any]:
    for p in found:
        metrics.count_error(p.code)
    if generation == 1:
        rendered: list[Any] = [p.message(locale) for p in found]
    else:
        rendered = [{"code": p.code, "msg": p.message(locale)} for p in found]
    return {"status": "FAIL", "errors": rendered}


# Access-token failures answer HTTP 401 on every web service; the other OAuth
# errors only on the log-in service itself (elsewhere the envelope carries them).
OAUTH_TOKEN_CODES = frozenset({errors.ACCESS_TOKEN_INVALID.code, errors.ACCESS_TOKEN_EXPIRED.code})


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def execute(call: WsCall, early: list[Problem]) -> dict[str, Any]:
    """Validation and the handler; raises Failure with everything found."""
    endpoint = call.endpoint
    found = list(early)
    token_problems: list[Problem] = []
    if endpoint.requires_token:
        token = call.get("token") or call.get("access_token") or call.bearer or ""
        if not token:
            if not (endpoint.public_read and call.svc.settings.anonymous_reads):
                token_problems.append(problem(errors.MISSING_TOKEN))
        elif tokens.looks_like_dev_token(token):
            call.developer = (call.runtime.cache.developer_for_token(token) if call.runtime is not None
                              else accounts.developer_by_token(call.svc, token))
            if call.developer is None:
                token_problems.append(problem(errors.INVALID_TOKEN))
        elif call.get("token"):
            token_problems.append(problem(errors.INVALID_TOKEN))
        else:
            # An OAuth access token (oauth2Authentication), as access_token or a Bearer header.
            # Unknown or expired ones answer HTTP 401 with the description the apps refresh on.
            try:
                call.developer = oauth.developer_by_access_token(call.svc, token)
            except Failure as failure:
                token_problems += failure.problems
    if call.developer is not None and not endpoint.public_read:
        # Who the audit log names for what this call changes (reads name no one).
        audit.act_as(audit.Actor(call.developer.id, call.developer.email, call.client_ip, call.developer.is_admin))
    for param in endpoint.params:
        value = call.params.get(param.name)
        if value is not None and len(value) > param.max_length:
            found.append(problem(errors.VALUE_TOO_LONG, name=param.name))
            call.params.pop(param.name)
        elif param.missing is not None and not (value or "").strip():
            found.append(problem(param.missing))
    if endpoint.validator is not None and not found:
        found += endpoint.validator(call)
    found = token_problems + found
    if found:
        raise Failure(found)
    return {"status": "OK", **endpoint.handler(call)}


def _client_ip(request: Request) -> str | None:
    return client_ip(request)


def base_url(request: Request, svc: Services) -> str:
    """Links in answers: the public URL, or the allow-listed host HostGuard checked."""
    return base_url_of(request.scope, svc.settings)


async def handle(request: Request) -> Response:
    return (await answer(request)).to_response()


async def answer(request: Request) -> Answer:
    svc: Services = request.app.state.services
    parsed, endpoint = await parse_request(request)
    if endpoint is None:
        found = [problem(errors.UNKNOWN_WEBSERVICE, name=parsed.name[:100])]
        body, content_type = render(payload_for_problems(found, parsed.generation, parsed.locale), parsed.fmt)
        return Answer(body, 404, content_type)
    if request.method not in endpoint.methods:
        found = [problem(errors.METHOD_NOT_ALLOWED)]
        body, content_type = render(payload_for_problems(found, parsed.generation, parsed.locale), parsed.fmt)
        return Answer(body, 405, content_type, {"Allow": ", ".join(sorted(endpoint.methods | {"OPTIONS"}))})
    call = WsCall(svc=svc, endpoint=endpoint, generation=parsed.generation, fmt=parsed.fmt,
                  locale=parsed.locale, params=parsed.params, files=parsed.files,
                  bearer=_bearer(request), client_ip=_client_ip(request), base_url=base_url(request, svc),
                  runtime=getattr(request.app.state, "runtime", None))
    status_code = 200
    headers: dict[str, str] = {}
    cacheable = False
    try:
        payload = None
        if endpoint.in_loop:
            try:
                payload = execute(call, parsed.problems)
                cacheable = True
            except NeedsThread:
                call.developer = None  # answered again from the start, off the loop
                call.memo.clear()
        if payload is None:
            payload = await anyio.to_thread.run_sync(execute, call, parsed.problems)
    except Failure as failure:
        payload = payload_for_problems(failure.problems, parsed.generation, parsed.locale)
        headers.update(failure.headers)
        oauth_problem = next((p for p in failure.problems if p.code in errors.OAUTH_ERROR_NAMES), None)
        # The envelope carries the verdict; only "too large" and "come back later"
        # (rate limits, a full inspection queue, with Retry-After) change the HTTP status.
        if failure.http_status in (413, 429, 503):
            status_code = failure.http_status
        elif parsed.unreadable:
            status_code = 400
        if oauth_problem is not None and (endpoint.oauth or oauth_problem.code in OAUTH_TOKEN_CODES):
            # OAuth 2 clients (the Uploader, the 6.x app) read an HTTP error with error/error_description.
            status_code = oauth_problem.spec.http_status
            payload["error"] = errors.OAUTH_ERROR_NAMES[oauth_problem.code]
            payload["error_description"] = oauth_problem.message("en")
            if status_code == 401:
                headers["WWW-Authenticate"] = f'Bearer error="{payload["error"]}"'
    finally:
        for received in parsed.files.values():
            received.path.unlink(missing_ok=True)
    body, content_type = render(payload, parsed.fmt)
    return Answer(body, status_code, content_type, headers, cacheable)
