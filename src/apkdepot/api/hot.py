"""The update-check hot path: GET listRepositoryChange, GET info.xml and GET
v7 store/getMeta are answered here, ahead of the framework's routing, by the
same answer functions the routes use. Answers that depend only on the request
and the catalog clock are kept pre-encoded until the clock moves. Anything
unexpected falls through to the framework, which answers it the normal way."""

from __future__ import annotations

import logging
import re
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qsl

from apkdepot.api.answer import Answer
from apkdepot.api.repo import info_xml_answer
from apkdepot.api.v7 import dispatch as v7
from apkdepot.api.ws import dispatch as ws

log = logging.getLogger("apkdepot.hot")

INFO_XML = re.compile(r"^/repo/([^/]+)/info\.xml$")
ROUTE_LABELS = {"ws": "/webservices/listRepositoryChange", "info": "/repo/{store_name}/info.xml",
                "meta": "/api/7/store/getMeta"}


class _Headers:
    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self._values = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name.lower(), default)


class RawRequest:
    """The parts of a request the answer functions read, straight from the scope."""

    def __init__(self, scope: dict[str, Any], state: Any) -> None:
        self.scope = scope
        self.method = scope["method"]
        self.headers = _Headers(scope.get("headers", []))
        self.app = SimpleNamespace(state=state)
        self._query: dict[str, str] | None = None

    @property
    def query_params(self) -> dict[str, str]:
        if self._query is None:
            try:
                self._query = dict(parse_qsl(self.scope.get("query_string", b"").decode("utf-8"), keep_blank_values=True))
            except UnicodeDecodeError:
                self._query = {}
        return self._query

    @property
    def base_url(self) -> str:
        host = self.headers.get("host") or "%s:%s" % tuple(self.scope.get("server") or ("localhost", 80))
        return f"{self.scope.get('scheme', 'http')}://{host}"


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
                await self._send(send, answer, scope["method"])
                return
        await self.app(scope, receive, send)

    async def _answer(self, kind: str, scope: dict[str, Any]) -> Answer:
        request = RawRequest(scope, self.state)
        if kind == "info":
            return await info_xml_answer(request, INFO_XML.match(scope["path"]).group(1))
        runtime = self.state.runtime
        headers = request.headers
        key = (kind, scope.get("raw_path") or scope["path"], scope.get("query_string", b""),
               headers.get("accept-language"), headers.get("authorization"), runtime.cache.current_clock())

        async def compute() -> Answer:
            return await (ws.answer(request) if kind == "ws" else v7.answer(request))

        remembered = runtime.answers.peek(key)
        if remembered is not None:
            return remembered
        answer = await compute()
        if answer.cacheable and answer.status == 200:
            runtime.answers.put(key, answer)
        return answer

    @staticmethod
    async def _send(send: Any, answer: Answer, method: str) -> None:
        headers = [(b"content-type", answer.media_type.encode()), (b"content-length", str(len(answer.body)).encode())]
        headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": answer.body if method != "HEAD" else b""})
