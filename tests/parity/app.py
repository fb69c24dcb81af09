"""The parity catalogue's app: records every request it receives and answers predictably.

Standard library only, so it runs unchanged under daprd and under ``sidecar run``. It listens on
``$APP_PORT`` (or ``argv[1]``). What the catalogue relies on:

- ``GET /dapr/config`` hosts the actor types in ``$PARITY_ENTITIES`` (default ``T``);
  ``GET /dapr/subscribe`` subscribes to three topics (``bulksub`` with ``bulkSubscribe``).
- ``PUT /actors/T/{id}/method/{m}``: ``fail`` answers 500, ``created`` 201, ``errheader`` 400 with
  ``X-Daprerrorresponseheader``; anything else 200 with the request body echoed back.
- ``/status/{code}`` answers that status; ``/text`` answers ``text/plain``; any other path answers
  200 with a JSON echo of the method, path and body.
- ``GET /_recorded?after=N`` returns the requests recorded after the first N (never recorded
  itself, nor is ``/healthz``).
"""

from __future__ import annotations

import json
import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

ENTITIES = [name for name in os.environ.get("PARITY_ENTITIES", "T").split(",") if name]
CONFIG = {"entities": ENTITIES, "actorIdleTimeout": "1h", "reentrancy": {"enabled": False}}
SUBSCRIPTIONS = [
    {"pubsubname": "pubsub", "topic": "orders", "route": "/events/orders"},
    {"pubsubname": "pubsub", "topic": "bulk", "route": "/events/bulk"},
    {
        "pubsubname": "pubsub",
        "topic": "bulksub",
        "route": "/events/bulksub",
        "bulkSubscribe": {"enabled": True, "maxMessagesCount": 3, "maxAwaitDurationMs": 20},
    },
]
UNRECORDED = ("/_recorded", "/healthz")

_records: list[dict[str, Any]] = []
_lock = threading.Lock()


def _actor_reply(method: str, body: bytes, ctype: str) -> tuple[int, dict[str, str], bytes]:
    if method == "fail":
        return 500, {"content-type": "application/json"}, b'{"message":"boom"}'
    if method == "created":
        return 201, {"content-type": "application/json"}, b'{"made":true}'
    if method == "errheader":
        headers = {"content-type": "application/json", "x-daprerrorresponseheader": "yes"}
        return 400, headers, b'{"app":"error"}'
    return 200, {"content-type": ctype or "application/json", "x-app": "actor"}, body


def _reply(method: str, path: str, body: bytes, ctype: str) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body for one request (everything but /_recorded)."""
    route = urlsplit(path).path
    json_headers = {"content-type": "application/json", "x-app": "recorder"}
    if route == "/dapr/config":
        return 200, json_headers, json.dumps(CONFIG).encode()
    if route == "/dapr/subscribe":
        return 200, json_headers, json.dumps(SUBSCRIPTIONS).encode()
    parts = route.strip("/").split("/")
    if parts[0] == "actors" and len(parts) >= 5:
        return _actor_reply(parts[4], body, ctype)
    if parts[0] == "status" and len(parts) == 2 and parts[1].isdigit():
        return int(parts[1]), json_headers, json.dumps({"status": int(parts[1])}).encode()
    if route == "/text":
        return 200, {"content-type": "text/plain", "x-app": "recorder"}, b"hello"
    echo = {"method": method, "path": path, "body": body.decode(errors="replace")}
    return 200, json_headers, json.dumps(echo).encode()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _handle(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        if urlsplit(self.path).path == "/_recorded":
            self._send(200, {"content-type": "application/json"}, self._recorded())
            return
        if not self.path.startswith(UNRECORDED):
            self._record(body)
        ctype = self.headers.get("content-type", "")
        self._send(*_reply(self.command, self.path, body, ctype))

    def _record(self, body: bytes) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        record = {"method": self.command, "path": self.path, "headers": headers}
        record["body"] = body.decode(errors="replace")
        with _lock:
            _records.append(record)

    def _recorded(self) -> bytes:
        query = parse_qs(urlsplit(self.path).query)
        after = int(query.get("after", ["0"])[0])
        with _lock:
            return json.dumps({"total": len(_records), "records": _records[after:]}).encode()

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


def main() -> None:
    port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ["APP_PORT"])
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
