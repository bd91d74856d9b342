"""ASGI middleware: one structured log line and one metrics observation per
request. The route label is the matched route template (never the raw path, so
no token in a path or query string ever reaches a log or a label)."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from typing import Any

import msgspec

from apkdepot.observability import metrics

_encode = msgspec.json.Encoder().encode


# Access lines are written in batches: one system call per request cost more
# than the hot path's answer itself. A batch is whole lines and at most PIPE_BUF
# bytes, so the lines of several worker processes sharing one stderr pipe never
# interleave; it is written when full, 0.1 s after its first line, and at exit.
_BATCH_BYTES = 4096
_BATCH_SECONDS = 0.1
_batch = bytearray()
_flush_scheduled = False


def _write_all(data: bytes) -> None:
    try:
        while data:
            data = data[os.write(2, data):]
    except OSError:
        pass


def flush_access_log() -> None:
    global _flush_scheduled
    _flush_scheduled = False
    if _batch:
        data = bytes(_batch)
        _batch.clear()
        _write_all(data)


def write_access_line(entry: dict[str, Any]) -> None:
    """One JSON object per line on stderr."""
    global _flush_scheduled
    line = _encode(entry) + b"\n"
    if len(_batch) + len(line) > _BATCH_BYTES:
        flush_access_log()
    _batch.extend(line)
    if _flush_scheduled:
        return
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        flush_access_log()  # no event loop to flush later from
        return
    _flush_scheduled = True
    loop.call_later(_BATCH_SECONDS, flush_access_log)


def route_of(scope: dict[str, Any]) -> str:
    template = scope.get("path_template")  # the matched route's template, set by the router
    if template:
        return template
    handler = scope.get("route_handler")
    paths = getattr(handler, "paths", None)
    if paths:
        return sorted(paths)[0]
    return "unmatched"


def ws_route(path: str) -> str:
    """The web services share one handler: label them by generation and name
    (a name we do not serve is one label, so clients cannot grow the label set)."""
    from apkdepot.api.ws.registry import REGISTRY

    parts = [p for p in path.split("/") if p][:3]
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
        # Request ids: a random prefix per server process and a counter (unique
        # without a random draw per request).
        self._id_prefix = os.urandom(4).hex()
        self._ids = itertools.count()

    def __getattr__(self, name: str) -> Any:  # state, routes... of the wrapped app
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    def new_request_id(self) -> str:
        return f"{self._id_prefix}{next(self._ids) & 0xFFFFFFFF:08x}"

    @staticmethod
    def record(method: str, route: str, status: int, elapsed: float, request_id: str) -> None:
        """The request's metrics observation and access line (also used by the RSGI front)."""
        metrics.observe_request(route, method, status, elapsed)
        now = time.time()
        write_access_line({"ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
                           "level": "info", "logger": "apkdepot.access", "msg": "request",
                           "request_id": request_id, "method": method, "route": route,
                           "status": status, "duration_ms": round(elapsed * 1000, 3)})

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        request_id = self.new_request_id()

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
            path = scope.get("path", "")
            route = ws_route(path) if path.startswith("/webservices/") else route_of(scope)
            self.record(scope.get("method", ""), route, status, time.perf_counter() - started, request_id)
