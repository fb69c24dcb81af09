"""Job triggers to an HTTP app straight over an aiohttp session: the fire path's client.

Every other call to the app goes through the sidecar's httpx client (whose transport is aiohttp's
pool); a trigger is one fixed request shape (``POST /job/{name}``, the job's bytes, a status back),
and the httpx layer over aiohttp was two thirds of its client cost (request and URL building,
cookie handling, response wrapping). The session sends what that client sends: Go's
``User-Agent`` and ``Accept-Encoding``, no ``Accept``, the caller's headers.
"""

from __future__ import annotations

import aiohttp

from .app_channel import GO_CLIENT_HEADERS, KEEPALIVE_SECONDS, AppChannelError

CONNECT_TIMEOUT = 5.0  # seconds, as the sidecar's other outbound calls


class JobPoster:
    """POSTs triggers to one app over a pool of its own (made on first use, in the loop)."""

    def __init__(self, max_connections: int) -> None:
        self.max_connections = max_connections
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(
            limit=self.max_connections, keepalive_timeout=KEEPALIVE_SECONDS
        )
        return aiohttp.ClientSession(
            connector=connector,
            headers=GO_CLIENT_HEADERS,
            skip_auto_headers=("Accept", "Content-Type"),
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=CONNECT_TIMEOUT),
        )

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, int]:
        """(status, bytes received); AppChannelError when the app cannot be reached."""
        if self._session is None:
            self._session = self._open()
        try:
            async with self._session.post(url, data=body, headers=headers) as resp:
                return resp.status, len(await resp.read())
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise AppChannelError(repr(exc)) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
