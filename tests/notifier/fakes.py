"""A fake sidecar state API (first-write, ETags, bulk get) plus a recording webhook."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx

STORE = "/v1.0/state/statestore"


class FakeStateSidecar:
    def __init__(self) -> None:
        self.rows: dict[str, tuple[Any, str]] = {}
        self.webhook_calls: list[dict[str, Any]] = []
        self.webhook_failures = 0
        self.tokens: set[str | None] = set()
        self.down = False
        # As daprd's state.redis: a key saved with first-write concurrency refuses every later
        # save that brings no ETag (500 ERR_STATE_SAVE from its Lua script), not only inserts.
        self.first_write_sticks = False
        self.first_written: set[str] = set()
        # daprd answers a first-write on an existing key 409 on sqlite and in-memory, but 500
        # ("failed to set key ...", "no item was updated") on Redis and PostgreSQL
        self.first_write_conflict = 409

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "hooks.test":
            return self._webhook(request)
        if self.down:
            raise httpx.ConnectError("refused", request=request)
        self.tokens.add(request.headers.get("dapr-api-token"))
        path = request.url.path
        if path == f"{STORE}/bulk":
            keys = json.loads(request.content)["keys"]
            return httpx.Response(200, json=[self._bulk_item(k) for k in keys])
        if path == STORE:
            return self._save(json.loads(request.content))
        return self._get(path.removeprefix(f"{STORE}/"))

    def _save(self, items: list[dict[str, Any]]) -> httpx.Response:
        for item in items:
            key, current = item["key"], self.rows.get(item["key"])
            first_write = item.get("options", {}).get("concurrency") == "first-write"
            guarded = "etag" in item or first_write
            if self.first_write_sticks and key in self.first_written and "etag" not in item:
                body = {"errorCode": "ERR_STATE_SAVE", "message": f"failed to set key {key}"}
                return httpx.Response(500, json=body)
            if guarded and (current[1] if current else None) != item.get("etag"):
                body = {"errorCode": "ERR_STATE_SAVE", "message": "possible etag mismatch"}
                status = 409 if "etag" in item else self.first_write_conflict
                return httpx.Response(status, json=body)
            self.rows[key] = (item["value"], uuid.uuid4().hex)
            if first_write:
                self.first_written.add(key)
        return httpx.Response(204)

    def _get(self, key: str) -> httpx.Response:
        if key not in self.rows:
            return httpx.Response(204)
        value, etag = self.rows[key]
        return httpx.Response(200, json=value, headers={"etag": etag})

    def _bulk_item(self, key: str) -> dict[str, Any]:
        if key not in self.rows:
            return {"key": key}
        return {"key": key, "data": self.rows[key][0], "etag": self.rows[key][1]}

    def _webhook(self, request: httpx.Request) -> httpx.Response:
        self.webhook_calls.append(json.loads(request.content))
        if self.webhook_failures > 0:
            self.webhook_failures -= 1
            return httpx.Response(503)
        return httpx.Response(200)
