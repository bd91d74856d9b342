"""ASGI middleware: one structured log line and one metrics observation per
request. The route label is the matched route template (never the raw path, so
no token in a path or query string ever reaches a log or a label)."""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

import msgspec

from apkdepot.observability import metrics

_encode = msgspec.json.Encoder().encode


def write_access_line(entry: dict[str, Any]) -> None:
    """One JSON object per line on stderr, written in one system call: the
    logging module's machinery costs more than the hot path's answer itself."""
    try:
        os.write(2, _encode(entry) + b"\n")
    except OSError:
        pass


def _route_of(scope: dict[str, Any]) -> str:
    template = scope.get("path_template")
    if template:
        return template
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if paths:
        return sorted(paths)[0]
    return "unmatched"


def _ws_route(scope: dict[str, Any]) -> str:
    """The web services share one handler: label them by generation and name
    (a name we do not serve is one label, so clients cannot grow the label set)."""
    from apkdepot.api.ws.registry import REGISTRY

    parts = [p for p in scope.get("path", "").split("/") if p][:3]
    prefix = parts[:1]
    if len(parts) >= 2 and parts[1] in ("2", "3"):
        prefix, parts = parts[:2], parts[2:]
    else:
        parts = parts[1:]
    name = parts[0] if parts and parts[0] in REGISTRY else "<unknown>"
    return "/" + "/".join(prefix + [name])


class ObservabilityMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = uuid.uuid4().hex[:16]

        async def send_wrapper(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = list(message["headers"]) + [(b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            route = _ws_route(scope) if scope.get("path", "").startswith("/webservices/") else _route_of(scope)
            metrics.observe_request(route, scope.get("method", ""), status, elapsed)
            now = time.time()
            write_access_line({"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
                               "level": "info", "logger": "apkdepot.access", "msg": "request",
                               "request_id": request_id, "method": scope.get("method"), "route": route,
                               "status": status, "duration_ms": round(elapsed * 1000, 3)})
