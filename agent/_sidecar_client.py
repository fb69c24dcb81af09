"""The one HTTP path to the Dapr sidecar: base address, API token, error translation."""

from __future__ import annotations

import json
from typing import Any

import httpx


class SidecarError(Exception):
    """The sidecar answered non-2xx; ``error_code``/``message`` come from Dapr's JSON body."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(f"sidecar answered {status} {error_code}: {message}")
        self.status = status
        self.error_code = error_code
        self.message = message


class SidecarUnavailableError(SidecarError):
    """The sidecar could not be reached at all."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(503, "ERR_SIDECAR_UNAVAILABLE", f"cannot reach {url}: {reason}")


class SidecarClient:
    """Sends requests to the sidecar's HTTP API through the shared client."""

    def __init__(self, client: httpx.AsyncClient, endpoint: str, token: str | None) -> None:
        self.client = client
        self.endpoint = endpoint.rstrip("/")
        self._headers = {"dapr-api-token": token} if token else {}

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        url = f"{self.endpoint}/{path.lstrip('/')}"
        if json_body is not None:
            content = json.dumps(json_body, separators=(",", ":")).encode()
        all_headers = {"content-type": "application/json", **self._headers, **(headers or {})}
        try:
            response = await self.client.request(method, url, content=content, headers=all_headers)
        except httpx.TransportError as exc:
            raise SidecarUnavailableError(url, str(exc) or type(exc).__name__) from exc
        if not response.is_success:
            raise _error_of(response)
        return response


def _error_of(response: httpx.Response) -> SidecarError:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return SidecarError(response.status_code, "ERR_UNKNOWN", response.text.strip())
    code = str(body.get("errorCode", "ERR_UNKNOWN"))
    return SidecarError(response.status_code, code, str(body.get("message", "")))
