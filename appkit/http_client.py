"""The apps' outbound HTTP client (to their sidecar and beyond)."""

from __future__ import annotations

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient
from httpx_aiohttp.transport import AiohttpTransport

KEEPALIVE_SECONDS = 5.0


def pooled_client(timeout: httpx.Timeout) -> httpx.AsyncClient:
    """httpx's API over aiohttp's connection pool, which stays fast under many concurrent calls.

    The pool is not capped (aiohttp's connector would default to 100): an app's calls nest (a
    job handler waits on an actor turn whose method calls the sidecar again), so any cap below the
    number of calls in flight lets the outer calls hold every connection the inner ones need.
    The sidecar bounds the concurrency it sends to the app; the timeout bounds each call.
    """

    def session() -> aiohttp.ClientSession:  # made on first use, inside the event loop
        connector = aiohttp.TCPConnector(limit=0, keepalive_timeout=KEEPALIVE_SECONDS)
        return aiohttp.ClientSession(connector=connector)

    return HttpxAiohttpClient(timeout=timeout, transport=AiohttpTransport(client=session))
