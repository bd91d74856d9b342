"""What every ``/api/`` JSON endpoint shares: reading a JSON object body,
picking the language, authenticating (dev token as bearer, or a portal session
cookie plus its CSRF token for unsafe methods) and the envelope:
``{"status": "OK", ...}`` or ``{"status": "FAIL", "errors": [{code, msg, field?}]}``
with a meaningful HTTP status."""

from __future__ import annotations

import functools
import hmac
from urllib.parse import urlsplit
from typing import Any, Callable, TypeVar

import anyio.to_thread
import msgspec
from litestar import Request, Response

from apkdepot import audit, errors
from apkdepot.accounts import api_tokens
from apkdepot.accounts import services as accounts
from apkdepot.accounts.services import Developer
from apkdepot.api.origin import allowed_host_names, client_address, host_is_allowed
from apkdepot.config import Settings
from apkdepot.errors import Failure, Problem, problem
from apkdepot.i18n import negotiate
from apkdepot.numbers import parse_whole
from apkdepot.observability import metrics
from apkdepot.services import Services

SESSION_COOKIE = "apkdepot_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")

T = TypeVar("T")


def services(request: Request) -> Services:
    return request.app.state.services


async def run(fn: Callable[..., T], *args: Any) -> T:
    return await anyio.to_thread.run_sync(fn, *args)


def request_locale(request: Request, body: dict[str, Any] | None = None) -> str:
    """The language of this request's answers; remembered on the request so an
    error raised later is rendered in it too."""
    lang = request.query_params.get("lang")
    if body and isinstance(body.get("lang"), str):
        lang = body["lang"]
    locale = negotiate(lang, request.headers.get("accept-language"))
    request.state.locale = locale
    return locale


def upload_body_limit(max_apk_bytes: int) -> int:
    """The server-wide body limit: an upload plus room for its other fields.
    Every other body is read through read_capped_body with a far smaller cap."""
    return max_apk_bytes + 1024 * 1024


async def read_capped_body(request: Request, limit: int | None = None) -> bytes:
    """The request body, refused (413) as soon as it passes ``limit`` bytes,
    before it is all in memory."""
    limit = services(request).settings.max_form_bytes if limit is None else limit
    declared = request.headers.get("content-length")
    if declared and (parse_whole(declared) or 0) > limit:
        raise Failure(problem(errors.BODY_TOO_LARGE), 413)
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise Failure(problem(errors.BODY_TOO_LARGE), 413)
        chunks.append(chunk)
    return b"".join(chunks)


# Deeper JSON than this is refused as malformed: no client sends it, and the
# decoder would otherwise recurse until the interpreter's limit.
MAX_JSON_DEPTH = 32


def _depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether brackets outside strings nest deeper than ``limit`` (a linear scan)."""
    depth = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def decode_json(body: bytes) -> tuple[Any, Problem | None]:
    """The one JSON body decoder: (value, None), or (None, the problem) for
    invalid UTF-8 (IARG-101), bad syntax or nesting deeper than MAX_JSON_DEPTH (IARG-103)."""
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return None, problem(errors.INVALID_ENCODING)
    # The byte scan runs in Python: only bodies with enough brackets to nest that deep need it.
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _depth_exceeds(body, MAX_JSON_DEPTH):
        return None, problem(errors.MALFORMED_BODY)
    try:
        return msgspec.json.decode(body), None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError, ValueError):
        return None, problem(errors.MALFORMED_BODY)


def check_origin(request: Request) -> None:
    """A browser names the page that sent a request in ``Origin``: one from a
    host we do not answer for is a cross-site request (login CSRF), refused."""
    origin = request.headers.get("origin")
    if not origin or (origin == "null" and request.method in SAFE_METHODS):
        return
    host = urlsplit(origin).netloc if origin != "null" else ""
    if not host_is_allowed(host, allowed_host_names(services(request).settings)):
        raise Failure(problem(errors.CSRF_FAILED))


def is_json_media_type(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


async def read_json_object(request: Request) -> dict[str, Any]:
    """The JSON object body of an /api/ request. It must be sent as
    application/json (which a cross-site form cannot send without the browser
    asking first), from a page of ours when a browser says where it came from."""
    check_origin(request)
    body = await read_capped_body(request)
    if not body:
        return {}
    if not is_json_media_type(request.headers.get("content-type")):
        raise Failure(problem(errors.JSON_MEDIA_TYPE), 415)
    decoded, found = decode_json(body)
    if found is not None:
        raise Failure(found)
    if not isinstance(decoded, dict):
        raise Failure(problem(errors.MALFORMED_BODY))
    request_locale(request, decoded)
    limit = services(request).settings.max_field_length
    too_long = [problem(errors.VALUE_TOO_LONG, key[:50], name=key[:50])
                for key, value in decoded.items() if isinstance(value, str) and len(value) > limit]
    if too_long:
        raise Failure(too_long, 400)
    return decoded


# /api/ answers are per account (tokens, stores, apps): no cache may keep them.
PRIVATE_ANSWER = {"Cache-Control": "no-store"}


def ok(data: dict[str, Any] | None = None, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    body = msgspec.json.encode({"status": "OK", **(data or {})})
    return Response(body, status_code=status_code, media_type="application/json",
                    headers={**PRIVATE_ANSWER, **(headers or {})})


def problems_payload(found: list[Problem], locale: str) -> dict[str, Any]:
    rendered = []
    for p in found:
        metrics.count_error(p.code)
        entry: dict[str, Any] = {"code": p.code, "msg": p.message(locale)}
        if p.field:
            entry["field"] = p.field
        rendered.append(entry)
    return {"status": "FAIL", "errors": rendered}


def failure_response(failure: Failure, locale: str) -> Response:
    return Response(msgspec.json.encode(problems_payload(failure.problems, locale)),
                    status_code=failure.http_status, media_type="application/json",
                    headers={**PRIVATE_ANSWER, **failure.headers})


async def changed(request: Request) -> None:
    """Call after a write: this process's cache sees it before the next read,
    refreshed here in a thread (the reads that follow stay off SQL on the loop)."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is not None:
        runtime.cache.invalidate()
        await run(runtime.cache.refresh, False, True)


@functools.lru_cache(maxsize=8)
def _proxy_networks(trusted_proxies: str) -> tuple:
    from apkdepot.api.origin import trusted_proxy_networks

    return trusted_proxy_networks(Settings(trusted_proxies=trusted_proxies))


def client_ip(request: Request) -> str | None:
    """The client's address (behind APKDEPOT_TRUSTED_PROXIES, the one they forwarded):
    what rate limits count per address and the audit log records."""
    return client_address(request.scope.get("client"), request.headers.get("x-forwarded-for"),
                          _proxy_networks(services(request).settings.trusted_proxies))


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _authenticate(svc: Services, bearer: str | None, cookie: str | None, method: str,
                  csrf: str | None, scope: str | None = None, ip: str | None = None) -> Developer:
    """The developer behind a dev token or an API token (bearer), or a portal
    session. An API token works only where its scopes include ``scope`` (an
    endpoint that names none is never open to API tokens): TOKEN-5 otherwise."""
    if bearer is not None:
        if bearer.startswith(api_tokens.TOKEN_PREFIX):
            grant = api_tokens.token_owner(svc, bearer, ip)
            developer = accounts.developer_by_id(svc, grant.developer_id) if grant else None
            if developer is None:
                raise Failure(problem(errors.INVALID_TOKEN))
            if scope is None or scope not in grant.scopes:
                raise Failure(problem(errors.TOKEN_SCOPE_MISSING, scope=scope or "(none: dev token or session only)"))
            return developer
        developer = accounts.developer_by_token(svc, bearer)
        if developer is None:
            raise Failure(problem(errors.INVALID_TOKEN))
        return developer
    if cookie:
        session = accounts.session_by_secret(svc, cookie)
        if session is not None:
            if method not in SAFE_METHODS and not (csrf and hmac.compare_digest(csrf.encode(), session.csrf_token.encode())):
                raise Failure(problem(errors.CSRF_FAILED))
            return session.developer
    raise Failure(problem(errors.NOT_AUTHENTICATED))


async def current_developer(request: Request, scope: str | None = None) -> Developer:
    """The developer making this request (an API token only where its scopes
    include ``scope``); also who the audit log names for the changes it makes."""
    developer = await run(_authenticate, services(request), _bearer(request), request.cookies.get(SESSION_COOKIE),
                          request.method, request.headers.get(CSRF_HEADER), scope, client_ip(request))
    audit.act_as(audit.Actor(developer.id, developer.email, client_ip(request), developer.is_admin))
    return developer
