"""An endpoint's answer as plain data, so one implementation can be served by
a Litestar route and by the hot path (api/hot.py) alike."""

from __future__ import annotations

from dataclasses import dataclass, field

from litestar import Response


@dataclass
class Answer:
    body: bytes
    status: int = 200
    media_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # True when the answer depends only on the request and what it looked up in
    # the catalog snapshot (recorded by index/cache.recording_lookups), so the hot
    # path may serve the same bytes again while those lookups find the same things.
    cacheable: bool = False
    # A file whose bytes are the body (body is then empty): the server may send it
    # itself (ASGI "http.response.pathsend") instead of through Python.
    file_path: str | None = None
    file_size: int = 0  # the file's length, known when the path was (no stat per answer)

    def cache_weight(self) -> int:
        """Bytes it holds in a cache (index/cache.weight)."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items()) + 100

    def to_response(self) -> Response:
        """For answers held in memory (file answers are sent by api/hot.py or read by their route)."""
        assert self.file_path is None
        return Response(self.body, status_code=self.status, media_type=self.media_type, headers=self.headers)

    def body_length(self) -> int:
        return len(self.body) if self.file_path is None else self.file_size

