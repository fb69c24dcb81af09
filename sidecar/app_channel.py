"""The app channel: every call the sidecar makes to its app goes through here (as in daprd)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient
from httpx_aiohttp.transport import AiohttpTransport

log = logging.getLogger(__name__)

# What Go's net/http client (daprd's) sends of its own; it adds no Accept and no Content-Type.
GO_CLIENT_HEADERS = {"user-agent": "Go-http-client/1.1", "accept-encoding": "gzip"}

# How long an idle pooled connection to the app is kept: below the apps' servers' keep-alive
# (75 s for ours; uvicorn's default is 5 s, which a 5 s pool can race), so this side closes first.
KEEPALIVE_SECONDS = 4.0

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
        connector = aiohttp.TCPConnector(limit=max_connections, keepalive_timeout=KEEPALIVE_SECONDS)
        skip = ("Accept", "Content-Type")
        return aiohttp.ClientSession(connector=connector, skip_auto_headers=skip)

    client = HttpxAiohttpClient(
        timeout=httpx.Timeout(None, connect=5.0),
        headers=GO_CLIENT_HEADERS,
        transport=AiohttpTransport(limits=limits, client=session),
    )
    del client.headers["accept"]
    return client


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
        max_concurrency: int = 0,
    ) -> None:
        self.client = client
        # --app-max-concurrency: at most this many calls in flight to the app, the rest wait
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency > 0 else None
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
        if self._slots is None:
            return await self._send(method, url, content, headers, timeout)
        async with self._slots:
            return await self._send(method, url, content, headers, timeout)

    async def _send(
        self,
        method: str,
        url: str,
        content: bytes,
        headers: Mapping[str, str] | None,
        timeout: float | None,
    ) -> httpx.Response:
        try:
            return await self.client.request(
                method, url, content=content, headers=self._headers(headers), timeout=timeout
            )
        except httpx.InvalidURL as exc:
            raise httpx.LocalProtocolError(f"invalid control character in URL: {exc}") from exc

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
