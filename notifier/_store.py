"""The notifier's Dapr state store, through the sidecar's HTTP state API."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from ._errors import StateStoreError


@dataclass(frozen=True, slots=True)
class Stored:
    value: Any
    etag: str | None


class StateStore:
    """``/v1.0/state/{store}``: first-write inserts, reads with ETag, conditional saves."""

    def __init__(
        self, client: httpx.AsyncClient, endpoint: str, store: str, token: str | None
    ) -> None:
        self._client = client
        self._url = f"{endpoint.rstrip('/')}/v1.0/state/{store}"
        self._headers = {"dapr-api-token": token} if token else {}

    async def insert(self, key: str, value: Any) -> bool:
        """Store ``value`` unless ``key`` exists; False means it was already stored.

        Stores refuse a first-write on an existing key differently (daprd answers 409 on sqlite,
        500 on Redis and PostgreSQL), so a refused save is settled by reading the key."""
        item = {"key": key, "value": value, "options": {"concurrency": "first-write"}}
        try:
            return await self._save(item)
        except StateStoreError:
            if await self.get(key) is not None:
                return False
            raise

    async def save(self, key: str, value: Any, etag: str | None = None) -> bool:
        """Last-write save, or conditional on ``etag``; False means the ETag did not match."""
        item: dict[str, Any] = {"key": key, "value": value}
        if etag is not None:
            item |= {"etag": etag, "options": {"concurrency": "first-write"}}
        return await self._save(item)

    async def append_unique(self, key: str, item: str, attempts: int = 10) -> None:
        """Append ``item`` to the list at ``key`` once, under optimistic concurrency (ETag)."""
        for _ in range(attempts):
            current = await self.get(key)
            items: list[str] = current.value if current is not None else []
            if item in items:
                return
            if current is None and await self.insert(key, [item]):
                return
            if current is not None and await self.save(key, [*items, item], current.etag):
                return
        # Stored but not listed would be lost from the history for good (a repeat is only
        # acknowledged): answer 503 so the caller retries, and this intake runs again.
        raise StateStoreError(f"could not add {item} to {key} (contention)")

    async def get(self, key: str) -> Stored | None:
        response = await self._send("GET", f"{self._url}/{quote(key, safe='')}")
        if response.status_code == 204 or not response.content:
            return None
        return Stored(response.json(), response.headers.get("etag"))

    async def bulk_get(self, keys: list[str]) -> dict[str, Any]:
        if not keys:
            return {}
        response = await self._send("POST", f"{self._url}/bulk", {"keys": keys})
        return {item["key"]: item["data"] for item in response.json() if "data" in item}

    async def _save(self, item: dict[str, Any]) -> bool:
        try:
            await self._send("POST", self._url, [item])
        except StateStoreError as exc:
            if exc.sidecar_status == 409:  # ERR_STATE_SAVE: the key exists / ETag mismatch
                return False
            raise
        return True

    async def _send(self, method: str, url: str, body: Any = None) -> httpx.Response:
        content = json.dumps(body).encode() if body is not None else None
        headers = {"content-type": "application/json", **self._headers}
        try:
            response = await self._client.request(method, url, content=content, headers=headers)
        except httpx.TransportError as exc:
            raise StateStoreError(f"state store unreachable at {url}: {exc!r}") from exc
        if response.status_code >= 300:
            message = f"{response.status_code} from {method} {url}: {response.text}"
            raise StateStoreError(message, response.status_code)
        return response
