"""The update-check hot path: GET listRepositoryChange, GET info.xml and GET
v7 store/getMeta and apps/get are answered here, ahead of every other layer
(the host check, logging and metrics are done here in O(1)), by the same
answer functions the routes use. Answers that depend only on the request
and what they look up in the catalog snapshot (stores by name or id, developers
by token) are kept pre-encoded, with those lookups: one is served again while
every lookup would find the same thing, so a publish in one store, or one
developer's new token, leaves every other remembered answer in place. Anything
unexpected falls through to the framework, which answers it the normal way."""

from __future__ import annotations

import logging
import re
import time
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from apkdepot.api.answer import Answer
from apkdepot.api.json.common import run
from apkdepot.api.origin import BASE_URL_SCOPE_KEY, base_url_of
from apkdepot.api.repo import info_xml_answer
from apkdepot.api.v7 import dispatch as v7
from apkdepot.api.ws import dispatch as ws
from apkdepot.index.cache import recording_lookups
from apkdepot.observability.middleware import ws_route

log = logging.getLogger("apkdepot.hot")

INFO_XML = re.compile(r"^/repo/([^/]+)/info\.xml\Z")
ROUTE_LABELS = {"info": "/repo/{store_name}/info.xml",
                "meta": "/api/7/store/getMeta", "apps": "/api/7/apps/get"}
# v7 calls answered here (path-parameter or query style): name → kind.
V7_HOT_CALLS = (("/api/7/store/getMeta", "meta"), ("/api/7/apps/get", "apps"), ("/api/7/listApps", "apps"))


# The only headers an answer function on the hot path can see. The memo key is
# built from exactly what RawRequest exposes, so an answer can never depend on
# something its key leaves out: adding a header here adds it to the key.
VISIBLE_HEADERS = ("accept-language", "authorization", "accept-encoding", "if-none-match")


class _Headers:
    def __init__(self, values: dict[str, str]) -> None:
        self._values = values

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name.lower(), default)


class RawRequest:
    """The parts of a request the answer functions may read, taken from the
    request once. ``inputs`` is all of them, and is the memo key's request part."""

    def __init__(self, method: str, path: str, raw_path: bytes | None, query_string: bytes, base_url: str,
                 wanted: dict[str, str], state: Any) -> None:
        self.method = method
        # A minimal scope: what the answer functions read of it (path, query), nothing else.
        self.scope = {"method": method, "path": path, "raw_path": raw_path,
                      "query_string": query_string, BASE_URL_SCOPE_KEY: base_url}
        self.headers = _Headers(wanted)
        self.app = SimpleNamespace(state=state)
        self.inputs = (method, path, raw_path, query_string, base_url, tuple(sorted(wanted.items())))
        self._query: dict[str, str] | None = None

    @classmethod
    def from_scope(cls, scope: dict[str, Any], state: Any) -> "RawRequest":
        wanted = {}
        for key, value in scope.get("headers", ()):
            name = key.decode("latin-1").lower()
            if name in VISIBLE_HEADERS:
                wanted[name] = value.decode("latin-1")
        return cls(scope["method"], scope["path"], scope.get("raw_path"), scope.get("query_string", b""),
                   base_url_of(scope, state.services.settings), wanted, state)

    @property
    def query_params(self) -> dict[str, str]:
        if self._query is None:
            try:
                self._query = dict(parse_qsl(self.scope["query_string"].decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                self._query = {}
        return self._query


class Remembered:
    """A pre-encoded answer and the catalog lookups it was made from."""

    __slots__ = ("answer", "lookups")
    LOOKUP_BYTES = 64  # one (kind, key, stamp) tuple; its key and kind strings are shared

    def __init__(self, answer: Answer, lookups: tuple) -> None:
        self.answer = answer
        self.lookups = lookups

    def cache_weight(self) -> int:
        return self.answer.cache_weight() + self.LOOKUP_BYTES * (len(self.lookups) + 1)


def route_label(kind: str, path: str) -> str:
    """The label logs and metrics give the request, as the router's would be."""
    return ws_route(path) if kind == "ws" else ROUTE_LABELS[kind]


def hot_kind(method: str, path: str) -> str | None:
    if method not in ("GET", "HEAD"):
        return None
    if path.startswith("/webservices/"):
        parts = path.split("/", 4)
        name = parts[3] if len(parts) > 3 and parts[2] in ("2", "3") else parts[2]
        return "ws" if method == "GET" and name == "listRepositoryChange" else None
    if path.startswith("/repo/") and INFO_XML.match(path):
        return "info"
    if method == "GET" and path.startswith("/api/7/"):
        for prefix, kind in V7_HOT_CALLS:
            if path.startswith(prefix) and (len(path) == len(prefix) or path[len(prefix)] == "/"):
                return kind
    return None


def _read_file(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


class HotPath:
    """The outermost ASGI layer: answers the hot requests itself, with the host
    check of ``HostGuard`` and the log line and metrics of the observability
    layer but none of their per-layer cost, and hands every other request (and
    a hot one it cannot answer) to the rest of the stack."""

    def __init__(self, app: Any, guard: Any, observer: Any) -> None:
        self.app = app
        self.state = app.state
        self.guard = guard
        self.observer = observer

    def __getattr__(self, name: str) -> Any:  # state, routes... of the wrapped app
        if name == "app":
            raise AttributeError(name)
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = hot_kind(scope["method"], scope["path"]) if scope["type"] == "http" else None
        if kind is not None:
            started = time.perf_counter()
            request = self.asgi_request(scope)
            answer = None if request is None else await self.answer_or_none(kind, request)
            if answer is not None:
                request_id = self.observer.new_request_id()
                status = 500
                try:
                    await self._send(send, answer, scope, request_id)
                    status = answer.status
                finally:
                    self.observer.record(scope["method"], route_label(kind, scope["path"]), status,
                                         time.perf_counter() - started, request_id)
                return
        await self.app(scope, receive, send)

    def asgi_request(self, scope: dict[str, Any]) -> RawRequest | None:
        """The request's answer inputs, or None when its host is refused (the guard answers it then)."""
        wanted = {}
        host = forwarded = None
        for key, value in scope.get("headers", ()):
            name = key.decode("latin-1").lower()
            if name == "host":
                host = value.decode("latin-1")
            elif name == "x-forwarded-proto":
                forwarded = value.decode("latin-1")
            elif name in VISIBLE_HEADERS:
                wanted[name] = value.decode("latin-1")
        base_url = self.guard.base_url_for(host, forwarded, scope.get("client"), scope.get("scheme"))
        if base_url is None:
            return None
        return RawRequest(scope["method"], scope["path"], scope.get("raw_path"), scope.get("query_string", b""),
                          base_url, wanted, self.state)

    async def answer_or_none(self, kind: str, request: RawRequest) -> Answer | None:
        try:
            return await self.answer(kind, request)
        except Exception:  # noqa: BLE001 - the framework route answers instead, with its own error handling
            log.exception("hot path failed; handing over to the router")
            return None

    async def answer(self, kind: str, request: RawRequest) -> Answer:
        """The answer to a request of a hot kind (``hot_kind``), remembered when it may be."""
        if kind == "info":
            return await info_xml_answer(request, INFO_XML.match(request.scope["path"]).group(1))
        runtime = self.state.runtime
        runtime.cache.current_clock()  # probe the catalog when due
        key = (kind, request.inputs)
        remembered = runtime.answers.peek(key)
        if remembered is not None and runtime.cache.still_current(remembered.lookups):
            return remembered.answer
        with recording_lookups() as lookups:
            answer = await (ws.answer(request) if kind == "ws" else v7.answer(request))  # meta, apps
        if answer.cacheable and answer.status == 200:
            runtime.answers.put(key, Remembered(answer, tuple(lookups)))
        return answer

    @staticmethod
    async def _send(send: Any, answer: Answer, scope: dict[str, Any], request_id: str) -> None:
        method = scope["method"]
        headers = [(b"content-type", answer.media_type.encode()), (b"content-length", str(answer.body_length()).encode())]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        headers.append((b"x-request-id", request_id.encode()))
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        if answer.file_path is not None and method != "HEAD":
            if "http.response.pathsend" in (scope.get("extensions") or {}):
                # The server (Granian) sends the file itself: no bytes through Python.
                await send({"type": "http.response.pathsend", "path": answer.file_path})
            else:
                await send({"type": "http.response.body", "body": await run(_read_file, answer.file_path)})
            return
        await send({"type": "http.response.body", "body": answer.body if method != "HEAD" else b""})
