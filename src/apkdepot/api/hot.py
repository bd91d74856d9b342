"""The update-check hot path: GET listRepositoryChange, GET info.xml and GET
v7 store/getMeta are answered here, ahead of the framework's routing, by the
same answer functions the routes use. Answers that depend only on the request
and what they look up in the catalog snapshot (stores by name or id, developers
by token) are kept pre-encoded, with those lookups: one is served again while
every lookup would find the same thing, so a publish in one store, or one
developer's new token, leaves every other remembered answer in place. Anything
unexpected falls through to the framework, which answers it the normal way."""

from __future__ import annotations

import logging
import re
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

log = logging.getLogger("apkdepot.hot")

INFO_XML = re.compile(r"^/repo/([^/]+)/info\.xml\Z")
ROUTE_LABELS = {"ws": "/webservices/listRepositoryChange", "info": "/repo/{store_name}/info.xml",
                "meta": "/api/7/store/getMeta"}


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
    scope once. ``inputs`` is all of them, and is the memo key's request part."""

    def __init__(self, scope: dict[str, Any], state: Any) -> None:
        wanted = {}
        for key, value in scope.get("headers", ()):
            name = key.decode("latin-1").lower()
            if name in VISIBLE_HEADERS:
                wanted[name] = value.decode("latin-1")
        base_url = base_url_of(scope, state.services.settings)
        self.method = scope["method"]
        # A minimal scope: what the answer functions read of it (path, query), nothing else.
        self.scope = {"method": self.method, "path": scope["path"], "raw_path": scope.get("raw_path"),
                      "query_string": scope.get("query_string", b""), BASE_URL_SCOPE_KEY: base_url}
        self.headers = _Headers(wanted)
        self.app = SimpleNamespace(state=state)
        self.inputs = (self.method, scope["path"], scope.get("raw_path"), self.scope["query_string"], base_url,
                       tuple(sorted(wanted.items())))
        self._query: dict[str, str] | None = None

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


def hot_kind(method: str, path: str) -> str | None:
    if method not in ("GET", "HEAD"):
        return None
    if path.startswith("/webservices/"):
        parts = path.split("/", 4)
        name = parts[3] if len(parts) > 3 and parts[2] in ("2", "3") else parts[2]
        return "ws" if method == "GET" and name == "listRepositoryChange" else None
    if path.startswith("/repo/") and INFO_XML.match(path):
        return "info"
    if method == "GET" and path.startswith("/api/7/store/getMeta"):
        return "meta"
    return None


def _read_file(path: str) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()


class HotPath:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        kind = hot_kind(scope.get("method", ""), scope.get("path", "")) if scope["type"] == "http" else None
        if kind is not None:
            # Logs and metrics name the route, as the router would have.
            scope["path_template"] = ROUTE_LABELS[kind]
            try:
                answer = await self._answer(kind, scope)
            except Exception:  # noqa: BLE001 - the framework route answers instead, with its own error handling
                log.exception("hot path failed; handing over to the router")
                answer = None
            if answer is not None:
                await self._send(send, answer, scope["method"], scope)
                return
        await self.app(scope, receive, send)

    async def _answer(self, kind: str, scope: dict[str, Any]) -> Answer:
        request = RawRequest(scope, self.state)
        if kind == "info":
            return await info_xml_answer(request, INFO_XML.match(scope["path"]).group(1))
        runtime = self.state.runtime
        runtime.cache.current_clock()  # probe the catalog when due
        key = (kind, request.inputs)
        remembered = runtime.answers.peek(key)
        if remembered is not None and runtime.cache.still_current(remembered.lookups):
            return remembered.answer
        with recording_lookups() as lookups:
            answer = await (ws.answer(request) if kind == "ws" else v7.answer(request))
        if answer.cacheable and answer.status == 200:
            runtime.answers.put(key, Remembered(answer, tuple(lookups)))
        return answer

    @staticmethod
    async def _send(send: Any, answer: Answer, method: str, scope: dict[str, Any] | None = None) -> None:
        headers = [(b"content-type", answer.media_type.encode()), (b"content-length", str(answer.body_length()).encode())]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        if answer.file_path is not None and method != "HEAD":
            if "http.response.pathsend" in ((scope or {}).get("extensions") or {}):
                # The server (Granian) sends the file itself: no bytes through Python.
                await send({"type": "http.response.pathsend", "path": answer.file_path})
            else:
                await send({"type": "http.response.body", "body": await run(_read_file, answer.file_path)})
            return
        await send({"type": "http.response.body", "body": answer.body if method != "HEAD" else b""})
