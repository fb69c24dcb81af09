"""The app channel: every call the sidecar makes to its app goes through here (as in daprd)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import Protocol

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient
from httpx_aiohttp.transport import AiohttpTransport

log = logging.getLogger(__name__)

# What Go's net/http client (daprd's) sends of its own; it adds no Accept and no Content-Type.
GO_CLIENT_HEADERS = {"user-agent": "Go-http-client/1.1", "accept-encoding": "gzip"}

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)


def outbound_client(max_connections: int) -> httpx.AsyncClient:
    """httpx's API over aiohttp's connection pool (several times faster under concurrency),
    adding only the headers Go's client adds: a caller's headers, when forwarded, win."""

    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=256)

    def session() -> aiohttp.ClientSession:  # made on first use, inside the event loop
        connector = aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=5.0)
        skip = ("Accept", "Content-Type")
        return aiohttp.ClientSession(connector=connector, skip_auto_headers=skip)

    client = HttpxAiohttpClient(
        timeout=httpx.Timeout(None, connect=5.0),
        headers=GO_CLIENT_HEADERS,
        transport=AiohttpTransport(limits=limits, client=session),
    )
    del client.headers["accept"]
    return client


class CallObserver(Protocol):
    """Told of every call to the app once it ends (``status`` 0: no answer)."""

    def called_app(
        self, method: str, path: str, status: int, sent: int, received: int, ms: float
    ) -> None: ...


class AppChannel:
    """HTTP calls to the app at ``host:port``, with APP_API_TOKEN added when configured."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        host: str,
        port: int,
        *,
        app_id: str,
        token: str | None,
        observer: CallObserver | None = None,
    ) -> None:
        self.client = client
        self.observer = observer
        self.base_url = f"http://{host}:{port}"
        self.host = host
        self.port = port
        self.app_id = app_id
        self.token = token
        self.healthy = True  # False while app health checks find the app unhealthy

    def _headers(self, headers: Mapping[str, str] | None) -> dict[str, str]:
        out = {k: v for k, v in (headers or {}).items() if k.lower() not in HOP_BY_HOP}
        if self.token:
            out["dapr-api-token"] = self.token
        return out

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
        params: str = "",
        timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request to the app; raises httpx.HTTPError when it cannot be sent or reached.

        A path Go's HTTP client refuses to send (a control character in it) is such an error too,
        as in daprd ("net/http: invalid control character in URL").
        """
        if not self.healthy:
            raise httpx.ConnectError("app is not in a healthy state")
        url = self.base_url + "/" + path.lstrip("/")
        if params:
            url += "?" + params
        started = time.perf_counter()
        status, received = 0, 0
        try:
            resp = await self.client.request(
                method, url, content=content, headers=self._headers(headers), timeout=timeout
            )
            status, received = resp.status_code, len(resp.content)
            return resp
        except httpx.InvalidURL as exc:
            raise httpx.LocalProtocolError(f"invalid control character in URL: {exc}") from exc
        finally:
            if self.observer is not None:
                ms = (time.perf_counter() - started) * 1000
                self.observer.called_app(method, path, status, len(content), received, ms)

    async def wait_until_listening(self, interval: float = 0.1) -> None:
        """Block until the app's port accepts TCP connections (daprd dials every 100 ms)."""
        while True:
            try:
                _, writer = await asyncio.wait_for(
                    asyncio.open_connection(self.host, self.port), 0.5
                )
            except (OSError, TimeoutError):
                await asyncio.sleep(interval)
                continue
            writer.close()
            return

    async def is_listening(self) -> bool:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), 0.5)
        except (OSError, TimeoutError):
            return False
        writer.close()
        return True
