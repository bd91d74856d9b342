"""``GET /api/mng/apps``: the app list API for app owners (AppsFlyer-style contract, PROTOCOL §6).

Bearer API token (not the dev token); ``limit`` (1-1000, default 1000) and
``offset`` (default 0); ``data`` / ``meta.total_items`` / absolute ``links``.
Errors as ``{"errors": [{"status", "title", "code", "detail"}]}``: 401 for a
missing, malformed, unknown or revoked token, 429 over the per-token limits,
400 for a bad limit or offset, 404 when the account has no apps. Every answer
carries the IETF RateLimit-Policy and RateLimit headers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response, get

from apkdepot import errors
from apkdepot.accounts import api_tokens
from apkdepot.api.json.common import client_ip, request_locale, run, services
from apkdepot.api.ws.dispatch import base_url
from apkdepot.catalog import owner_apps
from apkdepot.numbers import parse_whole
from apkdepot.errors import Problem, problem
from apkdepot.observability import metrics
from apkdepot.ratelimit import Limit
from apkdepot.services import Services

MAX_LIMIT = 1000
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests"}


def limits(svc: Services) -> list[Limit]:
    return [Limit(svc.settings.app_list_per_minute, 60), Limit(svc.settings.app_list_per_day, 86400)]


def policy_header(svc: Services) -> dict[str, str]:
    return {"RateLimit-Policy": ", ".join(f'"{l.policy_name}";q={l.amount};w={l.window_seconds}' for l in limits(svc))}


def error_response(status: int, found: list[Problem], locale: str, headers: dict[str, str]) -> Response:
    for p in found:
        metrics.count_error(p.code)
    body = {"errors": [{"status": str(status), "title": TITLES[status], "code": p.code, "detail": p.message(locale)}
                       for p in found]}
    return Response(msgspec.json.encode(body), status_code=status, media_type="application/json", headers=headers)


def parse_window(raw_limit: str | None, raw_offset: str | None) -> tuple[int, int, list[Problem]]:
    found: list[Problem] = []
    limit, offset = MAX_LIMIT, 0
    if raw_limit is not None:
        parsed = parse_whole(raw_limit, 1, MAX_LIMIT)
        if parsed is not None:
            limit = parsed
        else:
            found.append(problem(errors.MNG_LIMIT, "limit"))
    if raw_offset is not None:
        parsed = parse_whole(raw_offset, 0, 10**12)
        if parsed is not None:
            offset = parsed
        else:
            found.append(problem(errors.MNG_OFFSET, "offset"))
    return limit, offset, found


def links(base: str, offset: int, limit: int, total: int) -> dict[str, str]:
    def at(position: int) -> str:
        return f"{base}?offset={position}&limit={limit}"

    result: dict[str, str] = {}
    if offset > 0:
        result["prev"] = at(max(0, offset - limit))
    result["self"] = at(offset)
    if offset + limit < total:
        result["next"] = at(offset + limit)
    return result


@get("/api/mng/apps", summary="App list API: the account's active and pending apps", tags=["app list"])
async def app_list(request: Request) -> Response:
    svc = services(request)
    locale = request_locale(request)
    headers = policy_header(svc)
    header = request.headers.get("authorization", "")
    secret = header[7:].strip() if header[:7].lower() == "bearer " else ""
    grant = await run(api_tokens.token_owner, svc, secret, client_ip(request)) if secret else None
    if grant is None:
        return error_response(401, [problem(errors.MNG_MALFORMED)], locale, headers)
    if "apps:read" not in grant.scopes:
        return error_response(403, [problem(errors.TOKEN_SCOPE_MISSING, scope="apps:read")], locale, headers)
    token_id, developer_id = grant.token_id, grant.developer_id
    decision = await run(svc.limiter.hit, f"mng:{token_id}", limits(svc))
    headers.update(decision.headers())
    if not decision.allowed:
        return error_response(429, [problem(errors.TOO_MANY_REQUESTS, retry_after=decision.retry_after)], locale, headers)
    limit, offset, found = parse_window(request.query_params.get("limit"), request.query_params.get("offset"))
    if found:
        return error_response(400, found, locale, headers)
    apps, total = await run(owner_apps.page, svc, developer_id, limit, offset)
    if total == 0:
        return error_response(404, [problem(errors.MNG_NO_APPS)], locale, headers)
    body = page_body(apps, total, base_url(request, svc), offset, limit)
    return Response(msgspec.json.encode(body), media_type="application/json", headers=headers)


def page_body(apps: list, total: int, base: str, offset: int, limit: int) -> dict[str, Any]:
    """One page of the answer (the docs show a real one with this too)."""
    return {"data": [app.resource() for app in apps], "meta": {"total_items": total},
            "links": links(base + "/api/mng/apps", offset, limit, total)}
