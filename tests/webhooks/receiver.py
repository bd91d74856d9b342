"""A webhook receiver for the tests: a local HTTP server that checks each
request's signature as the served documentation describes it (HMAC-SHA256 of
"<timestamp>.<body>" with the hook's secret, hex, prefixed "sha256="), written
here from that description rather than with the server's own helper."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver:
    def __init__(self) -> None:
        self.secret = ""
        self.answer = 204  # what a correctly signed request gets
        self.accepted: list[dict] = []  # {"delivery", "event", "body"} of each accepted request
        self.rejected: list[dict] = []  # the badly signed ones
        self.failed: list[str] = []  # delivery ids answered with a failure on purpose
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the standard library's name
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                stamp = self.headers.get("X-ApkDepot-Timestamp", "")
                expected = "sha256=" + hmac.new(receiver.secret.encode(), stamp.encode() + b"." + body,
                                                hashlib.sha256).hexdigest()
                record = {"delivery": self.headers.get("X-ApkDepot-Delivery"),
                          "event": self.headers.get("X-ApkDepot-Event"), "host": self.headers.get("Host"),
                          "body": body}
                with receiver.lock:
                    if not hmac.compare_digest(expected, self.headers.get("X-ApkDepot-Signature", "")):
                        receiver.rejected.append(record)
                        status = 401
                    elif receiver.answer >= 300:
                        receiver.failed.append(record["delivery"])
                        status = receiver.answer
                    else:
                        receiver.accepted.append({**record, "json": json.loads(body)})
                        status = receiver.answer
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accepted_events(self) -> list[str]:
        with self.lock:
            return [r["event"] for r in self.accepted]

    def accepted_ids(self) -> list[str]:
        with self.lock:
            return [r["delivery"] for r in self.accepted]
